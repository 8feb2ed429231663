/**
 * Unit commands (`amdvi.<subject>.<verb>`) through which scenarios set up and
 * drive the unit: register writes, device-table entries, page tables, command
 * buffer submissions, event-log reads. Data is JSON-safe, 64-bit values are
 * "0x..." strings; a bad field throws an error naming it (the core turns it
 * into EINVAL), an unknown command is EOPNOTSUPP.
 */
import { type CommandsOf, defineCommand } from '../../core/command/catalog.js';
import {
  addr,
  bool,
  type Decoded,
  type FieldMap,
  int,
  list,
  oneOf,
  pages,
  pasid,
  tagged,
  u16,
  u64,
  type ValueOf,
} from '../../core/command/field.js';
import { ERROR_CODES, ViommuError } from '../../core/errors/viommu-error.js';
import { hex, hex64 } from '../../core/model/hex.js';
import type { JsonValue } from '../../core/plugin/contract.js';
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

/**
 * An amdvi command: bad values the builders find at run time (RangeError/TypeError) are invalid
 * input, named in the message, as the catalog's own refusals are.
 */
function amdviCommand<const F extends FieldMap, const T extends string>(
  type: T,
  doc: string,
  fields: F,
  handler: (u: AmdviUnit, d: Decoded<F>) => UapiResult<JsonValue>,
) {
  return defineCommand(type, {
    doc,
    fields,
    handler: (u: AmdviUnit, d: Decoded<F>) => {
      try {
        return handler(u, d);
      } catch (e) {
        if (e instanceof RangeError || e instanceof TypeError)
          throw new ViommuError(ERROR_CODES.COMMAND_INVALID, `${type}: ${e.message}`);
        throw e;
      }
    },
  });
}

const reg = oneOf(Object.keys(AMDVI_MMIO) as AmdviMmioName[]).describe('an MMIO register by name');
const deviceId = u16().describe('the DeviceID (requester id)');
const tableRoot = addr(53, { int: true }).describe('the root of a table made by amdvi.pagetable.create');
const qword = u64({ int: true });

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

export const unitInit = amdviCommand(
  'amdvi.unit.init',
  'Allocates the device table, command buffer and event log, programs their base registers and (unless enable is false) sets IOMMUEn, EventLogEn and CmdBufEn, as the Linux driver does.',
  {
    devTabPages: int(1, 512).describe('device-table size in 4 KiB pages').def(512),
    cmdLen: int(8, 15).describe('command buffer: log2 of its entries').def(9),
    evtLen: int(8, 15).describe('event log: log2 of its entries').def(9),
    enable: bool().def(true),
  },
  (u, d) => {
    const devTab = u.frames.alloc(d.devTabPages);
    const cmd = u.frames.alloc((16 * 2 ** d.cmdLen) / 4096);
    const evt = u.frames.alloc((16 * 2 ** d.evtLen) / 4096);
    const writes: [AmdviMmioName, bigint][] = [
      ['DEV_TAB_BASE', BigInt(devTab) | BigInt(d.devTabPages - 1)],
      ['CMD_BUF_BASE', BigInt(cmd) | (BigInt(d.cmdLen) << 56n)],
      ['EVT_LOG_BASE', BigInt(evt) | (BigInt(d.evtLen) << 56n)],
    ];
    if (d.enable) writes.push(['CONTROL', AMDVI_CTRL.IOMMUEn | AMDVI_CTRL.EventLogEn | AMDVI_CTRL.CmdBufEn]);
    for (const [r, v] of writes) {
      const w = mmioWrite(u, r, v);
      if (!w.ok) return w;
    }
    return ok({ devTab: hex64(devTab), cmdBuf: hex64(cmd), evtLog: hex64(evt) });
  },
);

export const mmioWriteCommand = amdviCommand(
  'amdvi.mmio.write',
  'Writes an MMIO register; a write to CMD_TAIL or CONTROL runs the command buffer.',
  { reg, value: u64({ int: true }) },
  (u, d) => mmioWrite(u, d.reg, d.value),
);

export const mmioRead = amdviCommand('amdvi.mmio.read', 'Reads an MMIO register.', { reg }, (u, d) =>
  ok(hex64(u.regs.read(d.reg))),
);

const DTE_BOOLS = ['v', 'tv', 'ir', 'iw', 'i', 'se', 'sa', 'ppr', 'giov', 'gv'] as const;
const dteBool = bool().def(false);

export const dteWrite = amdviCommand(
  'amdvi.dte.write',
  'Writes a DTE in guest memory only, by fields or as raw q0..q3; the guest must still issue INVALIDATE_DEVTAB_ENTRY.',
  {
    deviceId,
    raw: list(qword, { sizes: [4] })
      .describe('the four 64-bit words q0..q3 (instead of the fields)')
      .opt(),
    v: dteBool,
    tv: dteBool,
    ir: dteBool,
    iw: dteBool,
    i: dteBool,
    se: dteBool,
    sa: dteBool,
    ppr: dteBool,
    giov: dteBool,
    gv: dteBool,
    mode: int(0, 7).describe('paging mode (levels; 0 = no translation)').def(0),
    had: int(0, 3).def(0),
    glx: int(0, 3).def(0),
    domainId: u16().def(0),
    root: addr(53, { int: true }).describe('page-table root, 4 KiB aligned').opt(),
  },
  (u, d) => {
    const devid = d.deviceId;
    if (u.regs.devTabPages === 0)
      return fail('EINVAL', 'DEV_TAB_BASE is not programmed (run amdvi.unit.init)');
    if (devid >= u.regs.devTabPages * 128)
      return fail('EINVAL', `deviceId: 0x${devid.toString(16)} is beyond the device table`);
    const base = u.regs.devTabBase;
    if (d.raw !== undefined) {
      for (let i = 0; i < 4; i++) writeU64(u.mem, base + devid * DTE_BYTES + i * 8, d.raw[i]!);
      return ok(null);
    }
    const dte: Dte = emptyDte();
    for (const k of DTE_BOOLS) dte[k] = d[k];
    dte.mode = d.mode;
    dte.had = d.had;
    dte.glx = d.glx;
    dte.domainId = d.domainId;
    const root = d.root ?? 0;
    if (root % 4096 !== 0) throw new RangeError(`root: 0x${root.toString(16)} is not 4 KiB aligned`);
    dte.rootPfn = root / 4096;
    writeDte(u.mem, base, devid, dte);
    return ok(null);
  },
);

export const dteRead = amdviCommand('amdvi.dte.read', 'Reads and decodes a DTE.', { deviceId }, (u, d) => {
  const at = u.regs.devTabBase + d.deviceId * DTE_BYTES;
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
});

export const tableCreate = amdviCommand(
  'amdvi.pagetable.create',
  'Makes an empty v1 page table: at `root` when given (an aligned page the scenario reserves; it is zeroed), else from the allocator.',
  { mode: int(1, 6).describe('paging mode: levels of the table'), root: addr(53, { int: true }).opt() },
  (u, d) => {
    let rootPfn: number | undefined;
    if (d.root !== undefined) {
      const root = d.root;
      if (root % 4096 !== 0 || !u.mem.isBacked(root, 4096))
        throw new RangeError(`root: 0x${root.toString(16)} is not an aligned page inside memory`);
      rootPfn = root / 4096;
      u.mem.pageForWrite(rootPfn).fill(0);
    }
    const b = new V1TableBuilder(u.mem, u.frames, d.mode, rootPfn);
    u.tables.set(b.rootPfn * 4096, b);
    return ok({ root: hex64(b.rootPfn * 4096), mode: d.mode });
  },
);

function tableOf(u: AmdviUnit, root: number): V1TableBuilder {
  const b = u.tables.get(root);
  if (!b) throw new RangeError(`root: 0x${root.toString(16)} is not a table made by amdvi.pagetable.create`);
  return b;
}

export const tableMap = amdviCommand(
  'amdvi.pagetable.map',
  'Maps one page (or a larger page of `size` bytes) in a table, without any invalidation.',
  {
    root: tableRoot,
    iova: u64({ int: true }),
    pa: u64({ int: true }),
    size: u64({ int: true }).describe('page size in bytes, a power of two >= 4096').def(4096),
    ir: bool().def(true),
    iw: bool().def(true),
    skip: int(0, 5).describe('levels skipped above the leaf').def(0),
  },
  (u, d) => {
    const b = tableOf(u, d.root);
    const size = d.size;
    if (size < 4096n || (size & (size - 1n)) !== 0n)
      throw new RangeError(`size: ${hex(size)} is not a power of two >= 4096`);
    const shift = size.toString(2).length - 1;
    b.map(Number(d.iova >> 12n), Number(d.pa >> 12n), shift, { ir: d.ir, iw: d.iw, skip: d.skip });
    return ok(null);
  },
);

export const tableUnmap = amdviCommand(
  'amdvi.pagetable.unmap',
  'Clears the entry of `iova` at `level`, without any invalidation (ENOENT when there is none).',
  { root: tableRoot, iova: u64({ int: true }), level: int(1, 6).def(1) },
  (u, d) => {
    const b = tableOf(u, d.root);
    const cleared = b.clear(Number(d.iova >> 12n), d.level);
    return cleared ? ok(null) : fail('ENOENT', `iova: ${hex64(d.iova)} has no entry at that level`);
  },
);

/** A command-buffer entry by its operands (AMD IOMMU spec "Commands"), or raw. */
const bufferCommand = tagged(
  'op',
  {
    COMPLETION_WAIT: {
      s: bool().describe('store `data` at `storeAddr`').def(false),
      i: bool().describe('interrupt').def(false),
      f: bool().describe('flush queue').def(false),
      storeAddr: addr(53, { int: true }).def(0),
      data: u64({ int: true }).def(0),
    },
    INVALIDATE_DEVTAB_ENTRY: { deviceId },
    INVALIDATE_INTERRUPT_TABLE: { deviceId },
    INVALIDATE_IOMMU_PAGES: {
      domainId: u16(),
      pasid: pasid().def(0),
      gn: bool().def(false),
      pde: bool().def(true),
      all: bool().describe('the whole domain').def(false),
      iova: u64({ int: true }).describe('first address, with `pages` (encoded as Linux does)').opt(),
      pages: pages(Number.MAX_SAFE_INTEGER).def(1),
      address: u64({ int: true }).describe('the raw address field, with `s`').opt(),
      s: bool().def(false),
    },
    INVALIDATE_IOMMU_ALL: {},
  },
  { raw: list(qword, { sizes: [2] }).describe('two 64-bit words, for commands not encoded by name') },
);

function commandOf(c: ValueOf<typeof bufferCommand>): AmdviCommand | readonly bigint[] {
  if (!('op' in c)) return c.raw;
  switch (c.op) {
    case 'INVALIDATE_IOMMU_PAGES': {
      const { domainId, pasid, gn, pde } = c;
      const op = c.op;
      // Three ways to name the range: all, iova + pages (encoded as Linux does), or address + s raw.
      if (c.all) return { op, domainId, pasid, gn, pde, s: true, addrPfn: 2 ** 52 - 1 };
      if (c.iova !== undefined) {
        const r = encodeInvRange(Number(c.iova >> 12n), c.pages);
        return { op, domainId, pasid, gn, pde, s: r.s, addrPfn: r.addrPfn };
      }
      if (c.address === undefined) throw new RangeError('address: missing (give all, iova or address)');
      return { op, domainId, pasid, gn, pde, s: c.s, addrPfn: Number(c.address >> 12n) };
    }
    default:
      return c;
  }
}

export const commandSubmit = amdviCommand(
  'amdvi.command.submit',
  'Writes commands at CMD_TAIL, moves the tail past them and runs the buffer (EBUSY when full).',
  { commands: list(bufferCommand, { min: 1 }) },
  (u, d) => {
    const r = u.regs;
    if (r.cmdBytes === 0) return fail('EINVAL', 'CMD_BUF_BASE is not programmed (run amdvi.unit.init)');
    const words = d.commands.map((c) => {
      const cmd = commandOf(c);
      return Array.isArray(cmd)
        ? [...u64ToWords(cmd[0] as bigint), ...u64ToWords(cmd[1] as bigint)]
        : encodeCommand(cmd as AmdviCommand);
    });
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
  },
);

export const eventlogRead = amdviCommand(
  'amdvi.eventlog.read',
  'The entries between EVT_HEAD and EVT_TAIL; moves the head.',
  {},
  (u) =>
    ok(
      u.log.drain().map((e) => ({
        code: e.code,
        name: eventName(e.code),
        deviceId: e.deviceId,
        tag: e.tag,
        pasidHi: e.pasidHi,
        flags: e.flags,
        address: hex64(e.address),
      })),
    ),
);

/** The AMD-Vi unit's commands. */
export const AMDVI_COMMANDS = [
  unitInit,
  mmioWriteCommand,
  mmioRead,
  dteWrite,
  dteRead,
  tableCreate,
  tableMap,
  tableUnmap,
  commandSubmit,
  eventlogRead,
];

declare module '../../core/command/catalog.js' {
  interface CommandMap extends CommandsOf<typeof AMDVI_COMMANDS> {}
}
