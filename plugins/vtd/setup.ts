/**
 * Set-up helpers that build the remapping structures in simulated memory the
 * way a driver would (root table, context entries, PASID entries, host
 * domains, device attachment). TS functions for tests and benches; the
 * `vtd.*` set-up commands (commands.ts) call them. They write memory only:
 * like software, they must be followed by the invalidations the spec asks
 * for when caches may hold older contents.
 */
import { sagawAllows } from './capabilities.js';
import type { HostDomain, VtdHardware } from './hardware.js';
import {
  encodeLegacyContext,
  encodeScalableContext,
  type LegacyContextEntry,
  legacyContextAddress,
  type ScalableContextEntry,
  scalableContextAddress,
  writeWords,
} from './structures/context-entry.js';
import { hostSpace, slMap, type TableSpace } from './structures/page-table-builder.js';
import { EMPTY_PASID_ENTRY, type PasidEntry, PGTT, writePasidEntry } from './structures/pasid-entry.js';
import { rootEntryAddress } from './structures/root-entry.js';

/** Allocates a root table, latches it (SRTP) and enables translation (TE). */
export function initRootTable(hw: VtdHardware, scalable: boolean): number {
  const pa = hw.frames.alloc(1);
  hw.setRootTable(pa, scalable);
  hw.translationEnabled = true;
  return pa;
}

/** The context table a root entry (or root half) points to, allocating and making it present if needed. */
function contextTable(hw: VtdHardware, sid: number): number {
  if (!hw.rootSet) throw new RangeError('no root table: run vtd.root.set first');
  const rpa = rootEntryAddress(hw.rootTable, sid >>> 8) + (hw.scalable && (sid & 0x80) !== 0 ? 8 : 0);
  const cur = hw.memory.read64(rpa) ?? 0n;
  if ((cur & 1n) === 1n) return Number(cur & 0xffff_ffff_ffff_f000n);
  const ctp = hw.frames.alloc(1);
  hw.memory.write64(rpa, BigInt(ctp) | 1n);
  return ctp;
}

export function setLegacyContextEntry(hw: VtdHardware, sid: number, e: LegacyContextEntry): number {
  if (hw.scalable) throw new RangeError('the root table is scalable-mode: use a scalable context entry');
  const pa = legacyContextAddress(contextTable(hw, sid), sid & 0xff);
  writeWords(hw.memory, pa, encodeLegacyContext(e));
  return pa;
}

export function setScalableContextEntry(hw: VtdHardware, sid: number, e: ScalableContextEntry): number {
  if (!hw.scalable) throw new RangeError('the root table is legacy-mode: use a legacy context entry');
  const pa = scalableContextAddress(contextTable(hw, sid), sid & 0xff);
  writeWords(hw.memory, pa, encodeScalableContext(e));
  return pa;
}

/** Writes the PASID-table entry of (sid, pasid), allocating the PASID table if needed. */
export function setPasidTableEntry(hw: VtdHardware, sid: number, pasid: number, e: PasidEntry): number {
  const pa = hw.pasidEntryAddress(sid, pasid, true);
  if (pa === undefined)
    throw new RangeError(
      `no PASID directory for sid 0x${sid.toString(16)} pasid ${pasid}: set its context entry first`,
    );
  writePasidEntry(hw.memory, pa, e);
  return pa;
}

/** Creates a host (second-level) domain with an empty table of `levels` levels. */
export function createDomain(hw: VtdHardware, did: number, levels: 3 | 4 | 5, nesting: boolean): HostDomain {
  if (hw.domains.has(did)) throw new RangeError(`did: domain ${did} already exists`);
  if (!sagawAllows(hw.caps, levels))
    throw new RangeError(`levels: ${levels}-level tables are not in CAP.SAGAW`);
  const d: HostDomain = {
    did,
    slptptr: hw.frames.alloc(1),
    levels,
    agaw: 30 + 9 * (levels - 2),
    nesting,
    maxAddr: 0n,
  };
  hw.domains.set(did, d);
  return d;
}

/** Table pages for nested first-level tables: host frames the domain's second level maps at GPA = HPA. */
export function nestedSpace(hw: VtdHardware, d: HostDomain): TableSpace {
  const host = hostSpace(hw.frames);
  return {
    alloc: () => {
      const pfn = host.alloc();
      slMap(hw.memory, host, d.slptptr / 4096, d.levels, pfn, pfn, 12, { r: true, w: true });
      return pfn;
    },
    resolve: (gpa) => slResolve(hw, d, gpa),
  };
}

/** Host page a domain's second level maps `gpaPfn` to (ignoring permissions), or undefined. */
export function slResolve(hw: VtdHardware, d: HostDomain, gpaPfn: number): number | undefined {
  let table = d.slptptr / 4096;
  for (let level: number = d.levels; level >= 1; level--) {
    const e = hw.memory.read64(table * 4096 + 8 * (Math.floor(gpaPfn / 2 ** (9 * (level - 1))) % 512));
    if (e === undefined || (e & 3n) === 0n) return undefined;
    const pfn = Number((e >> 12n) & 0xff_ffff_ffffn);
    if (level === 1 || (e & 0x80n) !== 0n) return pfn + (gpaPfn % 2 ** (9 * (level - 1)));
    table = pfn;
  }
  return undefined;
}

export type AttachMode = 'sl' | 'pt' | 'fl' | 'nested';

export interface AttachOptions {
  readonly ats?: boolean;
  readonly pri?: boolean;
  /** Scalable mode: the PASID whose entry is written (default: RID_PASID 0). */
  readonly pasid?: number;
  /** First-level paging levels for 'fl' / 'nested' (4 or 5). */
  readonly flLevels?: 4 | 5;
  readonly sre?: boolean;
  readonly ere?: boolean;
  readonly slade?: boolean;
  readonly fpd?: boolean;
}

/**
 * Attaches a device to a domain: legacy context entry (TT 00/01/10), or
 * scalable context entry + PASID entry (PGTT SL / PT / FL / nested). For 'fl'
 * and 'nested' a fresh first-level root is allocated (for nested, in pages the
 * domain's second level maps at GPA = HPA) and returned as `flptptr`.
 */
export function attachDevice(
  hw: VtdHardware,
  sid: number,
  did: number,
  mode: AttachMode,
  o: AttachOptions = {},
): { flptptr: number | null } {
  const d = hw.domains.get(did);
  if (d === undefined) throw new RangeError(`did: no domain ${did}`);
  if (!hw.rootSet) throw new RangeError('no root table: run vtd.root.set first');
  hw.attached.set(sid, did);
  if (!hw.scalable) {
    if (mode === 'fl' || mode === 'nested') throw new RangeError(`mode: '${mode}' needs scalable mode`);
    setLegacyContextEntry(hw, sid, {
      P: true,
      FPD: o.fpd ?? false,
      TT: mode === 'pt' ? 2 : o.ats ? 1 : 0,
      SLPTPTR: BigInt(d.slptptr),
      AW: d.levels - 2,
      AVAIL: 0,
      DID: did,
    });
    if (o.ats) hw.caches.allowDevTlb(sid);
    return { flptptr: null };
  }
  const pasid = o.pasid ?? 0;
  if (!hasContext(hw, sid)) {
    setScalableContextEntry(hw, sid, {
      P: true,
      FPD: o.fpd ?? false,
      DTE: o.ats ?? false,
      PASIDE: hw.caps.pasidBits > 0, // requests with PASID need ECAP.PASID (QEMU without x-pasid-mode has none)
      PRE: o.pri ?? false,
      PDTS: 7,
      PASIDDIRPTR: BigInt(hw.frames.alloc(32)),
      RID_PASID: 0,
      RID_PRIV: false,
    });
  }
  if (o.ats) hw.caches.allowDevTlb(sid);
  const flLevels = o.flLevels ?? 4;
  let flptptr: number | null = null;
  if (mode === 'fl') flptptr = hw.frames.alloc(1);
  if (mode === 'nested') flptptr = nestedSpace(hw, d).alloc() * 4096;
  const pgtt = { sl: PGTT.SL_ONLY, pt: PGTT.PT, fl: PGTT.FL_ONLY, nested: PGTT.NESTED }[mode];
  setPasidTableEntry(hw, sid, pasid, {
    ...EMPTY_PASID_ENTRY,
    P: true,
    FPD: o.fpd ?? false,
    PGTT: pgtt,
    AW: d.levels - 2,
    SLPTPTR: mode === 'sl' || mode === 'nested' ? BigInt(d.slptptr) : 0n,
    SLADE: o.slade ?? false,
    DID: did,
    SRE: o.sre ?? false,
    ERE: o.ere ?? false,
    NXE: mode === 'fl' || mode === 'nested',
    FLPM: flLevels === 5 ? 1 : 0,
    FLPTPTR: flptptr === null ? 0n : BigInt(flptptr),
  });
  return { flptptr };
}

function hasContext(hw: VtdHardware, sid: number): boolean {
  const rpa = rootEntryAddress(hw.rootTable, sid >>> 8) + ((sid & 0x80) !== 0 ? 8 : 0);
  const r = hw.memory.read64(rpa) ?? 0n;
  if ((r & 1n) === 0n) return false;
  const c = hw.memory.read64(scalableContextAddress(Number(r & 0xffff_ffff_ffff_f000n), sid & 0xff)) ?? 0n;
  return (c & 1n) === 1n;
}
