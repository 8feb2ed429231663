/**
 * Unit commands (`amdvi.<subject>.<verb>`) through which scenarios set up and
 * drive the unit: register writes, device-table entries, page tables, command
 * buffer submissions, event-log reads. Data is JSON-safe, 64-bit values are
 * "0x..." strings; a bad field throws an error naming it (the core turns it
 * into EINVAL), an unknown command is EOPNOTSUPP.
 */
import { ERROR_CODES, ViommuError } from '../../core/errors/viommu-error.js';
import { hex, hex64, parseU64 } from '../../core/model/hex.js';
import type { JsonObject, JsonValue } from '../../core/plugin/contract.js';
import { boolField, intField, safeField, stringField, u64Field } from '../../core/sim/commands/fields.js';
import { fail, ok, type UapiResult } from '../../core/uapi/errno.js';
import { V1TableBuilder, writeDte, writeU64 } from './builders.js';
import { eventName } from './faults.js';
import { u64ToWords } from './structures/bits.js';
import { type AmdviCommand, CMD_BYTES, encodeCommand } from './structures/command.js';
import { DTE_BYTES, type Dte, decodeDte, emptyDte } from './structures/dte.js';
import { encodeInvRange } from './structures/inv-range.js';
import { AMDVI_CTRL, AMDVI_MMIO, type AmdviMmioName } from './structures/mmio.js';
import type { AmdviUnit } from './unit.js';
import './events.js';

type Handler = (u: AmdviUnit, d: JsonObject) => UapiResult<JsonValue>;

const HANDLERS: ReadonlyMap<string, Handler> = new Map<string, Handler>([
  ['amdvi.unit.init', unitInit],
  ['amdvi.mmio.write', (u, d) => mmioWrite(u, regField(d), u64Field(d, 'value'))],
  ['amdvi.mmio.read', (u, d) => ok(hex64(u.regs.read(regField(d))))],
  ['amdvi.dte.write', dteWrite],
  ['amdvi.dte.read', dteRead],
  ['amdvi.pagetable.create', tableCreate],
  ['amdvi.pagetable.map', tableMap],
  ['amdvi.pagetable.unmap', tableUnmap],
  ['amdvi.command.submit', commandSubmit],
  ['amdvi.eventlog.read', eventlogRead],
]);

/** Command names, for docs and tests. */
export const AMDVI_COMMANDS: readonly string[] = [...HANDLERS.keys()];

export function runAmdviCommand(u: AmdviUnit, type: string, data: JsonObject): UapiResult<JsonValue> {
  const h = HANDLERS.get(type);
  if (!h) return fail('EOPNOTSUPP', `unknown amdvi command "${type}" (known: ${AMDVI_COMMANDS.join(', ')})`);
  try {
    return h(u, data);
  } catch (e) {
    // Bad fields (RangeError/TypeError from here or the builders) are invalid input, named in the message.
    if (e instanceof RangeError || e instanceof TypeError)
      throw new ViommuError(ERROR_CODES.COMMAND_INVALID, `${type}: ${e.message}`);
    throw e;
  }
}

function regField(d: JsonObject): AmdviMmioName {
  const r = stringField(d, 'reg');
  if (!Object.hasOwn(AMDVI_MMIO, r))
    throw new RangeError(
      `reg: unknown register ${JSON.stringify(r)} (known: ${Object.keys(AMDVI_MMIO).join(', ')})`,
    );
  return r as AmdviMmioName;
}

/** Writes a register and, for CMD_TAIL or CONTROL, runs the command buffer. */
function mmioWrite(u: AmdviUnit, reg: AmdviMmioName, value: bigint): UapiResult<JsonValue> {
  const r = u.regs.write(reg, value);
  if (!r.ok) return r;
  u.events.emit('amdvi.mmio.written', { unit: u.id, reg, value: hex64(value) });
  if (reg === 'CMD_TAIL' || reg === 'CONTROL') {
    const ring = u.exec.runRing();
    return ok({
      executed: ring.executed,
      stoppedBy: ring.stoppedBy === null ? null : eventName(ring.stoppedBy),
    });
  }
  return ok(null);
}

/**
 * amdvi.unit.init { devTabPages?: 1..512 (512), cmdLen?: 8..15 (9), evtLen?: 8..15 (9), enable?: true }:
 * allocates the device table, command buffer and event log, programs the base registers and
 * (unless enable is false) sets IOMMUEn, EventLogEn and CmdBufEn, as the Linux driver does.
 */
function unitInit(u: AmdviUnit, d: JsonObject): UapiResult<JsonValue> {
  const pages = intField(d, 'devTabPages', 1, 512, 512);
  const cmdLen = intField(d, 'cmdLen', 8, 15, 9);
  const evtLen = intField(d, 'evtLen', 8, 15, 9);
  const enable = boolField(d, 'enable', true);
  const devTab = u.frames.alloc(pages);
  const cmd = u.frames.alloc((16 * 2 ** cmdLen) / 4096);
  const evt = u.frames.alloc((16 * 2 ** evtLen) / 4096);
  const writes: [AmdviMmioName, bigint][] = [
    ['DEV_TAB_BASE', BigInt(devTab) | BigInt(pages - 1)],
    ['CMD_BUF_BASE', BigInt(cmd) | (BigInt(cmdLen) << 56n)],
    ['EVT_LOG_BASE', BigInt(evt) | (BigInt(evtLen) << 56n)],
  ];
  if (enable) writes.push(['CONTROL', AMDVI_CTRL.IOMMUEn | AMDVI_CTRL.EventLogEn | AMDVI_CTRL.CmdBufEn]);
  for (const [reg, v] of writes) {
    const r = mmioWrite(u, reg, v);
    if (!r.ok) return r;
  }
  return ok({ devTab: hex64(devTab), cmdBuf: hex64(cmd), evtLog: hex64(evt) });
}

const DTE_BOOLS = ['v', 'tv', 'ir', 'iw', 'i', 'se', 'sa', 'ppr', 'giov', 'gv'] as const;

/**
 * amdvi.dte.write { deviceId, raw?: [q0..q3] } or { deviceId, v, tv, mode, root, ir, iw, domainId, i, se, sa, ... }:
 * writes the DTE in guest memory only; the guest must still issue INVALIDATE_DEVTAB_ENTRY.
 */
function dteWrite(u: AmdviUnit, d: JsonObject): UapiResult<JsonValue> {
  const devid = intField(d, 'deviceId', 0, 0xffff);
  if (u.regs.devTabPages === 0) return fail('EINVAL', 'DEV_TAB_BASE is not programmed (run amdvi.unit.init)');
  if (devid >= u.regs.devTabPages * 128)
    return fail('EINVAL', `deviceId: 0x${devid.toString(16)} is beyond the device table`);
  const base = u.regs.devTabBase;
  if (d.raw !== undefined) {
    const raw = d.raw;
    if (!Array.isArray(raw) || raw.length !== 4)
      throw new RangeError('raw: expected four 64-bit "0x..." words q0..q3');
    const q = raw.map((x, i) => parseU64(x, `raw[${i}]`));
    for (let i = 0; i < 4; i++) writeU64(u.mem, base + devid * DTE_BYTES + i * 8, q[i]!);
    return ok(null);
  }
  const dte: Dte = emptyDte();
  for (const k of DTE_BOOLS) dte[k] = boolField(d, k, false);
  dte.mode = intField(d, 'mode', 0, 7, 0);
  dte.had = intField(d, 'had', 0, 3, 0);
  dte.glx = intField(d, 'glx', 0, 3, 0);
  dte.domainId = intField(d, 'domainId', 0, 0xffff, 0);
  const root = d.root === undefined ? 0 : safeField(d, 'root');
  if (root % 4096 !== 0) throw new RangeError(`root: 0x${root.toString(16)} is not 4 KiB aligned`);
  dte.rootPfn = root / 4096;
  writeDte(u.mem, base, devid, dte);
  return ok(null);
}

function dteRead(u: AmdviUnit, d: JsonObject): UapiResult<JsonValue> {
  const devid = intField(d, 'deviceId', 0, 0xffff);
  const at = u.regs.devTabBase + devid * DTE_BYTES;
  const q = [0, 1, 2, 3].map((i) => u.mem.read64(at + i * 8) ?? 0n) as [bigint, bigint, bigint, bigint];
  const t = decodeDte(...q);
  return ok({
    v: t.v,
    tv: t.tv,
    mode: t.mode,
    root: hex64(t.rootPfn * 4096),
    ir: t.ir,
    iw: t.iw,
    domainId: t.domainId,
    i: t.i,
    sa: t.sa,
    gv: t.gv,
    raw: q.map((x) => hex64(x)),
  });
}

/**
 * amdvi.pagetable.create { mode: 1..6, root?: "0x..." } -> { root }: an empty v1 table, at `root`
 * when given (a 4 KiB aligned address the scenario reserves; it is zeroed), else from the allocator.
 */
function tableCreate(u: AmdviUnit, d: JsonObject): UapiResult<JsonValue> {
  const mode = intField(d, 'mode', 1, 6);
  let rootPfn: number | undefined;
  if (d.root !== undefined) {
    const root = safeField(d, 'root');
    if (root % 4096 !== 0 || !u.mem.isBacked(root, 4096))
      throw new RangeError(`root: 0x${root.toString(16)} is not an aligned page inside memory`);
    rootPfn = root / 4096;
    u.mem.pageForWrite(rootPfn).fill(0);
  }
  const b = new V1TableBuilder(u.mem, u.frames, mode, rootPfn);
  u.tables.set(b.rootPfn * 4096, b);
  return ok({ root: hex64(b.rootPfn * 4096), mode });
}

function tableOf(u: AmdviUnit, d: JsonObject): V1TableBuilder {
  const root = safeField(d, 'root');
  const b = u.tables.get(root);
  if (!b) throw new RangeError(`root: 0x${root.toString(16)} is not a table made by amdvi.pagetable.create`);
  return b;
}

/** amdvi.pagetable.map { root, iova, pa, size?: bytes (4096), ir?, iw?, skip? }. */
function tableMap(u: AmdviUnit, d: JsonObject): UapiResult<JsonValue> {
  const b = tableOf(u, d);
  const iova = u64Field(d, 'iova');
  const pa = u64Field(d, 'pa');
  const size = d.size === undefined ? 4096n : u64Field(d, 'size');
  if (size < 4096n || (size & (size - 1n)) !== 0n)
    throw new RangeError(`size: ${hex(size)} is not a power of two >= 4096`);
  const shift = size.toString(2).length - 1;
  b.map(Number(iova >> 12n), Number(pa >> 12n), shift, {
    ir: boolField(d, 'ir', true),
    iw: boolField(d, 'iw', true),
    skip: intField(d, 'skip', 0, 5, 0),
  });
  return ok(null);
}

/** amdvi.pagetable.unmap { root, iova, level?: 1 }: clears the entry, without any invalidation. */
function tableUnmap(u: AmdviUnit, d: JsonObject): UapiResult<JsonValue> {
  const b = tableOf(u, d);
  const iova = u64Field(d, 'iova');
  const cleared = b.clear(Number(iova >> 12n), intField(d, 'level', 1, 6, 1));
  return cleared ? ok(null) : fail('ENOENT', `iova: ${hex64(iova)} has no entry at that level`);
}

/**
 * amdvi.command.submit { commands: [{ op, ...fields } | { raw: [q0, q1] }] }: writes the
 * commands at CMD_TAIL, moves the tail past them and runs the buffer.
 */
function commandSubmit(u: AmdviUnit, d: JsonObject): UapiResult<JsonValue> {
  const list = d.commands;
  if (!Array.isArray(list) || list.length === 0) throw new RangeError('commands: expected a non-empty array');
  const r = u.regs;
  if (r.cmdBytes === 0) return fail('EINVAL', 'CMD_BUF_BASE is not programmed (run amdvi.unit.init)');
  const words = list.map((c, i) => commandWords(c as JsonValue, `commands[${i}]`));
  let tail = r.cmdTail;
  for (const w of words) {
    const next = (tail + CMD_BYTES) % r.cmdBytes;
    if (next === r.cmdHead)
      return fail('EBUSY', `commands: the ${r.cmdBytes / CMD_BYTES}-entry command buffer is full`);
    const pa = r.cmdBase + tail;
    if (!u.mem.isBacked(pa, CMD_BYTES))
      return fail('EFAULT', `command buffer at 0x${pa.toString(16)} is outside memory`);
    const page = u.mem.pageForWrite(Math.floor(pa / 4096));
    page.set(w, (pa % 4096) / 4);
    tail = next;
  }
  return mmioWrite(u, 'CMD_TAIL', BigInt(tail));
}

function commandWords(c: JsonValue, what: string): number[] {
  if (typeof c !== 'object' || c === null || Array.isArray(c))
    throw new RangeError(`${what}: expected an object`);
  const o = c as JsonObject;
  if (o.raw !== undefined) {
    if (!Array.isArray(o.raw) || o.raw.length !== 2)
      throw new RangeError(`${what}.raw: expected two 64-bit "0x..." words`);
    return [
      ...u64ToWords(parseU64(o.raw[0], `${what}.raw[0]`)),
      ...u64ToWords(parseU64(o.raw[1], `${what}.raw[1]`)),
    ];
  }
  const op = stringField(o, 'op');
  return encodeCommand(parseCommand(o, op, what));
}

function parseCommand(o: JsonObject, op: string, what: string): AmdviCommand {
  switch (op) {
    case 'COMPLETION_WAIT':
      return {
        op,
        s: boolField(o, 's', false),
        i: boolField(o, 'i', false),
        f: boolField(o, 'f', false),
        storeAddr: o.storeAddr === undefined ? 0 : safeField(o, 'storeAddr'),
        data: o.data === undefined ? 0n : u64Field(o, 'data'),
      };
    case 'INVALIDATE_DEVTAB_ENTRY':
    case 'INVALIDATE_INTERRUPT_TABLE':
      return { op, deviceId: intField(o, 'deviceId', 0, 0xffff) };
    case 'INVALIDATE_IOMMU_PAGES': {
      const domainId = intField(o, 'domainId', 0, 0xffff);
      const pasid = intField(o, 'pasid', 0, 0xfffff, 0);
      const gn = boolField(o, 'gn', false);
      const pde = boolField(o, 'pde', true);
      // Three ways to name the range: all, iova + pages (encoded as Linux does), or address + s raw.
      if (boolField(o, 'all', false)) return { op, domainId, pasid, gn, pde, s: true, addrPfn: 2 ** 52 - 1 };
      if (o.iova !== undefined) {
        const r = encodeInvRange(
          Number(u64Field(o, 'iova') >> 12n),
          intField(o, 'pages', 1, Number.MAX_SAFE_INTEGER, 1),
        );
        return { op, domainId, pasid, gn, pde, s: r.s, addrPfn: r.addrPfn };
      }
      return {
        op,
        domainId,
        pasid,
        gn,
        pde,
        s: boolField(o, 's', false),
        addrPfn: Number(u64Field(o, 'address') >> 12n),
      };
    }
    case 'INVALIDATE_IOMMU_ALL':
      return { op };
    default:
      throw new RangeError(
        `${what}.op: ${JSON.stringify(op)} is not an encodable command (use raw for others)`,
      );
  }
}

/** amdvi.eventlog.read {}: the entries between EVT_HEAD and EVT_TAIL; moves the head. */
function eventlogRead(u: AmdviUnit): UapiResult<JsonValue> {
  return ok(
    u.log.drain().map((e) => ({
      code: e.code,
      name: eventName(e.code),
      deviceId: e.deviceId,
      tag: e.tag,
      pasidHi: e.pasidHi,
      flags: e.flags,
      address: hex64(e.address),
    })),
  );
}
