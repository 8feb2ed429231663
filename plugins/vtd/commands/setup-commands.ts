/**
 * The unit's set-up commands: everything a JSON scenario needs to build the
 * remapping structures and page tables through commands (reference/vtd.md §1,
 * §2). They write memory as software would and do not invalidate caches.
 */
import { hex64, parseU64 } from '../../../core/model/hex.js';
import type { JsonObject, JsonValue } from '../../../core/plugin/contract.js';
import type { UnitIdentity } from '../../../core/plugin/tokens.js';
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
import { addr, bool, int, oneOf, pageShift, perm, sidOf, u64 } from './fields.js';

export type Handler = (hw: VtdHardware, identity: UnitIdentity, data: JsonObject) => JsonValue;

const COMMON = new Set(['unit', 'sid', 'device', 'pasid', 'qwords']);

/** Reads entry fields by spec name over a template of defaults; unknown names are errors. */
function entryFields<T extends object>(data: JsonObject, template: T, what: string): T {
  const out: Record<string, unknown> = { ...(template as Record<string, unknown>) };
  for (const k of Object.keys(data)) {
    if (COMMON.has(k)) continue;
    if (!Object.hasOwn(template, k))
      throw new RangeError(`${k}: not a field of the ${what} (fields: ${Object.keys(template).join(', ')})`);
    const def = (template as Record<string, unknown>)[k];
    if (typeof def === 'boolean') out[k] = bool(data, k, false);
    else if (typeof def === 'bigint') out[k] = u64(data, k);
    else out[k] = int(data, k, 0, 0xffff_ffff);
  }
  return out as T;
}

function qwords(data: JsonObject, n: number): bigint[] | undefined {
  const v = data.qwords;
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.length !== n)
    throw new RangeError(`qwords: expected an array of ${n} "0x..." values`);
  return (v as readonly JsonValue[]).map((q, i) => parseU64(q, `qwords[${i}]`));
}

const rootSet: Handler = (hw, _id, data) => {
  const mode = oneOf(
    data,
    'mode',
    ['legacy', 'scalable'] as const,
    hw.preferScalable ? 'scalable' : 'legacy',
  );
  if (data.addr !== undefined) {
    hw.setRootTable(addr(data, 'addr'), mode === 'scalable');
    hw.translationEnabled = bool(data, 'enable', true);
    return { addr: hex64(hw.rootTable), mode };
  }
  const pa = initRootTable(hw, mode === 'scalable');
  hw.translationEnabled = bool(data, 'enable', true);
  return { addr: hex64(pa), mode };
};

const translationEnable: Handler = (hw, _id, data) => {
  hw.translationEnabled = bool(data, 'enable', true);
  return { enabled: hw.translationEnabled };
};

const contextSet: Handler = (hw, id, data) => {
  const sid = sidOf(data, id);
  if (hw.scalable) {
    const raw = qwords(data, 4);
    const e = raw
      ? decodeScalableContext(raw)
      : entryFields(
          data,
          {
            P: true,
            FPD: false,
            DTE: false,
            PASIDE: true,
            PRE: false,
            PDTS: 7,
            PASIDDIRPTR: 0n,
            RID_PASID: 0,
            RID_PRIV: false,
          },
          'scalable context entry',
        );
    const pa = setScalableContextEntry(hw, sid, e);
    if (raw) for (let i = 0; i < 4; i++) hw.memory.write64(pa + 8 * i, raw[i]!);
    return { addr: hex64(pa) };
  }
  const raw = qwords(data, 2);
  const e = raw
    ? decodeLegacyContext(raw)
    : entryFields(
        data,
        { P: true, FPD: false, TT: 0, SLPTPTR: 0n, AW: 2, AVAIL: 0, DID: 0 },
        'legacy context entry',
      );
  const pa = setLegacyContextEntry(hw, sid, e);
  if (raw) for (let i = 0; i < 2; i++) hw.memory.write64(pa + 8 * i, raw[i]!);
  return { addr: hex64(pa) };
};

const pasidSet: Handler = (hw, id, data) => {
  const sid = sidOf(data, id);
  const pasid = int(data, 'pasid', 0, 0xfffff);
  const raw = qwords(data, 8);
  const e: PasidEntry = raw
    ? decodePasidEntry(raw)
    : entryFields(data, { ...EMPTY_PASID_ENTRY, P: true }, 'PASID-table entry');
  const pa = setPasidTableEntry(hw, sid, pasid, e);
  if (raw) writePasidEntryWords(hw.memory, pa, raw);
  return { addr: hex64(pa) };
};

const domainCreate: Handler = (hw, _id, data) => {
  const did = int(data, 'did', 0, 0xffff);
  const levels = int(data, 'levels', 3, 5, 4) as 3 | 4 | 5;
  const d = createDomain(hw, did, levels, bool(data, 'nesting', false));
  return { did, slptptr: hex64(d.slptptr), levels };
};

const deviceAttach: Handler = (hw, id, data) => {
  const sid = sidOf(data, id);
  const did = int(data, 'did', 0, 0xffff);
  const mode = oneOf(data, 'mode', ['sl', 'pt', 'fl', 'nested'] as const, 'sl');
  const dev = id.devices.get(sid);
  const r = attachDevice(hw, sid, did, mode, {
    ats: bool(data, 'ats', dev?.ats ?? false),
    pri: bool(data, 'pri', dev?.pri ?? false),
    ...(data.pasid !== undefined ? { pasid: int(data, 'pasid', 0, 0xfffff) } : {}),
    flLevels: int(data, 'flLevels', 4, 5, 4) as 4 | 5,
    sre: bool(data, 'sre', false),
    ere: bool(data, 'ere', false),
    slade: bool(data, 'slade', false),
    fpd: bool(data, 'fpd', false),
  });
  return { sid, did, mode, flptptr: r.flptptr === null ? null : hex64(r.flptptr) };
};

/** The table a pt.map/unmap names: a domain's SL table, or a root (+ levels), for FL optionally in a domain's GPA space. */
function tableOf(
  hw: VtdHardware,
  data: JsonObject,
): { first: boolean; root: number; levels: number; space: TableSpace; did: number | null } {
  const first = oneOf(data, 'table', ['sl', 'fl'] as const) === 'fl';
  const host = hostSpace(hw.frames);
  if (!first && data.did !== undefined) {
    const did = int(data, 'did', 0, 0xffff);
    const d = hw.domains.get(did);
    if (d === undefined) throw new RangeError(`did: no domain ${did}`);
    return { first, root: d.slptptr, levels: d.levels, space: host, did };
  }
  const root = addr(data, 'root');
  if (root % 4096 !== 0) throw new RangeError('root: not 4 KiB aligned');
  const levels = int(data, 'levels', first ? 4 : 3, 5, 4);
  let space = host;
  if (first && data.nestedDid !== undefined) {
    const nd = int(data, 'nestedDid', 0, 0xffff);
    const d = hw.domains.get(nd);
    if (d === undefined) throw new RangeError(`nestedDid: no domain ${nd}`);
    space = nestedSpace(hw, d);
  }
  return { first, root, levels, space, did: null };
}

const ptMap: Handler = (hw, _id, data) => {
  const t = tableOf(hw, data);
  const shift = pageShift(data, 'size');
  const iova = u64(data, 'iova');
  const pa = u64(data, 'pa');
  const mask = (1n << BigInt(shift)) - 1n;
  if ((iova & mask) !== 0n) throw new RangeError(`iova: not aligned to the ${1n << BigInt(shift)}-byte page`);
  if ((pa & mask) !== 0n) throw new RangeError(`pa: not aligned to the ${1n << BigInt(shift)}-byte page`);
  const vpn = Number((iova >> 12n) & 0x1fff_ffff_ffffn);
  const pfn = Number(pa >> 12n);
  const p = perm(data, 'perm', t.first ? 'rwu' : 'rw');
  if (t.first)
    flMap(hw.memory, t.space, t.root / 4096, t.levels, vpn, pfn, shift, {
      w: p.w,
      u: p.u,
      xd: bool(data, 'xd', false),
    });
  else
    slMap(hw.memory, t.space, t.root / 4096, t.levels, vpn, pfn, shift, {
      r: p.r,
      w: p.w,
      x: p.x,
      snp: bool(data, 'snp', false),
    });
  if (t.did !== null) {
    const d = hw.domains.get(t.did)!;
    const end = iova + (1n << BigInt(shift));
    if (end > d.maxAddr) d.maxAddr = end;
  }
  return { iova: hex64(iova), pa: hex64(pa), size: 1 << (shift - 12) };
};

const ptUnmap: Handler = (hw, _id, data) => {
  const t = tableOf(hw, data);
  const vpn = Number((u64(data, 'iova') >> 12n) & 0x1fff_ffff_ffffn);
  const shift = unmapPage(hw.memory, t.space, t.root / 4096, t.levels, vpn, t.first);
  return { unmapped: shift === 0 ? 0 : 2 ** (shift - 12) };
};

export const SETUP_COMMANDS: Readonly<Record<string, Handler>> = {
  'vtd.root.set': rootSet,
  'vtd.translation.enable': translationEnable,
  'vtd.context.set': contextSet,
  'vtd.pasid.set': pasidSet,
  'vtd.domain.create': domainCreate,
  'vtd.device.attach': deviceAttach,
  'vtd.pt.map': ptMap,
  'vtd.pt.unmap': ptUnmap,
};
