/**
 * Unit commands (`smmuv3.<subject>.<verb>`) that let JSON scenarios program
 * this SMMU: registers, stream table, STEs, CDs, page tables, the command and
 * event queues, and the proposed UAPI's attach/detach. 64-bit values are
 * "0x..." strings; every field is checked and an error names it.
 */
import { ERROR_CODES, ViommuError } from '../../core/errors/viommu-error.js';
import type { JsonObject, JsonValue } from '../../core/plugin/contract.js';
import { type ErrnoCode, fail, ok, type UapiResult } from '../../core/uapi/errno.js';
import { locateSte } from './config.js';
import { FaultInfo } from './fault-info.js';
import { SMMU_EVENT_NAME } from './faults.js';
import { IOMMU_PASID_CONFIG } from './proposed-uapi.js';
import { CD_LAYOUT, type CdFields } from './structures/cd.js';
import {
  CMD_LAYOUT,
  CMD_OP,
  CMD_WORDS,
  type CmdFields,
  cmdAddrFields,
  encodeCmd,
} from './structures/command.js';
import { decodeEvent, EVENT_BYTES } from './structures/event-record.js';
import { fieldMax, type Layout } from './structures/layout.js';
import {
  CR0,
  queueBaseAddr,
  queueLog2Size,
  REG,
  type RegName,
  STRTAB_FMT,
  STRTAB_SPLITS,
  WRITABLE_REGS,
} from './structures/registers.js';
import { decodeL1Std, STE_LAYOUT, type SteFields } from './structures/ste.js';
import { attachPasidTable, detachPasidTable } from './uapi.js';
import type { NamedTable, SmmuUnit } from './unit.js';

function bad(field: string, want: string, got: unknown): never {
  throw new ViommuError(
    ERROR_CODES.COMMAND_INVALID,
    `${field}: expected ${want}, got ${JSON.stringify(got)}`,
  );
}

function int(data: JsonObject, field: string, min: number, max: number, fallback?: number): number {
  const v = data[field];
  if (v === undefined && fallback !== undefined) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    bad(field, `an integer in [${min}, ${max}]`, v);
  return v;
}

/** A value below 2^limitBits given as a non-negative integer or "0x..." hex. */
function num(data: JsonObject, field: string, limitBits = 52, fallback?: number): number {
  const v = data[field];
  if (v === undefined && fallback !== undefined) return fallback;
  let n: number | undefined;
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) n = v;
  else if (typeof v === 'string' && /^0x[0-9a-fA-F]+$/.test(v)) {
    const b = BigInt(v);
    if (b < 2n ** BigInt(limitBits)) n = Number(b);
  }
  if (n === undefined || n >= 2 ** limitBits)
    bad(field, `a value below 2^${limitBits} ("0x..." or an integer)`, v);
  return n;
}

/** A 64-bit value as its page number (value >> 12, < 2^52) and offset. */
function addr64(data: JsonObject, field: string): { pfn: number; offset: number } {
  const v = data[field];
  if (typeof v === 'string' && /^0x[0-9a-fA-F]{1,16}$/.test(v)) {
    const b = BigInt(v);
    return { pfn: Number(b >> 12n), offset: Number(b & 0xfffn) };
  }
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0)
    return { pfn: Math.floor(v / 4096), offset: v % 4096 };
  return bad(field, 'a 64-bit address ("0x...")', v);
}

function str<T extends string>(data: JsonObject, field: string, allowed: readonly T[], fallback?: T): T {
  const v = data[field];
  if (v === undefined && fallback !== undefined) return fallback;
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v))
    bad(field, `one of ${allowed.join(', ')}`, v);
  return v as T;
}

function obj(data: JsonObject, field: string): JsonObject {
  const v = data[field];
  if (typeof v !== 'object' || v === null || Array.isArray(v)) bad(field, 'an object', v);
  return v as JsonObject;
}

/** Fields of a layout given by their spec names: every name must exist and every value fit. */
function layoutFields<L extends Layout>(
  layout: L,
  data: JsonObject,
  field: string,
): { [K in keyof L]?: number } {
  const out: { [k: string]: number } = {};
  for (const [name, v] of Object.entries(data)) {
    const spec = layout[name];
    if (spec === undefined) bad(`${field}.${name}`, `a field of ${Object.keys(layout).join(', ')}`, name);
    const max = fieldMax(spec);
    const n = num(data, name, spec.addr ? spec.msb + 1 : 53);
    if (n > max || (spec.addr && n % 2 ** spec.lsb !== 0))
      bad(
        `${field}.${name}`,
        `a value <= 0x${max.toString(16)}${spec.addr ? `, ${2 ** spec.lsb}-byte aligned` : ''}`,
        v,
      );
    out[name] = n;
  }
  return out as { [K in keyof L]?: number };
}

const hex = (n: number): string => `0x${n.toString(16)}`;

export function runCommand(unit: SmmuUnit, type: string, data: JsonObject): UapiResult<JsonValue> {
  const handler = HANDLERS[type];
  if (handler === undefined)
    return fail(
      'EOPNOTSUPP',
      `unknown smmuv3 command "${type}" (known: ${Object.keys(HANDLERS).join(', ')})`,
    );
  return handler(unit, data);
}

type Handler = (unit: SmmuUnit, data: JsonObject) => UapiResult<JsonValue>;

const HANDLERS: { readonly [type: string]: Handler } = {
  /** Writes a register: { reg, value }. Writing CMDQ_PROD consumes the command queue. */
  'smmuv3.reg.write': (u, d) => {
    const reg = str(d, 'reg', WRITABLE_REGS);
    const value = num(d, 'value', 52);
    return ok(writeReg(u, reg, value));
  },
  'smmuv3.reg.read': (u, d) => {
    const reg = str(d, 'reg', Object.keys(REG) as RegName[]);
    return ok(hex(u.regs.read(reg)));
  },
  /**
   * Sets the SMMU up as a driver would: { strtab: 'linear' | '2level', log2size, split, cmdqLog2, evtqLog2 };
   * allocates the stream table and queues, programs the registers and enables SMMUEN, CMDQEN and EVTQEN.
   */
  'smmuv3.init': (u, d) => {
    const fmt = str(d, 'strtab', ['linear', '2level'] as const, 'linear');
    const log2size = int(d, 'log2size', 0, u.options.sidBits, Math.min(8, u.options.sidBits));
    const split = fmt === '2level' ? int(d, 'split', 6, 10, 8) : 0;
    if (fmt === '2level' && !STRTAB_SPLITS.includes(split)) bad('split', 'one of 6, 8, 10', split);
    const cmdqLog2 = int(d, 'cmdqLog2', 1, 19, 8);
    const evtqLog2 = int(d, 'evtqLog2', 1, 19, 8);
    const b = u.builder;
    const base = fmt === 'linear' ? b.linearStreamTable(log2size) : b.twoLevelStreamTable(log2size, split);
    const cmdq = b.alloc(16 * 2 ** cmdqLog2);
    const evtq = b.alloc(32 * 2 ** evtqLog2);
    writeReg(u, 'STRTAB_BASE', base);
    writeReg(
      u,
      'STRTAB_BASE_CFG',
      log2size | (split << 6) | ((fmt === 'linear' ? STRTAB_FMT.LINEAR : STRTAB_FMT.TWO_LEVEL) << 16),
    );
    writeReg(u, 'CMDQ_BASE', cmdq + cmdqLog2);
    writeReg(u, 'EVTQ_BASE', evtq + evtqLog2);
    writeReg(u, 'CR0', CR0.SMMUEN | CR0.CMDQEN | CR0.EVTQEN);
    return ok({ strtab: hex(base), cmdq: hex(cmdq), evtq: hex(evtq) });
  },
  /**
   * Writes the STE of { sid } with { fields: { V, Config, S2TTB: "0x...", ... } } (2-level: adds the L2 table).
   * By name instead of address: { cd: a CD named by smmuv3.cd.write (S1ContextPtr), s2Table: a stage-2 table
   * (S2TTB, S2TG, S2SL0 and S2T0SZ from its geometry, S2AA64 = 1, S2PS = 48 bits) }; `fields` wins.
   */
  'smmuv3.ste.write': (u, d) => {
    const sid = int(d, 'sid', 0, 2 ** u.options.sidBits - 1);
    const given = layoutFields(STE_LAYOUT, obj(d, 'fields'), 'fields') as Partial<SteFields>;
    const named: Partial<SteFields> = {};
    if (d.cd !== undefined) {
      const at = typeof d.cd === 'string' ? u.cds.get(d.cd) : undefined;
      if (at === undefined) bad('cd', 'the name of a CD written by smmuv3.cd.write', d.cd);
      named.S1ContextPtr = at;
    }
    if (d.s2Table !== undefined) {
      const t = namedTable(u, d, 's2Table', 2);
      named.S2TTB = t.table;
      named.S2TG = t.granule === 12 ? 0 : t.granule === 16 ? 1 : 2;
      named.S2SL0 = t.granule === 12 ? 2 - t.startLevel : 3 - t.startLevel;
      named.S2T0SZ = 64 - t.inputBits;
      named.S2AA64 = 1;
      named.S2PS = 5;
    }
    const addr = steSlot(u, sid);
    u.builder.writeSte(addr, { ...named, ...given });
    return ok({ addr: hex(addr) });
  },
  /**
   * Writes a CD: { addr? (allocated when absent), name?, fields: { V, T0SZ, TTB0: "0x...", ... } }.
   * { ttb0 / ttb1: a stage-1 table name } fill TTBx, TGx and TxSZ from its geometry; `fields` wins.
   */
  'smmuv3.cd.write': (u, d) => {
    const given = layoutFields(CD_LAYOUT, obj(d, 'fields'), 'fields') as Partial<CdFields>;
    const named: Partial<CdFields> = {};
    if (d.ttb0 !== undefined) {
      const t = namedTable(u, d, 'ttb0', 1);
      named.TTB0 = t.table;
      named.TG0 = t.granule === 12 ? 0 : t.granule === 16 ? 1 : 2;
      named.T0SZ = 64 - t.inputBits;
    }
    if (d.ttb1 !== undefined) {
      const t = namedTable(u, d, 'ttb1', 1);
      named.TTB1 = t.table;
      named.TG1 = t.granule === 12 ? 2 : t.granule === 16 ? 3 : 1;
      named.T1SZ = 64 - t.inputBits;
    }
    const addr = d.addr === undefined ? u.builder.alloc(64) : num(d, 'addr');
    if (addr % 64 !== 0) bad('addr', 'a 64-byte aligned address', d.addr);
    u.builder.writeCd(addr, { ...named, ...given });
    if (d.name !== undefined) {
      if (typeof d.name !== 'string' || d.name.length === 0) bad('name', 'a non-empty string', d.name);
      u.cds.set(d.name, addr);
    }
    return ok({ addr: hex(addr) });
  },
  /** Makes page-table root { name, stage: 1|2, granule: 4096|16384|65536, inputBits, sl0? (stage 2) }. */
  'smmuv3.table.create': (u, d) => {
    const name =
      typeof d.name === 'string' && d.name.length > 0 ? d.name : bad('name', 'a non-empty string', d.name);
    const stage = int(d, 'stage', 1, 2) as 1 | 2;
    const granule = int(d, 'granule', 4096, 65536);
    if (![4096, 16384, 65536].includes(granule)) bad('granule', '4096, 16384 or 65536', granule);
    const g = Math.log2(granule);
    const inputBits = int(d, 'inputBits', 25, 48);
    const root =
      stage === 1
        ? u.builder.s1Root(g, inputBits)
        : u.builder.s2Root(g, inputBits, int(d, 'sl0', 0, 2, g === 12 ? (inputBits > 39 ? 2 : 1) : 1));
    u.tables.set(name, { ...root, stage, inputBits });
    return ok({ table: hex(root.table), startLevel: root.startLevel, startEntries: root.startEntries });
  },
  /**
   * Maps { table, iova: "0x...", pa: "0x...", level?: 3, ap?: 0-3 (stage 1 AP[2:1]), s2ap?: 0-3, af?, pxn?, uxn?,
   * via?: name of a stage-2 table that translates this (nested stage-1) table's IPAs }.
   */
  'smmuv3.table.map': (u, d) => {
    const t = typeof d.table === 'string' ? u.tables.get(d.table) : undefined;
    if (!t) bad('table', 'the name of a table made by smmuv3.table.create', d.table);
    const { pfn } = addr64(d, 'iova');
    const pa = num(d, 'pa', 48);
    const level = int(d, 'level', t.startLevel, 3, 3);
    const via = d.via === undefined ? undefined : u.tables.get(String(d.via));
    if (d.via !== undefined && via?.stage !== 2) bad('via', 'the name of a stage-2 table', d.via);
    const attrs = {
      ap: int(d, 'ap', 0, 3, 1),
      s2ap: int(d, 's2ap', 0, 3, 3),
      af: d.af === undefined ? true : d.af === true,
      pxn: d.pxn === true,
      uxn: d.uxn === true,
    };
    const toPa = via ? (ipa: number) => ipaToPa(u, via, ipa) : undefined;
    try {
      const at = u.builder.map(t, pfn, pa, level, t.stage, attrs, { toPa });
      return ok({ descriptor: hex(at) });
    } catch (e) {
      if (e instanceof RangeError)
        throw new ViommuError(ERROR_CODES.COMMAND_INVALID, `table.map: ${e.message}`);
      throw e;
    }
  },
  /**
   * Clears the leaf (page or block) that maps { table, iova } — no invalidation, as a driver's unmap
   * before its TLBI — { via?: stage-2 table name for a nested stage-1 table }. EINVAL if nothing maps it.
   */
  'smmuv3.table.unmap': (u, d) => {
    const t = typeof d.table === 'string' ? u.tables.get(d.table) : undefined;
    if (!t) bad('table', 'the name of a table made by smmuv3.table.create', d.table);
    const { pfn } = addr64(d, 'iova');
    const via = d.via === undefined ? undefined : u.tables.get(String(d.via));
    if (d.via !== undefined && via?.stage !== 2) bad('via', 'the name of a stage-2 table', d.via);
    const toPa = via ? (ipa: number) => ipaToPa(u, via, ipa) : (a: number) => a;
    const g = t.granule;
    let table = t.table;
    let entries = t.startEntries;
    for (let l = t.startLevel; l <= 3; l++) {
      const shift = g + (3 - l) * (g - 3);
      const at = toPa(table + (Math.floor(pfn / 2 ** (shift - 12)) % entries) * 8);
      const [lo, hi] = u.builder.readDesc(at);
      if ((lo & 1) === 0) break;
      if (l === 3 || (lo & 2) === 0) {
        u.builder.writeDesc(at, [0, 0]);
        return ok({ descriptor: hex(at), level: l });
      }
      const next = (hi & 0xffff) * 0x1_0000_0000 + lo;
      table = next - (next % 2 ** g);
      entries = 2 ** (g - 3);
    }
    return fail('EINVAL', `table.unmap: ${String(d.iova)} is not mapped in "${d.table}"`);
  },
  /**
   * Submits commands to the command queue and writes CMDQ_PROD: { commands: [ { op: "CMD_TLBI_NH_VA", vmid, asid,
   * addr, tg, num, scale, ttl, leaf, sid, ssid, range, cs, ... } | { raw: ["0x<dw0>", "0x<dw1>"] } ] }.
   */
  'smmuv3.cmdq.submit': (u, d) => {
    const list = d.commands;
    if (!Array.isArray(list) || list.length === 0) bad('commands', 'a non-empty array', list);
    const r = u.regs;
    if ((r.cr0 & CR0.CMDQEN) === 0)
      return fail('EINVAL', 'command queue disabled (CR0.CMDQEN = 0): run smmuv3.init');
    const log2 = queueLog2Size(r.cmdqBase);
    const wrap = 2 ** (log2 + 1);
    let prod = r.cmdqProd % wrap;
    list.forEach((c, i) => {
      if (typeof c !== 'object' || c === null || Array.isArray(c)) bad(`commands[${i}]`, 'an object', c);
      const w = encodeJsonCommand(c as JsonObject, `commands[${i}]`);
      const cons = r.cmdqCons % wrap;
      if (prod % 2 ** log2 === cons % 2 ** log2 && prod !== cons) {
        throw new ViommuError(
          ERROR_CODES.COMMAND_INVALID,
          `commands[${i}]: command queue full (${2 ** log2} entries)`,
        );
      }
      u.builder.mem.writeBytes(queueBaseAddr(r.cmdqBase) + (prod % 2 ** log2) * 16, new Uint8Array(w.buffer));
      prod = (prod + 1) % wrap;
    });
    return ok(writeReg(u, 'CMDQ_PROD', prod));
  },
  /** Reads the records between EVTQ_CONS and EVTQ_PROD and moves CONS past them (the driver's event thread). */
  'smmuv3.evtq.read': (u) => {
    const r = u.regs;
    const log2 = queueLog2Size(r.evtqBase);
    const wrap = 2 ** (log2 + 1);
    const out: JsonValue[] = [];
    let cons = r.evtqCons % wrap;
    while (cons !== r.evtqProd % wrap) {
      const at = queueBaseAddr(r.evtqBase) + (cons % 2 ** log2) * EVENT_BYTES;
      const w = new Uint32Array(u.builder.mem.readBytes(at, EVENT_BYTES).buffer);
      const e = decodeEvent(w);
      const input = (BigInt(e.InputAddrHi) << 32n) | BigInt(e.InputAddrLo);
      // dw3 whole: the IPA (51:12) of a stage-2 fault or the fetch address (51:3) of a fetch abort.
      const dw3 = (BigInt(w[7]!) << 32n) | BigInt(w[6]!);
      out.push({
        type: e.Type,
        name: SMMU_EVENT_NAME[e.Type] ?? hex(e.Type),
        sid: e.SID,
        ssv: e.SSV,
        ssid: e.SSID,
        rnw: e.RnW,
        ind: e.InD,
        pnu: e.PnU,
        s2: e.S2,
        class: e.CLASS,
        input: `0x${input.toString(16)}`,
        dw3: `0x${dw3.toString(16)}`,
      });
      cons = (cons + 1) % wrap;
    }
    r.evtqCons = ((r.evtqProd & 0x8000_0000) | cons) >>> 0;
    return ok({ events: out, overflow: (r.evtqProd & 0x8000_0000) !== 0 });
  },
  /** Acknowledges global errors (GERRORN = GERROR), resuming a halted command queue on the next PROD write. */
  'smmuv3.gerror.ack': (u) => ok(writeReg(u, 'GERRORN', u.regs.gerror)),
  /**
   * Proposed UAPI only: attach_pasid_table { device sid: sid, config: translate|bypass|abort, basePtr: "0x...",
   * pasidBits?: 0, version?: 1, format?: 1 }.
   */
  'smmuv3.pasid-table.attach': (u, d) => {
    if (u.options.profile !== 'proposed')
      return fail('ENODEV', 'attach_pasid_table exists only in the proposed profile');
    const sid = int(d, 'sid', 0, 2 ** u.options.sidBits - 1);
    const config = str(d, 'config', ['translate', 'bypass', 'abort'] as const);
    const r: ErrnoCode = attachPasidTable(u, sid, {
      argsz: 40,
      version: int(d, 'version', 0, 255, 1),
      format: int(d, 'format', 0, 255, 1),
      basePtr: num(d, 'basePtr', 52, 0),
      pasidBits: int(d, 'pasidBits', 0, 20, 0),
      config: IOMMU_PASID_CONFIG[config.toUpperCase() as 'TRANSLATE' | 'BYPASS' | 'ABORT'],
      smmuv3: { version: 1, s1fmt: int(d, 's1fmt', 0, 3, 0), s1dss: int(d, 's1dss', 0, 3, 0) },
    });
    return r === 0 ? ok(null) : fail(r, `attach_pasid_table refused (${r})`);
  },
  'smmuv3.pasid-table.detach': (u, d) => {
    if (u.options.profile !== 'proposed')
      return fail('ENODEV', 'detach_pasid_table exists only in the proposed profile');
    const r = detachPasidTable(u, int(d, 'sid', 0, 2 ** u.options.sidBits - 1));
    return r === 0 ? ok(null) : fail(r, `detach_pasid_table refused (${r})`);
  },
};

/** Every command type an SMMUv3 unit accepts. */
export const SMMUV3_COMMANDS: readonly string[] = Object.keys(HANDLERS);

/** The table named by field `field`, which must be of `stage`. */
function namedTable(u: SmmuUnit, d: JsonObject, field: string, stage: 1 | 2): NamedTable {
  const t = typeof d[field] === 'string' ? u.tables.get(d[field] as string) : undefined;
  if (t?.stage !== stage)
    bad(field, `the name of a stage-${stage} table made by smmuv3.table.create`, d[field]);
  return t;
}

/** Software register write with its side effects; returns what happened. */
export function writeReg(u: SmmuUnit, reg: RegName, value: number): JsonValue {
  const r = u.regs;
  switch (reg) {
    case 'CR0':
      r.cr0 = value >>> 0;
      break;
    case 'GBPA':
      r.gbpa = (value & ~0x8000_0000) >>> 0; // UPDATE completes at once
      break;
    case 'IRQ_CTRL':
      r.irqCtrl = value >>> 0;
      break;
    case 'GERRORN':
      r.gerrorn = value >>> 0;
      break;
    case 'STRTAB_BASE':
      r.strtabBase = value - (value % 64);
      break;
    case 'STRTAB_BASE_CFG':
      r.strtabCfg = value >>> 0;
      break;
    case 'CMDQ_BASE':
      r.cmdqBase = value;
      r.cmdqProd = 0;
      r.cmdqCons = 0;
      break;
    case 'EVTQ_BASE':
      r.evtqBase = value;
      r.evtqProd = 0;
      r.evtqCons = 0;
      break;
    case 'EVTQ_CONS':
      r.evtqCons = value >>> 0;
      break;
    case 'CMDQ_PROD': {
      r.cmdqProd = value >>> 0;
      u.deps.events.emit('smmuv3.register.written', { unit: u.id, reg, value: hex(value) });
      const rep = u.consumeQueue();
      return {
        executed: rep.executed.length,
        error:
          rep.error && !rep.error.ok
            ? { op: rep.error.op, cerror: rep.error.cerror, reason: rep.error.reason }
            : null,
        idle: rep.idle,
        cons: hex(r.cmdqCons),
      };
    }
    default:
      bad('reg', 'a writable register', reg);
  }
  u.deps.events.emit('smmuv3.register.written', { unit: u.id, reg, value: hex(value) });
  return { reg, value: hex(value) };
}

/** Address of sid's STE, adding a level-2 table (Span = SPLIT + 1) in a 2-level stream table when needed. */
function steSlot(u: SmmuUnit, sid: number): number {
  const st = u.regs.strtab();
  if (sid >= 2 ** st.log2size)
    bad('sid', `a StreamID below 2^${st.log2size} (STRTAB_BASE_CFG.LOG2SIZE)`, sid);
  if (st.fmt === STRTAB_FMT.TWO_LEVEL) {
    const l1Addr = st.base + Math.floor(sid / 2 ** st.split) * 8;
    const l1 = decodeL1Std(u.builder.readDesc(l1Addr));
    if (l1.Span === 0) u.builder.addL2(st.base, Math.floor(sid / 2 ** st.split), st.split + 1);
  }
  const addr = locateSte(u.builder.mem, u.hw, st, sid, new FaultInfo(), { n: 0 });
  if (addr === null) bad('sid', 'a StreamID the stream table covers', sid);
  return addr;
}

function ipaToPa(
  u: SmmuUnit,
  s2: { granule: number; startLevel: number; table: number; startEntries: number },
  ipa: number,
): number {
  // Walk the stage-2 table by hand (set-up only): the builder's tables are always valid.
  let table = s2.table;
  let entries = s2.startEntries;
  const g = s2.granule;
  for (let l = s2.startLevel; l <= 3; l++) {
    const shift = g + (3 - l) * (g - 3);
    const idx = Math.floor(ipa / 2 ** shift) % entries;
    const [lo, hi] = u.builder.readDesc(table + idx * 8);
    if ((lo & 1) === 0)
      throw new ViommuError(
        ERROR_CODES.COMMAND_INVALID,
        `via: IPA 0x${ipa.toString(16)} is not mapped at stage 2`,
      );
    const a = (hi & 0xffff) * 0x1_0000_0000 + lo;
    if (l === 3 || (lo & 2) === 0) return a - (a % 2 ** shift) + (ipa % 2 ** shift);
    table = a - (a % 2 ** g);
    entries = 2 ** (g - 3);
  }
  throw new ViommuError(ERROR_CODES.COMMAND_INVALID, 'via: stage-2 walk did not end');
}

const OP_ALIASES: { readonly [name: string]: Partial<CmdFields> } = {
  CMD_CFGI_ALL: { Op: CMD_OP.CMD_CFGI_STE_RANGE, Range: 31 },
};

/** A JSON command: { op, ...operands in camelCase } or { raw: [dw0, dw1] }. */
export function encodeJsonCommand(c: JsonObject, field: string): Uint32Array {
  if (c.raw !== undefined) {
    const raw = c.raw;
    if (!Array.isArray(raw) || raw.length !== 2) bad(`${field}.raw`, 'two "0x..." dwords', raw);
    const w = new Uint32Array(CMD_WORDS);
    raw.forEach((v, i) => {
      if (typeof v !== 'string' || !/^0x[0-9a-fA-F]{1,16}$/.test(v))
        bad(`${field}.raw[${i}]`, 'a "0x..." dword', v);
      const b = BigInt(v);
      w[2 * i] = Number(b & 0xffff_ffffn);
      w[2 * i + 1] = Number(b >> 32n);
    });
    return w;
  }
  const opName = c.op;
  if (typeof opName !== 'string' || !(opName in CMD_OP || opName in OP_ALIASES)) {
    bad(
      `${field}.op`,
      `a command name (${[...Object.keys(CMD_OP), ...Object.keys(OP_ALIASES)].join(', ')})`,
      opName,
    );
  }
  const f: Partial<CmdFields> = { ...(OP_ALIASES[opName] ?? { Op: CMD_OP[opName as keyof typeof CMD_OP] }) };
  const sub = (name: keyof CmdFields, key: string): void => {
    if (c[key] === undefined) return;
    const spec = CMD_LAYOUT[name];
    const v = num(c, key, 53);
    if (v > fieldMax(spec)) bad(`${field}.${key}`, `a value <= 0x${fieldMax(spec).toString(16)}`, c[key]);
    f[name] = v;
  };
  sub('SID', 'sid');
  sub('SSID', 'ssid');
  sub('SSV', 'ssv');
  sub('SSec', 'ssec');
  sub('VMID', 'vmid');
  sub('ASID', 'asid');
  sub('Leaf', 'leaf');
  sub('Range', 'range');
  sub('TTL', 'ttl');
  sub('TG', 'tg');
  sub('NUM', 'num');
  sub('SCALE', 'scale');
  sub('CS', 'cs');
  if (c.addr !== undefined) Object.assign(f, cmdAddrFields(addr64(c, `addr`).pfn));
  if (c.ipa !== undefined) {
    const ipa = num(c, 'ipa', 52);
    f.IPA = ipa - (ipa % 4096);
  }
  return encodeCmd(f);
}
