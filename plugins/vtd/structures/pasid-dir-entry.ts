/**
 * Scalable-mode PASID directory entry, 64 bits (reference/vtd.md §1.4).
 * Directory index = PASID[19:6]; each PASID table holds 64 entries of 64 bytes.
 */
export interface PasidDirEntry {
  readonly P: boolean;
  /** Fault processing disable; honoured even when P = 0. */
  readonly FPD: boolean;
  /** PASID table pointer (HPA). */
  readonly SMPTBLPTR: bigint;
}

/** Reserved bits 11:2. */
export const PASID_DIR_RSVD = 0xffcn;

export function encodePasidDirEntry(e: PasidDirEntry): bigint {
  return (e.P ? 1n : 0n) | (e.FPD ? 2n : 0n) | (e.SMPTBLPTR & 0xffff_ffff_ffff_f000n);
}

export function decodePasidDirEntry(qw: bigint): PasidDirEntry {
  return { P: (qw & 1n) === 1n, FPD: (qw & 2n) === 2n, SMPTBLPTR: qw & 0xffff_ffff_ffff_f000n };
}

/** Directory index of a PASID. */
export function pasidDirIndex(pasid: number): number {
  return pasid >>> 6;
}

/** Index of the PASID inside its PASID table. */
export function pasidTableIndex(pasid: number): number {
  return pasid & 0x3f;
}
