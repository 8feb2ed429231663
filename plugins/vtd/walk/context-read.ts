/**
 * Reads the root, context, PASID-directory and PASID-table entries for one
 * request from simulated memory (miss path of the context and PASID caches),
 * word by word at the spec's bit positions (reference/vtd.md §1), and checks
 * them in the order of reference/vtd.md §3. Fills a caller-owned record;
 * returns 0 or the VT-d fault reason.
 */
import type { PhysMemory } from '../../../core/memory/phys-memory.js';
import { domainCount, sagawAllows, type VtdCaps } from '../capabilities.js';
import { VTD_FAULT as F } from '../fault-reasons.js';
import { entryPfn } from './walk-state.js';

/** A decoded context entry (legacy or scalable) plus its fault, in numbers. */
export class ContextInfo {
  fpd = false;
  // legacy
  tt = 0;
  aw = 0;
  did = 0;
  slptPfn = 0;
  // scalable
  dte = false;
  paside = false;
  pre = false;
  pdts = 0;
  dirPfn = 0;
  ridPasid = 0;
  ridPriv = false;
  reads = 0;
}

/** A decoded PASID-table entry (with the directory entry's FPD folded in). */
export class PasidInfo {
  fpd = false;
  pgtt = 0;
  aw = 0;
  flpm = 0;
  sre = false;
  ere = false;
  wpe = false;
  nxe = false;
  eafe = false;
  slee = false;
  slade = false;
  did = 0;
  slptPfn = 0;
  flptPfn = 0;
  reads = 0;
}

/** Legacy mode: root entry then context entry (VT-d 3.4.2, 9.1, 9.3). */
export function readLegacyContext(
  mem: PhysMemory,
  caps: VtdCaps,
  rta: number,
  sid: number,
  o: ContextInfo,
): number {
  o.fpd = false;
  o.reads = 1;
  const rp = mem.page(Math.floor(rta / 4096));
  if (rp === undefined) return F.ROOT_ENTRY_READ_ERROR;
  const r = (sid >>> 8) * 4;
  const r0 = rp[r]!;
  if ((r0 & 1) === 0) return F.ROOT_ENTRY_NOT_PRESENT;
  if ((r0 & 0xffe) !== 0 || rp[r + 2] !== 0 || rp[r + 3] !== 0) return F.ROOT_ENTRY_RESERVED;
  o.reads = 2;
  const cp = mem.page(entryPfn(r0, rp[r + 1]!));
  if (cp === undefined) return F.CONTEXT_ENTRY_READ_ERROR;
  const c = (sid & 0xff) * 4;
  const c0 = cp[c]!;
  const c2 = cp[c + 2]!;
  if ((c0 & 1) === 0) return F.CONTEXT_ENTRY_NOT_PRESENT;
  if ((c0 & 0xff0) !== 0 || (c2 & 0x80) !== 0 || c2 >>> 24 !== 0 || cp[c + 3] !== 0)
    return F.CONTEXT_ENTRY_RESERVED;
  o.fpd = (c0 & 2) !== 0;
  o.tt = (c0 >>> 2) & 3;
  o.aw = c2 & 7;
  o.did = (c2 >>> 8) & 0xffff;
  o.slptPfn = entryPfn(c0, cp[c + 1]!);
  if (o.tt === 3 || (o.tt === 1 && !caps.dt) || (o.tt === 2 && !caps.pt)) return F.CONTEXT_ENTRY_INVALID;
  if (!sagawAllows(caps, o.aw + 2) || o.did >= domainCount(caps)) return F.CONTEXT_ENTRY_INVALID;
  return 0;
}

/** Scalable mode: root half then 256-bit context entry (VT-d 9.2, 9.4). */
export function readScalableContext(
  mem: PhysMemory,
  caps: VtdCaps,
  rta: number,
  sid: number,
  o: ContextInfo,
): number {
  o.fpd = false;
  o.reads = 1;
  const rp = mem.page(Math.floor(rta / 4096));
  if (rp === undefined) return F.SM_ROOT_ENTRY_READ_ERROR;
  const devfn = sid & 0xff;
  const r = (sid >>> 8) * 4 + (devfn >= 128 ? 2 : 0);
  const r0 = rp[r]!;
  if ((r0 & 1) === 0) return F.SM_ROOT_ENTRY_NOT_PRESENT;
  // Reserved: bits 11:1 of the half in use, and its table pointer's bits HAW and up (vtd.md §1.1;
  // this model's HAW is MGAW, 39..57: bit HAW sits in the high word).
  if ((r0 & 0xffe) !== 0 || (rp[r + 1]! & ~(2 ** (caps.mgaw - 32) - 1)) !== 0)
    return F.SM_ROOT_ENTRY_RESERVED;
  o.reads = 2;
  const cp = mem.page(entryPfn(r0, rp[r + 1]!));
  if (cp === undefined) return F.SM_CONTEXT_ENTRY_READ_ERROR;
  const c = (devfn & 0x7f) * 8;
  const c0 = cp[c]!;
  const c2 = cp[c + 2]!;
  if ((c0 & 1) === 0) return F.SM_CONTEXT_ENTRY_NOT_PRESENT;
  if (
    (c0 & 0x1e0) !== 0 ||
    (c2 & 0xffe0_0000) !== 0 ||
    (cp[c + 3]! | cp[c + 4]! | cp[c + 5]! | cp[c + 6]! | cp[c + 7]!) !== 0
  ) {
    return F.SM_CONTEXT_ENTRY_RESERVED;
  }
  o.fpd = (c0 & 2) !== 0;
  o.dte = (c0 & 4) !== 0;
  o.paside = (c0 & 8) !== 0;
  o.pre = (c0 & 16) !== 0;
  o.pdts = (c0 >>> 9) & 7;
  o.dirPfn = entryPfn(c0, cp[c + 1]!);
  o.ridPasid = c2 & 0xfffff;
  o.ridPriv = (c2 & 0x10_0000) !== 0;
  if ((o.dte && !caps.dt) || (o.pre && !caps.prs) || (o.paside && caps.pasidBits === 0))
    return F.SM_CONTEXT_ENTRY_INVALID;
  if (caps.pasidBits < 20 && o.ridPasid >= 2 ** caps.pasidBits) return F.SM_RID_PASID_ERROR;
  return 0;
}

/** PASID directory entry then PASID-table entry (VT-d 9.5, 9.6). */
export function readPasidEntryInfo(
  mem: PhysMemory,
  caps: VtdCaps,
  dirPfn: number,
  pasid: number,
  o: PasidInfo,
): number {
  o.fpd = false;
  o.reads = 1;
  const dirIndex = pasid >>> 6;
  const dp = mem.page(dirPfn + (dirIndex >>> 9));
  if (dp === undefined) return F.SM_PASID_DIR_ENTRY_READ_ERROR;
  const d = (dirIndex & 511) * 2;
  const d0 = dp[d]!;
  o.fpd = (d0 & 2) !== 0;
  if ((d0 & 1) === 0) return F.SM_PASID_DIR_ENTRY_NOT_PRESENT;
  if ((d0 & 0xffc) !== 0) return F.SM_PASID_DIR_ENTRY_RESERVED;
  o.reads = 2;
  const tp = mem.page(entryPfn(d0, dp[d + 1]!));
  if (tp === undefined) return F.SM_PASID_ENTRY_READ_ERROR;
  const q = (pasid & 63) * 16;
  const q0 = tp[q]!;
  const q2 = tp[q + 2]!;
  const q4 = tp[q + 4]!;
  o.fpd = o.fpd || (q0 & 2) !== 0;
  if ((q0 & 1) === 0) return F.SM_PASID_ENTRY_NOT_PRESENT;
  let rest = 0;
  for (let i = 6; i < 16; i++) rest |= tp[q + i]!;
  if ((q0 & 0xc00) !== 0 || (q2 & 0x7f_0000) !== 0 || (q4 & 0xf00) !== 0 || rest !== 0)
    return F.SM_PASID_ENTRY_RESERVED;
  o.aw = (q0 >>> 2) & 7;
  o.slee = (q0 & 0x20) !== 0;
  o.pgtt = (q0 >>> 6) & 7;
  o.slade = (q0 & 0x200) !== 0;
  o.slptPfn = entryPfn(q0, tp[q + 1]!);
  o.did = q2 & 0xffff;
  o.sre = (q4 & 1) !== 0;
  o.ere = (q4 & 2) !== 0;
  o.flpm = (q4 >>> 2) & 3;
  o.wpe = (q4 & 0x10) !== 0;
  o.nxe = (q4 & 0x20) !== 0;
  o.eafe = (q4 & 0x80) !== 0;
  o.flptPfn = entryPfn(q4, tp[q + 5]!);
  const p = o.pgtt;
  if (p < 1 || p > 4) return F.SM_PASID_ENTRY_INVALID;
  if (
    (p === 1 && !caps.flts) ||
    (p === 2 && !caps.slts) ||
    (p === 3 && !caps.nest) ||
    (p === 4 && !caps.pt)
  ) {
    return F.SM_PASID_ENTRY_INVALID;
  }
  if ((p === 2 || p === 3) && !sagawAllows(caps, o.aw + 2)) return F.SM_PASID_ENTRY_INVALID;
  if ((p === 1 || p === 3) && (o.flpm > 1 || (o.flpm === 1 && !caps.fl5lp))) return F.SM_PASID_ENTRY_INVALID;
  if ((o.sre && !caps.srs) || (o.ere && !caps.ers) || (o.eafe && !caps.eafs) || (o.slade && !caps.slads)) {
    return F.SM_PASID_ENTRY_INVALID;
  }
  if (o.did >= domainCount(caps)) return F.SM_PASID_ENTRY_INVALID;
  return 0;
}
