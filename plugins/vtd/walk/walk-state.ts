/**
 * Caller-owned scratch state of the page walkers, so walks allocate nothing.
 * A walk reports structural outcomes (fetch error, not present, reserved,
 * address width) as a WALK_* class; translate.ts maps each class to the
 * legacy or scalable-mode fault reason. Permission checks and A/D writes
 * happen after the walk, in one place (translate.ts), so the order of checks
 * is: structure, permission, interrupt range, A/D update.
 */

export const WALK = {
  OK: 0,
  /** The table root itself is not backed (invalid SLPTPTR / FLPTPTR). */
  ROOT_FETCH: 1,
  /** A deeper table is not backed. */
  FETCH: 2,
  /** SL entry with R = W = 0, or FL entry with P = 0. */
  NOT_PRESENT: 3,
  /** Reserved bits set (including PS where the level or the caps forbid it). */
  RESERVED: 4,
  /** An entry's address field lies beyond the host address width. */
  ENTRY_ADDRESS: 5,
  /** Nested: a first-level table pointer (a GPA) is beyond the second-level width. */
  NESTED_BEYOND: 6,
  /** Nested: the SL walk of a first-level table GPA failed (not present / no read). */
  NESTED_NO_READ: 7,
  /** Nested: the SL walk of a first-level table GPA hit this class; add to NESTED_SL. */
  NESTED_SL: 16,
} as const;

/** Permission bits in walk results: the ACCESS values R=1, W=2, X=4. */
export const PERM_R = 1;
export const PERM_W = 2;
export const PERM_X = 4;
export const PERM_RWX = 7;

/** Flags of a second-level walk. */
export const SLF = {
  /** SLEE: the X bit grants execute (else execute follows read). */
  SLEE: 1,
  /** SLADE: set A on used entries, D on the leaf for writes. */
  AD: 2,
  /** CAP.SLLPS bit 0: 2 MiB leaves. */
  LP_2M: 4,
  /** CAP.SLLPS bit 1: 1 GiB leaves. */
  LP_1G: 8,
  /** SNP (bit 11) allowed: scalable mode or ECAP.SC. */
  SNP_OK: 16,
} as const;

/** Flags of a first-level walk. */
export const FLF = {
  /** CAP.FL1GP: 1 GiB leaves. */
  LP_1G: 1,
  /** PASID entry NXE: XD is meaningful (else reserved). */
  NXE: 2,
  /** PASID entry EAFE: set EA (bit 10) with A. */
  EAFE: 4,
  /** Nested: table pointers are GPAs translated by the second level. */
  NESTED: 8,
} as const;

/** Maximum A/D updates one walk can queue: 5 FL entries (+ SL entries of nested table walks). */
const MAX_AD = 64;

export class WalkState {
  /** 4 KiB output page for the input page. */
  outPfn = 0;
  /** log2 of the leaf's page size (12, 21, 30). */
  shift = 12;
  /** SL: R/W/X granted by every level. FL: see FL_* below. */
  perm = 0;
  /** FL: every level has R/W = 1. */
  flRw = true;
  /** FL: every level has U/S = 1. */
  flUs = true;
  /** FL: some level has XD = 1 (with NXE). */
  flXd = false;
  /** The level that failed, for the nested 0x75/0x76 split and diagnostics. */
  failLevel = 0;
  /** Table reads made. */
  reads = 0;
  /** Per level (index = level of the entry): next table page and cumulative permission after it, for PSC fills. */
  readonly nextTable = new Float64Array(6);
  readonly permAfter = new Int32Array(6);
  /** Nested FL walks: whether the SL maps the next table's page writable (1) or not (0). */
  readonly nextWritable = new Uint8Array(6);
  /** Levels recorded in nextTable (highest first), as a bit mask of levels. */
  levelsSeen = 0;

  /** Pending A/D updates: the words holding the entry (a page, or a pool chunk), the index of its low half, bits to OR in. */
  adCount = 0;
  readonly adPage: (Uint32Array | undefined)[] = new Array(MAX_AD).fill(undefined);
  readonly adIndex = new Int32Array(MAX_AD);
  readonly adBits = new Int32Array(MAX_AD);
  /** 1 when the SL mapping of the page holding this update grants write (nested), else 0; 1 when not nested. */
  readonly adWritable = new Uint8Array(MAX_AD);

  reset(): void {
    this.outPfn = 0;
    this.shift = 12;
    this.perm = 0;
    this.flRw = true;
    this.flUs = true;
    this.flXd = false;
    this.failLevel = 0;
    this.reads = 0;
    this.adCount = 0;
    this.levelsSeen = 0;
  }

  /** Queues an A/D update of the entry at words[index] (only when `bits` are not all set already). */
  queueAd(words: Uint32Array, index: number, bits: number, writable: boolean): void {
    if ((words[index]! & bits) === bits || this.adCount >= MAX_AD) return;
    const i = this.adCount++;
    this.adPage[i] = words;
    this.adIndex[i] = index;
    this.adBits[i] = bits;
    this.adWritable[i] = writable ? 1 : 0;
  }

  /** True when a queued update lands on a page the second level maps read-only. */
  adNeedsDeniedWrite(): boolean {
    for (let i = 0; i < this.adCount; i++) if (this.adWritable[i] === 0) return true;
    return false;
  }

  /** Appends the queued updates of `other` (a nested SL walk of a table page). */
  mergeAd(other: WalkState): void {
    for (let i = 0; i < other.adCount && this.adCount < MAX_AD; i++) {
      const j = this.adCount++;
      this.adPage[j] = other.adPage[i];
      this.adIndex[j] = other.adIndex[i]!;
      this.adBits[j] = other.adBits[i]!;
      this.adWritable[j] = 1;
    }
    other.adCount = 0;
  }

  /** Writes the queued A/D bits to memory. */
  commitAd(): void {
    for (let i = 0; i < this.adCount; i++) {
      const p = this.adPage[i]!;
      p[this.adIndex[i]!] = (p[this.adIndex[i]!]! | this.adBits[i]!) >>> 0;
      this.adPage[i] = undefined;
    }
    this.adCount = 0;
  }
}

/** Index of `vpn` (4 KiB page number < 2^45) in a table at `level` (1 = leaf level). */
export function levelIndex(vpn: number, level: number): number {
  switch (level) {
    case 1:
      return vpn & 511;
    case 2:
      return (vpn >>> 9) & 511;
    case 3:
      return (vpn >>> 18) & 511;
    case 4:
      return Math.floor(vpn / 134217728) & 511;
    default:
      return Math.floor(vpn / 68719476736) & 511;
  }
}

/** Address field (bits 51:12) of an entry as a page number. */
export function entryPfn(lo: number, hi: number): number {
  return (hi & 0xfffff) * 1048576 + (lo >>> 12);
}
