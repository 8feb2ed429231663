/**
 * The unit's set-up commands: everything a JSON scenario needs to build the
 * remapping structures and page tables through commands (reference/vtd.md §1,
 * §2). They write memory as software would and do not invalidate caches.
 */
import { fieldFault } from '../../../core/command/catalog.js';
import {
  addr,
  bool,
  device,
  type FieldMap,
  int,
  letters,
  list,
  oneOf,
  pasid,
  u16,
  u32,
  u64,
} from '../../../core/command/field.js';
import { hex64 } from '../../../core/model/hex.js';
import type { VtdHardware } from '../hardware.js';
import {
  attachDevice,
  createDomain,
  initRootTable,
  nestedSpace,
  setLegacyContextEntry,
  setPasidTableEntry,
  setScalableContextEntry,
} from '../setup.js';
import { decodeLegacyContext, decodeScalableContext } from '../structures/context-entry.js';
import { flMap, hostSpace, slMap, type TableSpace, unmapPage } from '../structures/page-table-builder.js';
import {
  decodePasidEntry,
  EMPTY_PASID_ENTRY,
  type PasidEntry,
  writePasidEntryWords,
} from '../structures/pasid-entry.js';
import { sidOf, vtdCommand } from './vtd-command.js';

/** Entry fields by spec name over a template of defaults: booleans, 64-bit pointers, numbers. */
function entryFieldsOf(template: object): FieldMap {
  const out: { [k: string]: FieldMap[string] } = {};
  for (const [k, def] of Object.entries(template)) {
    out[k] = (typeof def === 'boolean' ? bool() : typeof def === 'bigint' ? u64({ int: true }) : u32()).opt();
  }
  return out;
}

/** The template with the given entry fields; a field of another entry kind is refused. */
function entryFrom<T extends object>(
  d: { readonly [k: string]: unknown },
  names: readonly string[],
  template: T,
  what: string,
): T {
  const out: Record<string, unknown> = { ...(template as Record<string, unknown>) };
  for (const k of names) {
    const v = d[k];
    if (v === undefined) continue;
    if (!Object.hasOwn(template, k))
      throw new RangeError(`${k}: not a field of the ${what} (fields: ${Object.keys(template).join(', ')})`);
    out[k] = v;
  }
  return out as T;
}

/** The requester: a device name or a source-id, exactly one. */
const requester = {
  device: device().describe('a device behind the unit (or give `sid`)').opt(),
  sid: u16().describe('source-id, bus << 8 | devfn (or give `device`)').opt(),
};
function oneRequester(d: { device?: string | undefined; sid?: number | undefined }): void {
  if (d.device === undefined && d.sid === undefined)
    fieldFault(null, 'the requester is missing (give "device" or "sid")');
  if (d.device !== undefined && d.sid !== undefined)
    fieldFault('sid', 'give either "device" or "sid", not both');
}

const qwords = (n: readonly number[]) =>
  list(u64({ int: true }), { sizes: n })
    .describe('the raw entry as 64-bit words (instead of its fields)')
    .opt();

const LEGACY_CONTEXT = { P: true, FPD: false, TT: 0, SLPTPTR: 0n, AW: 2, AVAIL: 0, DID: 0 };
const SCALABLE_CONTEXT = {
  P: true,
  FPD: false,
  DTE: false,
  PASIDE: true,
  PRE: false,
  PDTS: 7,
  PASIDDIRPTR: 0n,
  RID_PASID: 0,
  RID_PRIV: false,
};
const CONTEXT_FIELDS = { ...entryFieldsOf(LEGACY_CONTEXT), ...entryFieldsOf(SCALABLE_CONTEXT) };
const CONTEXT_NAMES = Object.keys(CONTEXT_FIELDS);
const PASID_TEMPLATE = { ...EMPTY_PASID_ENTRY, P: true };
const PASID_FIELDS = entryFieldsOf(PASID_TEMPLATE);
const PASID_NAMES = Object.keys(PASID_FIELDS);

export const rootSet = vtdCommand(
  'vtd.root.set',
  'Sets the root table (allocated and zeroed unless `addr` is given) in legacy or scalable mode, and enables translation.',
  {
    mode: oneOf(['legacy', 'scalable'] as const)
      .describe("default: the unit's `mode` option")
      .opt(),
    addr: addr(53, { int: true }).describe('an existing root table').opt(),
    enable: bool().def(true),
  },
  (hw, _id, d) => {
    const mode = d.mode ?? (hw.preferScalable ? 'scalable' : 'legacy');
    if (d.addr !== undefined) {
      hw.setRootTable(d.addr, mode === 'scalable');
      hw.translationEnabled = d.enable;
      return { addr: hex64(hw.rootTable), mode };
    }
    const pa = initRootTable(hw, mode === 'scalable');
    hw.translationEnabled = d.enable;
    return { addr: hex64(pa), mode };
  },
);

export const translationEnable = vtdCommand(
  'vtd.translation.enable',
  'Sets or clears GCMD.TE.',
  { enable: bool().def(true) },
  (hw, _id, d) => {
    hw.translationEnabled = d.enable;
    return { enabled: hw.translationEnabled };
  },
);

export const contextSet = vtdCommand(
  'vtd.context.set',
  "Writes a requester's context entry (legacy or scalable, as the root table is) by spec field names, or raw.",
  { ...requester, qwords: qwords([2, 4]), ...CONTEXT_FIELDS },
  (hw, id, d) => {
    const sid = sidOf(d, id);
    const raw = d.qwords;
    if (hw.scalable) {
      if (raw && raw.length !== 4) throw new RangeError('qwords: expected an array of 4 "0x..." values');
      const e = raw
        ? decodeScalableContext(raw)
        : entryFrom(d, CONTEXT_NAMES, SCALABLE_CONTEXT, 'scalable context entry');
      const pa = setScalableContextEntry(hw, sid, e);
      if (raw) for (let i = 0; i < 4; i++) hw.memory.write64(pa + 8 * i, raw[i]!);
      return { addr: hex64(pa) };
    }
    if (raw && raw.length !== 2) throw new RangeError('qwords: expected an array of 2 "0x..." values');
    const e = raw
      ? decodeLegacyContext(raw)
      : entryFrom(d, CONTEXT_NAMES, LEGACY_CONTEXT, 'legacy context entry');
    const pa = setLegacyContextEntry(hw, sid, e);
    if (raw) for (let i = 0; i < 2; i++) hw.memory.write64(pa + 8 * i, raw[i]!);
    return { addr: hex64(pa) };
  },
  oneRequester,
);

export const pasidSet = vtdCommand(
  'vtd.pasid.set',
  "Writes a PASID-table entry of a requester by spec field names (P defaults to 1), or raw; adds the directory entry's table.",
  { ...requester, pasid: pasid(), qwords: qwords([8]), ...PASID_FIELDS },
  (hw, id, d) => {
    const sid = sidOf(d, id);
    const raw = d.qwords;
    const e: PasidEntry = raw
      ? decodePasidEntry(raw)
      : entryFrom(d, PASID_NAMES, PASID_TEMPLATE, 'PASID-table entry');
    const pa = setPasidTableEntry(hw, sid, d.pasid, e);
    if (raw) writePasidEntryWords(hw.memory, pa, raw);
    return { addr: hex64(pa) };
  },
  oneRequester,
);

export const domainCreate = vtdCommand(
  'vtd.domain.create',
  'Creates a domain with an empty second-level table; answers its root (slptptr).',
  {
    did: u16().describe('domain id'),
    levels: int(3, 5).describe('second-level paging levels').def(4),
    nesting: bool().describe('a nesting parent (its table translates first-level tables)').def(false),
  },
  (hw, _id, d) => {
    const dom = createDomain(hw, d.did, d.levels as 3 | 4 | 5, d.nesting);
    return { did: d.did, slptptr: hex64(dom.slptptr), levels: d.levels };
  },
);

export const deviceAttach = vtdCommand(
  'vtd.device.attach',
  "Attaches a requester to a domain as the Linux driver would: second-level, pass-through, first-level or nested; answers the first-level table's root.",
  {
    ...requester,
    did: u16(),
    mode: oneOf(['sl', 'pt', 'fl', 'nested'] as const).def('sl'),
    ats: bool().describe("default: the device's ats").opt(),
    pri: bool().describe("default: the device's pri").opt(),
    pasid: pasid().describe('scalable mode: the PASID (default RID_PASID)').opt(),
    flLevels: int(4, 5).def(4),
    sre: bool().def(false),
    ere: bool().def(false),
    slade: bool().def(false),
    fpd: bool().def(false),
  },
  (hw, id, d) => {
    const sid = sidOf(d, id);
    const dev = id.devices.get(sid);
    const r = attachDevice(hw, sid, d.did, d.mode, {
      ats: d.ats ?? dev?.ats ?? false,
      pri: d.pri ?? dev?.pri ?? false,
      ...(d.pasid !== undefined ? { pasid: d.pasid } : {}),
      flLevels: d.flLevels as 4 | 5,
      sre: d.sre,
      ere: d.ere,
      slade: d.slade,
      fpd: d.fpd,
    });
    return { sid, did: d.did, mode: d.mode, flptptr: r.flptptr === null ? null : hex64(r.flptptr) };
  },
  oneRequester,
);

/** Which table a pt.map/unmap edits: a domain's second-level table, or a root (+ levels). */
const TABLE_FIELDS = {
  table: oneOf(['sl', 'fl'] as const),
  did: u16().describe('sl: the domain whose table to edit (instead of `root`)').opt(),
  root: addr(53, { int: true })
    .refine('4 KiB aligned', (n) => n % 4096 === 0)
    .describe('the table root (instead of `did`)')
    .opt(),
  levels: int(3, 5).describe('paging levels of `root` (default 4; first level: 4 or 5)').opt(),
  nestedDid: u16()
    .describe("fl: the domain whose second-level table maps the first-level table's GPAs")
    .opt(),
};

function tableRule(d: {
  table: string;
  did?: number | undefined;
  root?: number | undefined;
  nestedDid?: number | undefined;
  levels?: number | undefined;
}): void {
  if (d.table === 'sl' && d.did !== undefined) {
    if (d.root !== undefined) fieldFault('root', 'give either "did" or "root", not both');
    if (d.levels !== undefined) fieldFault('levels', 'only with "root" (a domain knows its levels)');
  } else if (d.root === undefined)
    fieldFault(
      d.table === 'sl' ? null : 'root',
      `the table is missing (give ${d.table === 'sl' ? '"did" or ' : ''}"root")`,
    );
  else if (d.table === 'fl' && d.did !== undefined) fieldFault('did', 'only for a second-level table');
  if (d.table === 'sl' && d.nestedDid !== undefined) fieldFault('nestedDid', 'only for a first-level table');
  if (d.table === 'fl' && d.levels !== undefined && d.levels < 4)
    fieldFault('levels', 'expected 4 or 5 for a first-level table');
}

function tableOf(
  hw: VtdHardware,
  d: {
    table: 'sl' | 'fl';
    did?: number | undefined;
    root?: number | undefined;
    levels?: number | undefined;
    nestedDid?: number | undefined;
  },
): { first: boolean; root: number; levels: number; space: TableSpace; did: number | null } {
  const first = d.table === 'fl';
  const host = hostSpace(hw.frames);
  if (!first && d.did !== undefined) {
    const dom = hw.domains.get(d.did);
    if (dom === undefined) throw new RangeError(`did: no domain ${d.did}`);
    return { first, root: dom.slptptr, levels: dom.levels, space: host, did: d.did };
  }
  let space = host;
  if (first && d.nestedDid !== undefined) {
    const dom = hw.domains.get(d.nestedDid);
    if (dom === undefined) throw new RangeError(`nestedDid: no domain ${d.nestedDid}`);
    space = nestedSpace(hw, dom);
  }
  return { first, root: d.root!, levels: d.levels ?? 4, space, did: null };
}

const PAGE_SIZES: { readonly [size: string]: number } = { '4096': 12, '2097152': 21, '1073741824': 30 };

export const ptMap = vtdCommand(
  'vtd.pt.map',
  'Maps a 4 KiB, 2 MiB or 1 GiB page in a second- or first-level table (memory only: no invalidation).',
  {
    ...TABLE_FIELDS,
    iova: u64({ int: true }).describe('input address, aligned to the page'),
    pa: u64({ int: true }).describe('output address, aligned to the page'),
    size: u64({ int: true })
      .refine('4096, "0x200000" or "0x40000000"', (v) => PAGE_SIZES[v.toString()] !== undefined)
      .describe('page size in bytes')
      .def(4096),
    perm: letters('rwxu')
      .describe('r, w, x (second level), u (first level: user); default rw, first level rwu')
      .opt(),
    xd: bool().describe('first level: execute disable').def(false),
    snp: bool().describe('second level: snoop').def(false),
  },
  (hw, _id, d) => {
    const t = tableOf(hw, d);
    const shift = PAGE_SIZES[d.size.toString()]!;
    const mask = (1n << BigInt(shift)) - 1n;
    if ((d.iova & mask) !== 0n)
      throw new RangeError(`iova: not aligned to the ${1n << BigInt(shift)}-byte page`);
    if ((d.pa & mask) !== 0n) throw new RangeError(`pa: not aligned to the ${1n << BigInt(shift)}-byte page`);
    const vpn = Number((d.iova >> 12n) & 0x1fff_ffff_ffffn);
    const pfn = Number(d.pa >> 12n);
    const p = d.perm ?? (t.first ? 'rwu' : 'rw');
    if (t.first)
      flMap(hw.memory, t.space, t.root / 4096, t.levels, vpn, pfn, shift, {
        w: p.includes('w'),
        u: p.includes('u'),
        xd: d.xd,
      });
    else
      slMap(hw.memory, t.space, t.root / 4096, t.levels, vpn, pfn, shift, {
        r: p.includes('r'),
        w: p.includes('w'),
        x: p.includes('x'),
        snp: d.snp,
      });
    if (t.did !== null) {
      const dom = hw.domains.get(t.did)!;
      const end = d.iova + (1n << BigInt(shift));
      if (end > dom.maxAddr) dom.maxAddr = end;
    }
    return { iova: hex64(d.iova), pa: hex64(d.pa), size: 1 << (shift - 12) };
  },
  tableRule,
);

export const ptUnmap = vtdCommand(
  'vtd.pt.unmap',
  'Clears the leaf that maps `iova` (memory only: no invalidation); answers the 4 KiB pages it covered.',
  { ...TABLE_FIELDS, iova: u64({ int: true }) },
  (hw, _id, d) => {
    const t = tableOf(hw, d);
    const vpn = Number((d.iova >> 12n) & 0x1fff_ffff_ffffn);
    const shift = unmapPage(hw.memory, t.space, t.root / 4096, t.levels, vpn, t.first);
    return { unmapped: shift === 0 ? 0 : 2 ** (shift - 12) };
  },
  tableRule,
);

export const SETUP_COMMANDS = [
  rootSet,
  translationEnable,
  contextSet,
  pasidSet,
  domainCreate,
  deviceAttach,
  ptMap,
  ptUnmap,
] as const;
