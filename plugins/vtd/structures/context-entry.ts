/**
 * Context entries (reference/vtd.md §1.2, §1.3). Legacy: 128 bits, 256 per
 * table indexed by devfn. Scalable: 256 bits, 128 per half-table indexed by
 * devfn & 0x7F. Pointers are byte addresses as bigints.
 */
import type { PhysMemory } from '../../../core/memory/phys-memory.js';

/** Legacy TT values (VT-d 9.3). */
export const TT = { UNTRANSLATED: 0, ALL: 1, PASS_THROUGH: 2 } as const;

export interface LegacyContextEntry {
  readonly P: boolean;
  readonly FPD: boolean;
  readonly TT: number;
  readonly SLPTPTR: bigint;
  /** AGAW code: levels = AW + 2. */
  readonly AW: number;
  readonly AVAIL: number;
  readonly DID: number;
}

export interface ScalableContextEntry {
  readonly P: boolean;
  readonly FPD: boolean;
  readonly DTE: boolean;
  readonly PASIDE: boolean;
  readonly PRE: boolean;
  /** PASID directory holds 2^(PDTS+7) entries. */
  readonly PDTS: number;
  readonly PASIDDIRPTR: bigint;
  readonly RID_PASID: number;
  readonly RID_PRIV: boolean;
}

const ADDR = 0xffff_ffff_ffff_f000n;
const bit = (v: bigint, n: number): boolean => ((v >> BigInt(n)) & 1n) === 1n;
const field = (v: bigint, lo: number, w: number): number =>
  Number((v >> BigInt(lo)) & ((1n << BigInt(w)) - 1n));
const f = (x: boolean, n: number): bigint => (x ? 1n << BigInt(n) : 0n);
const put = (x: number, lo: number, w: number): bigint =>
  (BigInt(x) & ((1n << BigInt(w)) - 1n)) << BigInt(lo);

/** Reserved bits: qw0 11:4; qw1 bit 7 and 127:88 (VT-d 9.3). */
export const LEGACY_CONTEXT_RSVD: readonly [bigint, bigint] = [0xff0n, 0xffff_ffff_ff00_0080n];
/** Reserved bits: qw0 8:5; qw1 127:85; qw2, qw3 all (VT-d 9.4). */
export const SCALABLE_CONTEXT_RSVD: readonly [bigint, bigint, bigint, bigint] = [
  0x1e0n,
  0xffff_ffff_ffe0_0000n,
  0xffff_ffff_ffff_ffffn,
  0xffff_ffff_ffff_ffffn,
];

export function encodeLegacyContext(e: LegacyContextEntry): [bigint, bigint] {
  return [
    f(e.P, 0) | f(e.FPD, 1) | put(e.TT, 2, 2) | (e.SLPTPTR & ADDR),
    put(e.AW, 0, 3) | put(e.AVAIL, 3, 4) | put(e.DID, 8, 16),
  ];
}

export function decodeLegacyContext(qw: readonly bigint[]): LegacyContextEntry {
  const a = qw[0] ?? 0n;
  const b = qw[1] ?? 0n;
  return {
    P: bit(a, 0),
    FPD: bit(a, 1),
    TT: field(a, 2, 2),
    SLPTPTR: a & ADDR,
    AW: field(b, 0, 3),
    AVAIL: field(b, 3, 4),
    DID: field(b, 8, 16),
  };
}

export function encodeScalableContext(e: ScalableContextEntry): [bigint, bigint, bigint, bigint] {
  return [
    f(e.P, 0) |
      f(e.FPD, 1) |
      f(e.DTE, 2) |
      f(e.PASIDE, 3) |
      f(e.PRE, 4) |
      put(e.PDTS, 9, 3) |
      (e.PASIDDIRPTR & ADDR),
    put(e.RID_PASID, 0, 20) | f(e.RID_PRIV, 20),
    0n,
    0n,
  ];
}

export function decodeScalableContext(qw: readonly bigint[]): ScalableContextEntry {
  const a = qw[0] ?? 0n;
  const b = qw[1] ?? 0n;
  return {
    P: bit(a, 0),
    FPD: bit(a, 1),
    DTE: bit(a, 2),
    PASIDE: bit(a, 3),
    PRE: bit(a, 4),
    PDTS: field(a, 9, 3),
    PASIDDIRPTR: a & ADDR,
    RID_PASID: field(b, 0, 20),
    RID_PRIV: bit(b, 20),
  };
}

/** Byte address of the context entry for `devfn` given the root entry's table pointer. */
export function legacyContextAddress(ctp: number, devfn: number): number {
  return ctp + 16 * (devfn & 0xff);
}

export function scalableContextAddress(ctp: number, devfn: number): number {
  return ctp + 32 * (devfn & 0x7f);
}

export function writeWords(mem: PhysMemory, pa: number, qw: readonly bigint[]): void {
  for (let i = 0; i < qw.length; i++) mem.write64(pa + 8 * i, qw[i]!);
}

export function readWords(mem: PhysMemory, pa: number, n: number): bigint[] | undefined {
  const out: bigint[] = [];
  for (let i = 0; i < n; i++) {
    const v = mem.read64(pa + 8 * i);
    if (v === undefined) return undefined;
    out.push(v);
  }
  return out;
}
