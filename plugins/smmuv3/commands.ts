/**
 * Unit commands (`smmuv3.<subject>.<verb>`) that let JSON scenarios program
 * this SMMU: registers, stream table, STEs, CDs, page tables, the command and
 * event queues, and the proposed UAPI's attach/detach. 64-bit values are
 * "0x..." strings; the catalog checks every field (and a layout's field names and
 * widths) before a handler runs, and an error names the field.
 */
import { type CommandsOf, defineCommand, fieldFault } from '../../core/command/catalog.js';
import {
  addr,
  bool,
  type Decoded,
  type Field,
  type FieldMap,
  int,
  list,
  numberIn,
  obj,
  oneOf,
  str,
  tagged,
  u32,
  u64,
  type ValueOf,
} from '../../core/command/field.js';
import { ERROR_CODES, ViommuError } from '../../core/errors/viommu-error.js';
import { hex64 } from '../../core/model/hex.js';
import type { JsonValue } from '../../core/plugin/contract.js';
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
import { type FieldSpec, fieldMax, type Layout } from './structures/layout.js';
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

/** A layout field by its spec name: a value that fits it (an address field: aligned in place). */
function layoutField(spec: FieldSpec): Field<number | undefined> {
  const max = fieldMax(spec);
  const align = spec.addr ? 2 ** spec.lsb : 1;
  return addr(spec.addr ? spec.msb + 1 : 53, { int: true })
    .refine(
      `<= 0x${max.toString(16)}${spec.addr ? `, ${align}-byte aligned` : ''}`,
      (n) => n <= max && n % align === 0,
    )
    .opt();
}

/** An object of a structure's fields by their spec names (STE, CD), each optional. */
function layoutObject<L extends Layout>(layout: L): Field<{ readonly [K in keyof L]?: number }> {
  const fields: { [k: string]: Field<number | undefined> } = {};
  for (const [name, spec] of Object.entries(layout)) fields[name] = layoutField(spec);
  return obj(fields) as unknown as Field<{ readonly [K in keyof L]?: number }>;
}

const hex = (n: number): string => `0x${n.toString(16)}`;

const sid = u32().describe('StreamID (below 2^sidBits)');
const tableName = str().describe('the name of a table made by smmuv3.table.create');
const iova = u64({ int: true }).describe('input address');

/** The unit's commands: each runs on the SmmuUnit the plugin's provider made. */
function smmuCommand<const F extends FieldMap, const T extends string>(
  type: T,
  doc: string,
  fields: F,
  handler: (u: SmmuUnit, d: Decoded<F>) => UapiResult<JsonValue>,
  refine?: (d: Decoded<F>) => void,
) {
  return defineCommand(type, { doc, fields, handler, ...(refine ? { refine } : {}) });
}

export const regWrite = smmuCommand(
  'smmuv3.reg.write',
  'Writes a register (with its side effects); writing CMDQ_PROD consumes the command queue.',
  { reg: oneOf(WRITABLE_REGS), value: addr(52, { int: true }) },
  (u, d) => ok(writeReg(u, d.reg, d.value)),
);

export const regRead = smmuCommand(
  'smmuv3.reg.read',
  'Reads a register.',
  { reg: oneOf(Object.keys(REG) as RegName[]) },
  (u, d) => ok(hex64(u.regs.read(d.reg))),
);

export const init = smmuCommand(
  'smmuv3.init',
  'Sets the SMMU up as a driver would: allocates the stream table and queues, programs the registers and enables SMMUEN, CMDQEN and EVTQEN.',
  {
    strtab: oneOf(['linear', '2level'] as const).def('linear'),
    log2size: int(0, 32).describe('stream table: log2 of its STEs (default min(8, sidBits))').opt(),
    split: numberIn(STRTAB_SPLITS).describe('2level: StreamID bits per level-2 table').opt(),
    cmdqLog2: int(1, 19).def(8),
    evtqLog2: int(1, 19).def(8),
  },
  (u, d) => {
    const fmt = d.strtab;
    const log2size = d.log2size ?? Math.min(8, u.options.sidBits);
    if (log2size > u.options.sidBits)
      bad('log2size', `an integer in [0, ${u.options.sidBits}] (sidBits)`, log2size);
    const split = fmt === '2level' ? (d.split ?? 8) : 0;
    const b = u.builder;
    const base = fmt === 'linear' ? b.linearStreamTable(log2size) : b.twoLevelStreamTable(log2size, split);
    const cmdq = b.alloc(16 * 2 ** d.cmdqLog2);
    const evtq = b.alloc(32 * 2 ** d.evtqLog2);
    writeReg(u, 'STRTAB_BASE', base);
    writeReg(
      u,
      'STRTAB_BASE_CFG',
      log2size | (split << 6) | ((fmt === 'linear' ? STRTAB_FMT.LINEAR : STRTAB_FMT.TWO_LEVEL) << 16),
    );
    writeReg(u, 'CMDQ_BASE', cmdq + d.cmdqLog2);
    writeReg(u, 'EVTQ_BASE', evtq + d.evtqLog2);
    writeReg(u, 'CR0', CR0.SMMUEN | CR0.CMDQEN | CR0.EVTQEN);
    return ok({ strtab: hex(base), cmdq: hex(cmdq), evtq: hex(evtq) });
  },
  (d) => {
    if (d.split !== undefined && d.strtab !== '2level') fieldFault('split', 'only with strtab "2level"');
  },
);

export const steWrite = smmuCommand(
  'smmuv3.ste.write',
  "Writes a StreamID's STE by field names (2-level: adds the L2 table); `cd` and `s2Table` fill fields from named structures, `fields` wins.",
  {
    sid,
    fields: layoutObject(STE_LAYOUT).describe('STE fields by spec name (V, Config, S2TTB, ...)'),
    cd: str().describe('a CD named by smmuv3.cd.write: sets S1ContextPtr').opt(),
    s2Table: str()
      .describe(
        'a stage-2 table: sets S2TTB, S2TG, S2SL0, S2T0SZ from its geometry, S2AA64 = 1, S2PS = 48 bits',
      )
      .opt(),
  },
  (u, d) => {
    checkSid(u, d.sid);
    const given = d.fields as Partial<SteFields>;
    const named: Partial<SteFields> = {};
    if (d.cd !== undefined) {
      const at = u.cds.get(d.cd);
      if (at === undefined) bad('cd', 'the name of a CD written by smmuv3.cd.write', d.cd);
      named.S1ContextPtr = at;
    }
    if (d.s2Table !== undefined) {
      const t = namedTable(u, d.s2Table, 's2Table', 2);
      named.S2TTB = t.table;
      named.S2TG = t.granule === 12 ? 0 : t.granule === 16 ? 1 : 2;
      named.S2SL0 = t.granule === 12 ? 2 - t.startLevel : 3 - t.startLevel;
      named.S2T0SZ = 64 - t.inputBits;
      named.S2AA64 = 1;
      named.S2PS = 5;
    }
    const at = steSlot(u, d.sid);
    u.builder.writeSte(at, { ...named, ...defined(given) });
    return ok({ addr: hex(at) });
  },
);

export const cdWrite = smmuCommand(
  'smmuv3.cd.write',
  'Writes a CD by field names (allocated when `addr` is absent); `ttb0`/`ttb1` fill TTBx, TGx and TxSZ from a stage-1 table, `fields` wins.',
  {
    fields: layoutObject(CD_LAYOUT).describe('CD fields by spec name (V, T0SZ, TTB0, ...)'),
    addr: addr(52, { int: true })
      .refine('64-byte aligned', (n) => n % 64 === 0)
      .opt(),
    name: str().describe('a name later commands use for this CD').opt(),
    ttb0: str().describe('a stage-1 table for TTB0').opt(),
    ttb1: str().describe('a stage-1 table for TTB1').opt(),
  },
  (u, d) => {
    const given = d.fields as Partial<CdFields>;
    const named: Partial<CdFields> = {};
    if (d.ttb0 !== undefined) {
      const t = namedTable(u, d.ttb0, 'ttb0', 1);
      named.TTB0 = t.table;
      named.TG0 = t.granule === 12 ? 0 : t.granule === 16 ? 1 : 2;
      named.T0SZ = 64 - t.inputBits;
    }
    if (d.ttb1 !== undefined) {
      const t = namedTable(u, d.ttb1, 'ttb1', 1);
      named.TTB1 = t.table;
      named.TG1 = t.granule === 12 ? 2 : t.granule === 16 ? 3 : 1;
      named.T1SZ = 64 - t.inputBits;
    }
    const at = d.addr ?? u.builder.alloc(64);
    u.builder.writeCd(at, { ...named, ...defined(given) });
    if (d.name !== undefined) u.cds.set(d.name, at);
    return ok({ addr: hex(at) });
  },
);

export const tableCreate = smmuCommand(
  'smmuv3.table.create',
  'Makes a named, empty page-table root of a stage and granule.',
  {
    name: str().describe('the name later commands use'),
    stage: numberIn([1, 2] as const),
    granule: numberIn([4096, 16384, 65536] as const),
    inputBits: int(25, 48).describe('input address size in bits'),
    sl0: int(0, 2).describe('stage 2: starting level (SL0)').opt(),
  },
  (u, d) => {
    const g = Math.log2(d.granule);
    const root =
      d.stage === 1
        ? u.builder.s1Root(g, d.inputBits)
        : u.builder.s2Root(g, d.inputBits, d.sl0 ?? (g === 12 ? (d.inputBits > 39 ? 2 : 1) : 1));
    u.tables.set(d.name, { ...root, stage: d.stage, inputBits: d.inputBits });
    return ok({ table: hex(root.table), startLevel: root.startLevel, startEntries: root.startEntries });
  },
);

export const tableMap = smmuCommand(
  'smmuv3.table.map',
  'Maps a page (or a block at `level`) in a named table; `via` names the stage-2 table a nested stage-1 table sits in.',
  {
    table: tableName,
    iova,
    pa: addr(48, { int: true }).describe('output address'),
    level: int(0, 3).describe('level of the leaf (default 3)').opt(),
    ap: int(0, 3).describe('stage 1 AP[2:1]').def(1),
    s2ap: int(0, 3).describe('stage 2 S2AP').def(3),
    af: bool().def(true),
    pxn: bool().def(false),
    uxn: bool().def(false),
    via: str().describe("a stage-2 table that translates this table's IPAs").opt(),
  },
  (u, d) => {
    const t = u.tables.get(d.table);
    if (!t) bad('table', 'the name of a table made by smmuv3.table.create', d.table);
    const pfn = Number(d.iova >> 12n);
    const level = d.level ?? 3;
    if (level < t.startLevel) bad('level', `an integer in [${t.startLevel}, 3]`, level);
    const via = viaTable(u, d.via);
    const attrs = { ap: d.ap, s2ap: d.s2ap, af: d.af, pxn: d.pxn, uxn: d.uxn };
    const toPa = via ? (ipa: number) => ipaToPa(u, via, ipa) : undefined;
    try {
      const at = u.builder.map(t, pfn, d.pa, level, t.stage, attrs, { toPa });
      return ok({ descriptor: hex(at) });
    } catch (e) {
      if (e instanceof RangeError)
        throw new ViommuError(ERROR_CODES.COMMAND_INVALID, `table.map: ${e.message}`);
      throw e;
    }
  },
);

export const tableUnmap = smmuCommand(
  'smmuv3.table.unmap',
  "Clears the leaf that maps `iova` (no invalidation, as a driver's unmap before its TLBI); EINVAL if nothing maps it.",
  { table: tableName, iova, via: str().describe('stage-2 table of a nested stage-1 table').opt() },
  (u, d) => {
    const t = u.tables.get(d.table);
    if (!t) bad('table', 'the name of a table made by smmuv3.table.create', d.table);
    const pfn = Number(d.iova >> 12n);
    const via = viaTable(u, d.via);
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
    return fail('EINVAL', `table.unmap: 0x${d.iova.toString(16)} is not mapped in "${d.table}"`);
  },
);

const OP_ALIASES: { readonly [name: string]: Partial<CmdFields> } = {
  CMD_CFGI_ALL: { Op: CMD_OP.CMD_CFGI_STE_RANGE, Range: 31 },
};

/** A command operand: a value that fits its CMD_LAYOUT field. */
function operand(name: keyof CmdFields): Field<number | undefined> {
  const max = fieldMax(CMD_LAYOUT[name]);
  return addr(53, { int: true })
    .refine(`<= 0x${max.toString(16)}`, (n) => n <= max)
    .opt();
}

/** Operands by their JSON names (camelCase of the spec's). */
const OPERANDS = {
  sid: operand('SID'),
  ssid: operand('SSID'),
  ssv: operand('SSV'),
  ssec: operand('SSec'),
  vmid: operand('VMID'),
  asid: operand('ASID'),
  leaf: operand('Leaf'),
  range: operand('Range'),
  ttl: operand('TTL'),
  tg: operand('TG'),
  num: operand('NUM'),
  scale: operand('SCALE'),
  cs: operand('CS'),
  addr: u64({ int: true }).describe('address operand (bits 63:12 are encoded)').opt(),
  ipa: addr(52, { int: true }).describe('IPA operand (bits 51:12 are encoded)').opt(),
};
const OPERAND_KEYS: readonly [Exclude<keyof typeof OPERANDS, 'addr' | 'ipa'>, keyof CmdFields][] = [
  ['sid', 'SID'],
  ['ssid', 'SSID'],
  ['ssv', 'SSV'],
  ['ssec', 'SSec'],
  ['vmid', 'VMID'],
  ['asid', 'ASID'],
  ['leaf', 'Leaf'],
  ['range', 'Range'],
  ['ttl', 'TTL'],
  ['tg', 'TG'],
  ['num', 'NUM'],
  ['scale', 'SCALE'],
  ['cs', 'CS'],
];

/** A command-queue entry: { op, ...operands } or { raw: [dw0, dw1] } (two 64-bit words). */
const queueCommand = tagged(
  'op',
  Object.fromEntries([...Object.keys(CMD_OP), ...Object.keys(OP_ALIASES)].map((op) => [op, OPERANDS])) as {
    readonly [op: string]: typeof OPERANDS;
  },
  { raw: list(u64({ int: true }), { sizes: [2] }).describe("the command's two 64-bit words") },
);

export const cmdqSubmit = smmuCommand(
  'smmuv3.cmdq.submit',
  'Puts commands on the command queue and writes CMDQ_PROD, which consumes them.',
  { commands: list(queueCommand, { min: 1 }) },
  (u, d) => {
    const r = u.regs;
    if ((r.cr0 & CR0.CMDQEN) === 0)
      return fail('EINVAL', 'command queue disabled (CR0.CMDQEN = 0): run smmuv3.init');
    const log2 = queueLog2Size(r.cmdqBase);
    const wrap = 2 ** (log2 + 1);
    let prod = r.cmdqProd % wrap;
    d.commands.forEach((c, i) => {
      const w = encodeJsonCommand(c);
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
);

export const evtqRead = smmuCommand(
  'smmuv3.evtq.read',
  "Reads the records between EVTQ_CONS and EVTQ_PROD and moves CONS past them (the driver's event thread).",
  {},
  (u) => {
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
);

export const gerrorAck = smmuCommand(
  'smmuv3.gerror.ack',
  'Acknowledges global errors (GERRORN = GERROR), resuming a halted command queue on the next PROD write.',
  {},
  (u) => ok(writeReg(u, 'GERRORN', u.regs.gerror)),
);

export const pasidTableAttach = smmuCommand(
  'smmuv3.pasid-table.attach',
  'Proposed UAPI only: attach_pasid_table for a StreamID (ENODEV in the v5.10 profile).',
  {
    sid,
    config: oneOf(['translate', 'bypass', 'abort'] as const),
    version: int(0, 255).def(1),
    format: int(0, 255).def(1),
    basePtr: addr(52, { int: true }).describe('the guest CD table').def(0),
    pasidBits: int(0, 20).def(0),
    s1fmt: int(0, 3).def(0),
    s1dss: int(0, 3).def(0),
  },
  (u, d) => {
    if (u.options.profile !== 'proposed')
      return fail('ENODEV', 'attach_pasid_table exists only in the proposed profile');
    checkSid(u, d.sid);
    const r: ErrnoCode = attachPasidTable(u, d.sid, {
      argsz: 40,
      version: d.version,
      format: d.format,
      basePtr: d.basePtr,
      pasidBits: d.pasidBits,
      config: IOMMU_PASID_CONFIG[d.config.toUpperCase() as 'TRANSLATE' | 'BYPASS' | 'ABORT'],
      smmuv3: { version: 1, s1fmt: d.s1fmt, s1dss: d.s1dss },
    });
    return r === 0 ? ok(null) : fail(r, `attach_pasid_table refused (${r})`);
  },
);

export const pasidTableDetach = smmuCommand(
  'smmuv3.pasid-table.detach',
  'Proposed UAPI only: detach_pasid_table (ENODEV in the v5.10 profile).',
  { sid },
  (u, d) => {
    if (u.options.profile !== 'proposed')
      return fail('ENODEV', 'detach_pasid_table exists only in the proposed profile');
    checkSid(u, d.sid);
    const r = detachPasidTable(u, d.sid);
    return r === 0 ? ok(null) : fail(r, `detach_pasid_table refused (${r})`);
  },
);

/** Every command an SMMUv3 unit accepts. */
export const SMMUV3_COMMANDS = [
  regWrite,
  regRead,
  init,
  steWrite,
  cdWrite,
  tableCreate,
  tableMap,
  tableUnmap,
  cmdqSubmit,
  evtqRead,
  gerrorAck,
  pasidTableAttach,
  pasidTableDetach,
];

declare module '../../core/command/catalog.js' {
  interface CommandMap extends CommandsOf<typeof SMMUV3_COMMANDS> {}
}

/** A runtime check the catalog cannot make (it depends on the unit): names the field. */
function bad(field: string, want: string, got: unknown): never {
  throw new ViommuError(
    ERROR_CODES.COMMAND_INVALID,
    `${field}: expected ${want}, got ${JSON.stringify(got)}`,
  );
}

function checkSid(u: SmmuUnit, s: number): void {
  if (s >= 2 ** u.options.sidBits) bad('sid', `an integer in [0, ${2 ** u.options.sidBits - 1}]`, s);
}

/** The given layout fields without the absent ones. */
function defined<T extends object>(o: T): Partial<T> {
  const out: { [k: string]: unknown } = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out as Partial<T>;
}

function viaTable(u: SmmuUnit, name: string | undefined): NamedTable | undefined {
  if (name === undefined) return undefined;
  const via = u.tables.get(name);
  if (via?.stage !== 2) bad('via', 'the name of a stage-2 table', name);
  return via;
}

/** The table named `name` (field `field`), which must be of `stage`. */
function namedTable(u: SmmuUnit, name: string, field: string, stage: 1 | 2): NamedTable {
  const t = u.tables.get(name);
  if (t?.stage !== stage) bad(field, `the name of a stage-${stage} table made by smmuv3.table.create`, name);
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
      u.deps.events.emit('smmuv3.register.written', { unit: u.id, reg, value: hex64(value) });
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
  u.deps.events.emit('smmuv3.register.written', { unit: u.id, reg, value: hex64(value) });
  return { reg, value: hex64(value) };
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

/** A decoded queue command as its two 64-bit words (four dwords). */
export function encodeJsonCommand(c: ValueOf<typeof queueCommand>): Uint32Array {
  if (!('op' in c)) {
    const w = new Uint32Array(CMD_WORDS);
    c.raw.forEach((b, i) => {
      w[2 * i] = Number(b & 0xffff_ffffn);
      w[2 * i + 1] = Number(b >> 32n);
    });
    return w;
  }
  const f: Partial<CmdFields> = { ...(OP_ALIASES[c.op] ?? { Op: CMD_OP[c.op as keyof typeof CMD_OP] }) };
  for (const [key, name] of OPERAND_KEYS) {
    const v = c[key];
    if (v !== undefined) f[name] = v;
  }
  if (c.addr !== undefined) Object.assign(f, cmdAddrFields(Number(c.addr >> 12n)));
  if (c.ipa !== undefined) f.IPA = c.ipa - (c.ipa % 4096);
  return encodeCmd(f);
}
