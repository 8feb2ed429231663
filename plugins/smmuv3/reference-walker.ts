/**
 * An independent, uncached, deliberately simple SMMUv3 translator for tests:
 * BigInt arithmetic on whole 64-bit descriptors read with PhysMemory.read64,
 * its own field extraction, no caches, no shared code with walk.ts/config.ts
 * beyond the event codes. It assumes a linear stream table and well-formed
 * STE/CD (the property tests build those); the descriptors may be anything.
 */
import type { PhysMemory } from '../../core/memory/phys-memory.js';
import { SMMU_EVENT } from './faults.js';

export interface RefResult {
  /** 0 = translated, -1 = aborted by STE.Config (no event), else an event code. */
  readonly fault: number;
  readonly s2: boolean;
  readonly out: bigint;
  readonly shift: number;
}

const F = (fault: number, s2 = false): RefResult => ({ fault, s2, out: 0n, shift: 0 });
const bits = (v: bigint, hi: number, lo: number): number =>
  Number((v >> BigInt(lo)) & ((1n << BigInt(hi - lo + 1)) - 1n));
const PS = [32, 36, 40, 42, 44, 48, 52];

interface Regime {
  ttb: bigint;
  g: number;
  start: number;
  inBits: number;
  oaBits: number;
  affd: boolean;
  had: boolean;
  wxn: boolean;
  pan: boolean;
  s2: boolean;
}

/** Translates `iova` for `sid` with a linear stream table at `strtab`; `access` uses ACCESS bits. */
export function referenceTranslate(
  mem: PhysMemory,
  oasBits: number,
  strtab: number,
  sid: number,
  iova: bigint,
  access: number,
): RefResult {
  const rd = (a: bigint): bigint | undefined => mem.read64(Number(a));
  const ste0 = rd(BigInt(strtab + sid * 64))!;
  const ste2 = rd(BigInt(strtab + sid * 64 + 16))!;
  const ste3 = rd(BigInt(strtab + sid * 64 + 24))!;
  if (bits(ste0, 0, 0) === 0) return F(SMMU_EVENT.C_BAD_STE);
  const config = bits(ste0, 3, 1);
  if ((config & 4) === 0) return F(-1);
  const s1on = (config & 1) === 1;
  const s2on = (config & 2) === 2;
  if (!s1on && !s2on) return { fault: 0, s2: false, out: iova, shift: 12 };
  let s2: Regime | null = null;
  if (s2on) {
    const tg = bits(ste2, 47, 46);
    const g = tg === 0 ? 12 : tg === 1 ? 16 : 14;
    const sl0 = bits(ste2, 39, 38);
    s2 = {
      ttb: BigInt(bits(ste3, 51, 4)) << 4n,
      g,
      start: g === 12 ? 2 - sl0 : 3 - sl0,
      inBits: 64 - bits(ste2, 37, 32),
      oaBits: Math.min(PS[bits(ste2, 50, 48)] ?? oasBits, oasBits),
      affd: bits(ste2, 53, 53) === 1,
      had: true,
      wxn: false,
      pan: false,
      s2: true,
    };
  }
  // Stage 2 of an IPA: the request's own access for the output, a read for CD and table fetches.
  const stage2 = (ipa: bigint, acc = 9): RefResult => {
    if (ipa >= 1n << BigInt(s2!.inBits)) return F(SMMU_EVENT.F_TRANSLATION, true);
    const r = walk(rd, s2!, ipa, acc, null);
    return r.fault === 0 ? r : { ...r, s2: true };
  };
  if (!s1on) {
    if (iova >= 1n << BigInt(oasBits)) return F(SMMU_EVENT.F_ADDR_SIZE);
    return stage2(iova, access);
  }
  let cdAddr = BigInt(bits(ste0, 51, 6)) << 6n;
  if (s2on) {
    const r = stage2(cdAddr);
    if (r.fault !== 0) return r;
    cdAddr = r.out;
  }
  const cd0 = rd(cdAddr)!;
  const cd1 = rd(cdAddr + 8n)!;
  const cd2 = rd(cdAddr + 16n)!;
  const ips = Math.min(PS[bits(cd0, 34, 32)] ?? oasBits, oasBits);
  const t0 = 64 - bits(cd0, 5, 0);
  const t1 = 64 - bits(cd0, 21, 16);
  const upper = iova >> BigInt(t1) === (1n << BigInt(64 - t1)) - 1n;
  const lower = iova >> BigInt(t0) === 0n;
  const use1 = !lower && upper;
  if (!lower && !upper) return F(SMMU_EVENT.F_TRANSLATION);
  if (bits(cd0, use1 ? 30 : 14, use1 ? 30 : 14) === 1) return F(SMMU_EVENT.F_TRANSLATION);
  const tgField = bits(cd0, use1 ? 23 : 7, use1 ? 22 : 6);
  const g = use1 ? [0, 14, 12, 16][tgField]! : [12, 16, 14, 0][tgField]!;
  const inBits = use1 ? t1 : t0;
  const s1: Regime = {
    ttb: BigInt(bits(use1 ? cd2 : cd1, 51, 4)) << 4n,
    g,
    start: 4 - Math.floor((inBits - 4) / (g - 3)),
    inBits,
    oaBits: ips,
    affd: bits(cd0, 35, 35) === 1,
    had: bits(use1 ? cd2 : cd1, 1, 1) === 1,
    wxn: bits(cd0, 36, 36) === 1,
    pan: bits(cd0, 40, 40) === 1,
    s2: false,
  };
  const r1 = walk(rd, s1, iova & ((1n << BigInt(inBits)) - 1n), access, s2on ? stage2 : null);
  if (r1.fault !== 0 || !s2on) return r1;
  const r2 = stage2(r1.out, access);
  if (r2.fault !== 0) return r2;
  return { fault: 0, s2: false, out: r2.out, shift: Math.min(r1.shift, r2.shift) };
}

function walk(
  rd: (a: bigint) => bigint | undefined,
  r: Regime,
  input: bigint,
  access: number,
  viaS2: ((ipa: bigint) => RefResult) | null,
): RefResult {
  let table = r.ttb;
  if (table >= 1n << BigInt(r.oaBits)) return F(SMMU_EVENT.F_ADDR_SIZE);
  let apRo = false;
  let apNoEl0 = false;
  let pxnT = false;
  let uxnT = false;
  for (let level = r.start; level <= 3; level++) {
    const shift = r.g + (3 - level) * (r.g - 3);
    const width = level === r.start ? r.inBits - shift : r.g - 3;
    if (level === r.start) table -= table % (8n << BigInt(width));
    const idx = (input >> BigInt(shift)) & ((1n << BigInt(width)) - 1n);
    let at = table + idx * 8n;
    if (viaS2) {
      const t = viaS2(at);
      if (t.fault !== 0) return t;
      at = t.out;
    }
    const d = rd(at);
    if (d === undefined) return F(SMMU_EVENT.F_WALK_EABT);
    if ((d & 1n) === 0n) return F(SMMU_EVENT.F_TRANSLATION);
    const isTable = (d & 2n) !== 0n;
    if (level < 3 && isTable) {
      table = BigInt(bits(d, 47, r.g)) << BigInt(r.g);
      if (table >= 1n << BigInt(r.oaBits)) return F(SMMU_EVENT.F_ADDR_SIZE);
      if (!r.s2 && !r.had) {
        apRo ||= bits(d, 62, 62) === 1;
        apNoEl0 ||= bits(d, 61, 61) === 1;
        uxnT ||= bits(d, 60, 60) === 1;
        pxnT ||= bits(d, 59, 59) === 1;
      }
      continue;
    }
    if (level === 3 ? !isTable : level < (r.g === 12 ? 1 : 2)) return F(SMMU_EVENT.F_TRANSLATION);
    const oa = BigInt(bits(d, 47, shift)) << BigInt(shift);
    if (oa >= 1n << BigInt(r.oaBits)) return F(SMMU_EVENT.F_ADDR_SIZE);
    if (bits(d, 10, 10) === 0 && !r.affd) return F(SMMU_EVENT.F_ACCESS);
    if (!allowed(r, d, access, apRo, apNoEl0, pxnT, uxnT)) return F(SMMU_EVENT.F_PERMISSION);
    return { fault: 0, s2: false, out: oa + (input & ((1n << BigInt(shift)) - 1n)), shift };
  }
  throw new Error('unreachable');
}

function allowed(
  r: Regime,
  d: bigint,
  access: number,
  apRo: boolean,
  apNoEl0: boolean,
  pxnT: boolean,
  uxnT: boolean,
): boolean {
  const wantR = (access & 1) !== 0;
  const wantW = (access & 2) !== 0;
  const wantX = (access & 4) !== 0;
  const priv = (access & 8) !== 0;
  if (r.s2) {
    if (wantR && bits(d, 6, 6) === 0) return false;
    if (wantW && bits(d, 7, 7) === 0) return false;
    if (wantX && bits(d, 54, 54) === 1) return false;
    return true;
  }
  const ro = bits(d, 7, 7) === 1 || apRo;
  const el0 = bits(d, 6, 6) === 1 && !apNoEl0;
  if (priv) {
    if ((wantR || wantW) && r.pan && el0) return false;
    if (wantW && ro) return false;
    if (wantX && (bits(d, 53, 53) === 1 || pxnT || (el0 && !ro) || (r.wxn && !ro))) return false;
    return true;
  }
  if (!el0 && (wantR || wantW || wantX)) return false;
  if (wantW && ro) return false;
  if (wantX && (bits(d, 54, 54) === 1 || uxnT || (r.wxn && !ro))) return false;
  return true;
}
