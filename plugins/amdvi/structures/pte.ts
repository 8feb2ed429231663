/**
 * Host ("v1") I/O page-table entry, 64 bits (AMD IOMMU spec "I/O Page Tables
 * for Host Translations"; reference smmuv3-amdvi.md B.3): PR 0, A 5, D 6,
 * NextLevel 11:9, address 51:12, U 59, FC 60, IR 61, IW 62.
 */
import { getBits, setBits } from './bits.js';

export interface Pte {
  pr: boolean;
  a: boolean;
  d: boolean;
  /** 0 = leaf of the level's default size, 1..6 = level of the next table, 7 = leaf whose size is in the address. */
  nextLevel: number;
  /** Address bits 51:12 as a page frame number (for NextLevel 7 the low bits encode the size). */
  addrPfn: number;
  u: boolean;
  fc: boolean;
  ir: boolean;
  iw: boolean;
}

const b = (x: boolean): number => (x ? 1 : 0);

export function encodePte(p: Pte): bigint {
  let q = 0n;
  q = setBits(q, 0, 1, b(p.pr), 'pte.pr');
  q = setBits(q, 5, 1, b(p.a), 'pte.a');
  q = setBits(q, 6, 1, b(p.d), 'pte.d');
  q = setBits(q, 9, 3, p.nextLevel, 'pte.nextLevel');
  q = setBits(q, 12, 40, p.addrPfn, 'pte.addrPfn');
  q = setBits(q, 59, 1, b(p.u), 'pte.u');
  q = setBits(q, 60, 1, b(p.fc), 'pte.fc');
  q = setBits(q, 61, 1, b(p.ir), 'pte.ir');
  q = setBits(q, 62, 1, b(p.iw), 'pte.iw');
  return q;
}

export function decodePte(q: bigint): Pte {
  return {
    pr: getBits(q, 0, 1) === 1,
    a: getBits(q, 5, 1) === 1,
    d: getBits(q, 6, 1) === 1,
    nextLevel: getBits(q, 9, 3),
    addrPfn: getBits(q, 12, 40),
    u: getBits(q, 59, 1) === 1,
    fc: getBits(q, 60, 1) === 1,
    ir: getBits(q, 61, 1) === 1,
    iw: getBits(q, 62, 1) === 1,
  };
}

/** The default page size (log2 bytes) of a leaf at `level` (NextLevel 0): 12 + 9(level-1). */
export function levelShift(level: number): number {
  return 12 + 9 * (level - 1);
}

/**
 * NextLevel 7: the page is 2^(n+1) bytes where n is the lowest clear address
 * bit at or above bit 12. Returns log2 of the page size from the address pfn.
 */
export function nl7Shift(addrPfn: number): number {
  let b = 0;
  let x = addrPfn;
  while (x % 2 === 1) {
    x = (x - 1) / 2;
    b++;
  }
  return 13 + b;
}

/** The address pfn of a NextLevel-7 PTE mapping a 2^shift-byte page at `basePfn` (shift >= 13). */
export function nl7AddrPfn(basePfn: number, shift: number): number {
  if (shift < 13 || shift > 52)
    throw new RangeError(`NextLevel 7 page size 2^${shift} is out of range 2^13..2^52`);
  const pages = 2 ** (shift - 12);
  if (basePfn % pages !== 0)
    throw new RangeError(`page frame 0x${basePfn.toString(16)} is not aligned to 2^${shift} bytes`);
  return basePfn + pages / 2 - 1;
}
