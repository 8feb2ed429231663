/**
 * Scalable-mode PASID table entry, 512 bits = 8 qwords (reference/vtd.md §1.5).
 * Field names keep the spec's spelling. Pointers are byte addresses as
 * bigints; everything else fits a number. Cold path: the translation walker
 * reads the words directly (walk/context-walk.ts).
 */
import type { PhysMemory } from '../../../core/memory/phys-memory.js';

/** PGTT values (VT-d 9.6): what the entry translates with. */
export const PGTT = { FL_ONLY: 1, SL_ONLY: 2, NESTED: 3, PT: 4 } as const;

export interface PasidEntry {
  readonly P: boolean;
  /** Fault processing disable; honoured even when P = 0. */
  readonly FPD: boolean;
  /** Second-level AGAW: levels = AW + 2. */
  readonly AW: number;
  readonly SLEE: boolean;
  readonly PGTT: number;
  readonly SLADE: boolean;
  /** Second-level table root (HPA, 4 KiB aligned). */
  readonly SLPTPTR: bigint;
  readonly DID: number;
  readonly PWSNP: boolean;
  readonly PGSNP: boolean;
  readonly CD: boolean;
  readonly EMTE: boolean;
  readonly EMT: number;
  readonly PWT: boolean;
  readonly PCD: boolean;
  /** 32-bit PAT field. */
  readonly PAT: number;
  readonly SRE: boolean;
  readonly ERE: boolean;
  /** First-level paging mode: 0 = 4-level, 1 = 5-level. */
  readonly FLPM: number;
  readonly WPE: boolean;
  readonly NXE: boolean;
  readonly SMEP: boolean;
  readonly EAFE: boolean;
  /** First-level table root: HPA for PGTT=001, GPA for PGTT=011. */
  readonly FLPTPTR: bigint;
}

export const EMPTY_PASID_ENTRY: PasidEntry = Object.freeze({
  P: false,
  FPD: false,
  AW: 0,
  SLEE: false,
  PGTT: 0,
  SLADE: false,
  SLPTPTR: 0n,
  DID: 0,
  PWSNP: false,
  PGSNP: false,
  CD: false,
  EMTE: false,
  EMT: 0,
  PWT: false,
  PCD: false,
  PAT: 0,
  SRE: false,
  ERE: false,
  FLPM: 0,
  WPE: false,
  NXE: false,
  SMEP: false,
  EAFE: false,
  FLPTPTR: 0n,
});

/** Size in bytes of one PASID table entry. */
export const PASID_ENTRY_BYTES = 64;

const ADDR_MASK = 0xffff_ffff_ffff_f000n;
const bit = (v: bigint, n: number): boolean => ((v >> BigInt(n)) & 1n) === 1n;
const field = (v: bigint, lo: number, width: number): number =>
  Number((v >> BigInt(lo)) & ((1n << BigInt(width)) - 1n));
const f = (x: boolean, n: number): bigint => (x ? 1n << BigInt(n) : 0n);
const put = (x: number, lo: number, width: number): bigint =>
  (BigInt(x) & ((1n << BigInt(width)) - 1n)) << BigInt(lo);

/** Encodes an entry as 8 qwords. Pointer bits below 12 are dropped. */
export function encodePasidEntry(e: PasidEntry): bigint[] {
  const qw0 =
    f(e.P, 0) |
    f(e.FPD, 1) |
    put(e.AW, 2, 3) |
    f(e.SLEE, 5) |
    put(e.PGTT, 6, 3) |
    f(e.SLADE, 9) |
    (e.SLPTPTR & ADDR_MASK);
  const qw1 =
    put(e.DID, 0, 16) |
    f(e.PWSNP, 23) |
    f(e.PGSNP, 24) |
    f(e.CD, 25) |
    f(e.EMTE, 26) |
    put(e.EMT, 27, 3) |
    f(e.PWT, 30) |
    f(e.PCD, 31) |
    put(e.PAT, 32, 32);
  const qw2 =
    f(e.SRE, 0) |
    f(e.ERE, 1) |
    put(e.FLPM, 2, 2) |
    f(e.WPE, 4) |
    f(e.NXE, 5) |
    f(e.SMEP, 6) |
    f(e.EAFE, 7) |
    (e.FLPTPTR & ADDR_MASK);
  return [qw0, qw1, qw2, 0n, 0n, 0n, 0n, 0n];
}

/** Decodes 8 qwords (missing words read as 0). Reserved bits are not reported here: see pasidEntryReserved. */
export function decodePasidEntry(qw: readonly bigint[]): PasidEntry {
  const q0 = qw[0] ?? 0n;
  const q1 = qw[1] ?? 0n;
  const q2 = qw[2] ?? 0n;
  return {
    P: bit(q0, 0),
    FPD: bit(q0, 1),
    AW: field(q0, 2, 3),
    SLEE: bit(q0, 5),
    PGTT: field(q0, 6, 3),
    SLADE: bit(q0, 9),
    SLPTPTR: q0 & ADDR_MASK,
    DID: field(q1, 0, 16),
    PWSNP: bit(q1, 23),
    PGSNP: bit(q1, 24),
    CD: bit(q1, 25),
    EMTE: bit(q1, 26),
    EMT: field(q1, 27, 3),
    PWT: bit(q1, 30),
    PCD: bit(q1, 31),
    PAT: field(q1, 32, 32),
    SRE: bit(q2, 0),
    ERE: bit(q2, 1),
    FLPM: field(q2, 2, 2),
    WPE: bit(q2, 4),
    NXE: bit(q2, 5),
    SMEP: bit(q2, 6),
    EAFE: bit(q2, 7),
    FLPTPTR: q2 & ADDR_MASK,
  };
}

/** Reserved-bit masks per qword (VT-d 9.6; qwords 3..7 are all reserved). */
export const PASID_ENTRY_RSVD: readonly bigint[] = [
  0xc00n,
  0x7f_0000n,
  0xf00n,
  0xffff_ffff_ffff_ffffn,
  0xffff_ffff_ffff_ffffn,
  0xffff_ffff_ffff_ffffn,
  0xffff_ffff_ffff_ffffn,
  0xffff_ffff_ffff_ffffn,
];

/** True when any reserved bit of the entry is set. */
export function pasidEntryReserved(qw: readonly bigint[]): boolean {
  for (let i = 0; i < 8; i++) if (((qw[i] ?? 0n) & PASID_ENTRY_RSVD[i]!) !== 0n) return true;
  return false;
}

/** Reads the 8 qwords at `pa` (64-byte aligned); undefined when memory is not backed. */
export function readPasidEntryWords(mem: PhysMemory, pa: number): bigint[] | undefined {
  const out: bigint[] = [];
  for (let i = 0; i < 8; i++) {
    const v = mem.read64(pa + 8 * i);
    if (v === undefined) return undefined;
    out.push(v);
  }
  return out;
}

export function readPasidEntry(mem: PhysMemory, pa: number): PasidEntry | undefined {
  const w = readPasidEntryWords(mem, pa);
  return w === undefined ? undefined : decodePasidEntry(w);
}

/** Writes the entry at `pa` (64-byte aligned). Throws if memory is not backed. */
export function writePasidEntry(mem: PhysMemory, pa: number, e: PasidEntry): void {
  writePasidEntryWords(mem, pa, encodePasidEntry(e));
}

export function writePasidEntryWords(mem: PhysMemory, pa: number, qw: readonly bigint[]): void {
  if (pa % PASID_ENTRY_BYTES !== 0)
    throw new RangeError(`PASID entry address 0x${pa.toString(16)} is not 64-byte aligned`);
  for (let i = 0; i < 8; i++) mem.write64(pa + 8 * i, qw[i] ?? 0n);
}
