/**
 * The SMMUv3 caches, built from core/cache (reference A.8, D.1):
 * - TLB: key (context id of (VMID, ASID) or (VMID, stage-2 marker), input page, size code);
 *   never the StreamID. One size code per leaf size of the three granules, so an entry is
 *   a page or a block of its walk. perm = stage-1 PERM mask, aux0 = stage-2 PERM mask
 *   (PERM.ALL for a stage that is bypassed), aux1 = leaf level | granule << 4.
 * - Config cache: StreamID -> decoded STE + CD (StreamConfig).
 * Policies 'lru' | 'fifo' | 'random' | 'qemu' (QEMU: 256-entry IOTLB flushed when full,
 * unbounded config cache) come from the plugin options.
 */

import type { ReplacementPolicy } from '../../core/cache/index.js';
import {
  type CacheState,
  ContextIds,
  createTranslationCache,
  KeyedCache,
  type TranslationCache,
} from '../../core/cache/index.js';
import type { SeededRng } from '../../core/sim/rng.js';
import { assignState } from '../../core/state/stateful.js';
import { StreamConfig } from './config.js';

/** Leaf sizes in 4 KiB pages (log2): 4K L3, 16K L3, 64K L3, 4K L2 (2M), 16K L2 (32M), 64K L2 (512M), 4K L1 (1G). */
export const TLB_PAGE_SHIFTS: readonly number[] = [0, 2, 4, 9, 13, 17, 18];
/** Size code of a leaf whose size is 2^shift bytes (-1 if none). */
export const SIZE_CODE_OF_SHIFT: readonly number[] = (() => {
  const a = new Array<number>(64).fill(-1);
  TLB_PAGE_SHIFTS.forEach((s, i) => {
    a[s + 12] = i;
  });
  return a;
})();

/** Input pages of a TTB1 (upper) region are folded to bit 36 so keys stay below 2^45 (inputs are <= 48 bits). */
export const UPPER_REGION_BIT = 2 ** 36;
const PFN_LIMIT = 2 ** 52;

/** TLB key page for an input page: identity below 2^36, upper-region pages folded to 2^36 + low bits. */
export function tlbVpn(inPfn: number): number {
  return inPfn < UPPER_REGION_BIT
    ? inPfn
    : inPfn >= PFN_LIMIT - UPPER_REGION_BIT
      ? UPPER_REGION_BIT + (inPfn % UPPER_REGION_BIT)
      : -1;
}

export interface CacheSpec {
  readonly entries: number;
  readonly policy: ReplacementPolicy;
  readonly ways: number | 'full';
}

/** Stage-2-only entries use ASID tag 0; stage-1 ASIDs are stored +1. */
const S2_ONLY = 0;

export interface SmmuCachesState {
  readonly tlb: CacheState;
  readonly config: ReturnType<KeyedCache<StreamConfig>['saveState']>;
  readonly ids: ReturnType<ContextIds['saveState']>;
}

export class SmmuCaches {
  readonly tlb: TranslationCache;
  readonly config: KeyedCache<StreamConfig>;
  readonly #ids = new ContextIds();

  constructor(tlb: CacheSpec, config: CacheSpec, rng: SeededRng) {
    this.tlb = createTranslationCache({ ...tlb, rng, pageShifts: TLB_PAGE_SHIFTS, contexts: 64 });
    this.config = new KeyedCache<StreamConfig>({ ...config, rng });
  }

  /** Context id for stage-1 (or nested) entries of (vmid, asid), or stage-2-only entries when asid < 0. */
  contextFor(vmid: number, asid: number): number {
    return this.#ids.intern(vmid, asid < 0 ? S2_ONLY : asid + 1);
  }

  /** CMD_TLBI_NH_ASID: stage-1 entries of (vmid, asid). */
  invalidateAsid(vmid: number, asid: number): number {
    const ctx = this.#ids.find(vmid, asid + 1);
    return ctx < 0 ? 0 : this.tlb.invalidateContext(ctx);
  }

  /** CMD_TLBI_NH_ALL: every stage-1 entry of vmid. CMD_TLBI_S12_VMALL (withStage2): stage-2 ones too. */
  invalidateVmid(vmid: number, withStage2: boolean): number {
    let n = 0;
    for (const ctx of this.#ids.withFirst(vmid)) {
      if (withStage2 || this.#ids.second(ctx) !== S2_ONLY) n += this.tlb.invalidateContext(ctx);
    }
    return n;
  }

  /**
   * CMD_TLBI_NH_VA (asid >= 0) / CMD_TLBI_NH_VAA (asid < 0: every ASID of vmid): stage-1 entries
   * overlapping pages [vpn, vpn + pages) (vpn from tlbVpn()).
   */
  invalidateVa(vmid: number, asid: number, vpn: number, pages: number): number {
    if (asid >= 0) {
      const ctx = this.#ids.find(vmid, asid + 1);
      return ctx < 0 ? 0 : this.tlb.invalidateRange(ctx, vpn, pages);
    }
    let n = 0;
    for (const ctx of this.#ids.withFirst(vmid)) {
      if (this.#ids.second(ctx) !== S2_ONLY) n += this.tlb.invalidateRange(ctx, vpn, pages);
    }
    return n;
  }

  /** CMD_TLBI_S2_IPA: stage-2-only entries of vmid overlapping the IPA pages (not combined nested entries). */
  invalidateIpa(vmid: number, ipaPfn: number, pages: number): number {
    const ctx = this.#ids.find(vmid, S2_ONLY);
    return ctx < 0 ? 0 : this.tlb.invalidateRange(ctx, ipaPfn, pages);
  }

  /** Both caches and the context tags, for snapshots. */
  saveState(): SmmuCachesState {
    return {
      tlb: this.tlb.saveState(),
      config: this.config.saveState((c) => c),
      ids: this.#ids.saveState(),
    };
  }

  loadState(s: SmmuCachesState): void {
    this.tlb.loadState(s.tlb);
    this.config.loadState(s.config, (saved) => {
      const c = new StreamConfig();
      assignState(c, saved as object);
      return c;
    });
    this.#ids.loadState(s.ids);
  }

  /** Tags of a context id, for snapshots and events. */
  tagsOf(ctx: number): { vmid: number; asid: number | null } {
    const b = this.#ids.second(ctx);
    return { vmid: this.#ids.first(ctx), asid: b === S2_ONLY ? null : b - 1 };
  }
}
