/**
 * AMD-Vi translation caches (reference smmuv3-amdvi.md D.1):
 * - the IOTLB, tagged by DomainID (plus PASID for guest/GN translations), not
 *   by DeviceID; built on core/cache's typed-array TranslationCache;
 * - the DTE cache, one slot per DeviceID, dropped by INVALIDATE_DEVTAB_ENTRY.
 * No page-directory cache is kept, so INVALIDATE_IOMMU_PAGES' PDE bit has
 * nothing extra to drop (exact for this model).
 */
import {
  type CacheCounters,
  type CacheState,
  createTranslationCache,
  emptyCounters,
  MAX_CONTEXT_ID,
  type ReplacementPolicy,
  type TranslationCache,
  VPN_LIMIT,
} from '../../core/cache/index.js';
import { NO_PASID } from '../../core/model/translation.js';
import type { SeededRng } from '../../core/sim/rng.js';
import { copyInto, refillMap } from '../../core/state/stateful.js';
import type { InvRange } from './structures/inv-range.js';

export interface IotlbConfig {
  readonly entries: number;
  readonly policy: ReplacementPolicy;
  readonly ways: number | 'full';
}

/**
 * Size codes (log2 of 4 KiB pages per entry). NextLevel-7 pages can be any
 * power of two, more sizes than a cache key holds: a page is cached as the
 * aligned block of the largest listed size inside it (4 KiB .. 2 MiB in
 * steps of two, then the level sizes 1 GiB, 512 GiB).
 */
export const IOTLB_PAGE_SHIFTS: readonly number[] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 18, 27, 36];
/** QEMU keys its AMD-Vi IOTLB by 4 KiB frame only (B.8): each 4 KiB slice of a large page is its own entry. */
export const QEMU_PAGE_SHIFTS: readonly number[] = [0];

/** The IOTLB. Hot-path lookup(), cold-path invalidations. */
export class AmdviIotlb {
  readonly cache: TranslationCache;
  readonly config: IotlbConfig;
  /** Context id per DomainID for host (GN=0) translations; -1 = none yet. */
  readonly #hostCtx = new Int32Array(65536).fill(-1);
  /** Context id per (DomainID, PASID) for guest (GN=1) translations; cold path only. */
  readonly #guestCtx = new Map<number, number>();
  #nextCtx = 0;
  /** Code of the largest cached size <= each page shift (index: log2 pages, 0..52). */
  readonly #codeFor: Int32Array;

  constructor(config: IotlbConfig, rng: SeededRng) {
    this.config = config;
    const pageShifts = config.policy === 'qemu' ? QEMU_PAGE_SHIFTS : IOTLB_PAGE_SHIFTS;
    this.cache = createTranslationCache({
      entries: config.entries,
      policy: config.policy,
      ways: config.ways,
      rng,
      pageShifts,
    });
    this.#codeFor = new Int32Array(53);
    for (let s = 0; s <= 52; s++) {
      let c = 0;
      for (let k = 0; k < pageShifts.length; k++) if (pageShifts[k]! <= s) c = k;
      this.#codeFor[s] = c;
    }
  }

  /** The cache and its context ids, for snapshots. */
  saveState(): { cache: CacheState; hostCtx: Int32Array; guestCtx: Map<number, number>; nextCtx: number } {
    return {
      cache: this.cache.saveState(),
      hostCtx: this.#hostCtx,
      guestCtx: this.#guestCtx,
      nextCtx: this.#nextCtx,
    };
  }

  loadState(s: ReturnType<AmdviIotlb['saveState']>): void {
    this.cache.loadState(s.cache);
    copyInto(this.#hostCtx, s.hostCtx, 'IOTLB host contexts');
    refillMap(this.#guestCtx, s.guestCtx);
    this.#nextCtx = s.nextCtx;
  }

  /** Context id of (domainId, pasid) or -1; NO_PASID selects the host (GN=0) context. */
  contextOf(domainId: number, pasid: number): number {
    if (pasid === NO_PASID) return this.#hostCtx[domainId]!;
    return this.#guestCtx.get(domainId * 0x10_0000 + pasid) ?? -1;
  }

  /** Slot of a host (GN=0) entry of `domainId` covering `iovaPfn`, or -1. Hot path. */
  lookupHost(domainId: number, iovaPfn: number): number {
    const ctx = this.#hostCtx[domainId]!;
    if (ctx < 0 || iovaPfn >= VPN_LIMIT) {
      this.cache.lookupAny(MAX_CONTEXT_ID + 1, 0); // counts the lookup as a miss
      return -1;
    }
    return this.cache.lookupAny(ctx, iovaPfn);
  }

  /** Slot of an entry of (domainId, pasid) covering `iovaPfn`, or -1; NO_PASID = host entries. */
  lookup(domainId: number, pasid: number, iovaPfn: number): number {
    if (pasid === NO_PASID) return this.lookupHost(domainId, iovaPfn);
    const ctx = this.contextOf(domainId, pasid);
    if (ctx < 0 || iovaPfn >= VPN_LIMIT) {
      this.cache.lookupAny(MAX_CONTEXT_ID + 1, 0); // counts the lookup as a miss
      return -1;
    }
    return this.cache.lookupAny(ctx, iovaPfn);
  }

  /** Output page for `iovaPfn` through the entry in `slot`. */
  outputFor(slot: number, iovaPfn: number): number {
    return this.cache.outputFor(slot, iovaPfn);
  }

  /**
   * Caches a successful walk: the 2^shift-byte page whose output base is `basePfn`.
   * `perm` = ACCESS bits; the real page shift goes into aux0. Not cached above 2^57.
   */
  insert(
    domainId: number,
    pasid: number,
    iovaPfn: number,
    basePfn: number,
    shift: number,
    perm: number,
  ): void {
    if (iovaPfn >= VPN_LIMIT) return;
    const ctx = this.#internContext(domainId, pasid);
    const code = this.#codeFor[shift - 12]!;
    const span = 2 ** this.cache.pageShifts[code]!;
    const pageOff = iovaPfn % 2 ** (shift - 12);
    const blockOff = iovaPfn % span;
    this.cache.insert(ctx, iovaPfn - blockOff, code, basePfn + pageOff - blockOff, perm, shift);
  }

  /** INVALIDATE_IOMMU_PAGES: GN=0 -> host entries of the DomainID; GN=1 -> entries of (DomainID, PASID). */
  invalidatePages(domainId: number, pasid: number, range: InvRange): number {
    const ctx = this.contextOf(domainId, pasid);
    if (ctx < 0) return 0;
    if (range.all || (range.basePfn === 0 && range.pages >= VPN_LIMIT))
      return this.cache.invalidateContext(ctx);
    if (range.basePfn >= VPN_LIMIT) return 0;
    return this.cache.invalidateRange(ctx, range.basePfn, Math.min(range.pages, VPN_LIMIT - range.basePfn));
  }

  invalidateAll(): number {
    return this.cache.invalidateAll();
  }

  counters(): CacheCounters {
    return this.cache.counters();
  }

  #internContext(domainId: number, pasid: number): number {
    let ctx = this.contextOf(domainId, pasid);
    if (ctx >= 0) return ctx;
    if (this.#nextCtx > MAX_CONTEXT_ID) {
      // Out of context ids: start over. Correct (everything is dropped), counted as invalidations.
      this.cache.invalidateAll();
      this.#hostCtx.fill(-1);
      this.#guestCtx.clear();
      this.#nextCtx = 0;
    }
    ctx = this.#nextCtx++;
    if (pasid === NO_PASID) this.#hostCtx[domainId] = ctx;
    else this.#guestCtx.set(domainId * 0x10_0000 + pasid, ctx);
    return ctx;
  }
}

/** DTE flag bits as the DTE cache keeps them. */
export const DTE_F = { V: 1, TV: 2, IR: 4, IW: 8, SA: 16, I: 32 } as const;

/**
 * The DTE cache: the decoded fields translation needs, one slot per DeviceID,
 * valid while its generation equals the cache's. INVALIDATE_DEVTAB_ENTRY drops
 * one slot; INVALIDATE_IOMMU_ALL bumps the generation. Unbounded (no eviction).
 */
export class DteCache {
  readonly gen = new Int32Array(65536);
  readonly flags = new Int32Array(65536);
  readonly mode = new Int32Array(65536);
  readonly rootPfn = new Float64Array(65536);
  readonly domainId = new Int32Array(65536);
  #generation = 1;
  #live = 0;
  readonly #c: CacheCounters = emptyCounters(65536);

  /** Every slot, the generation and the counters, for snapshots. */
  saveState(): {
    columns: (Int32Array | Float64Array)[];
    generation: number;
    live: number;
    counters: CacheCounters;
  } {
    return {
      columns: [this.gen, this.flags, this.mode, this.rootPfn, this.domainId],
      generation: this.#generation,
      live: this.#live,
      counters: this.#c,
    };
  }

  loadState(s: ReturnType<DteCache['saveState']>): void {
    [this.gen, this.flags, this.mode, this.rootPfn, this.domainId].forEach((live, i) => {
      copyInto(live, s.columns[i] as typeof live, 'DTE cache');
    });
    this.#generation = s.generation;
    this.#live = s.live;
    Object.assign(this.#c, s.counters);
  }

  /** True when `deviceId` has a valid cached DTE. Hot path; counts. */
  lookup(deviceId: number): boolean {
    this.#c.lookups++;
    if (this.gen[deviceId] === this.#generation) {
      this.#c.hits++;
      return true;
    }
    this.#c.misses++;
    return false;
  }

  fill(deviceId: number, flags: number, mode: number, rootPfn: number, domainId: number): void {
    if (this.gen[deviceId] !== this.#generation) this.#live++;
    this.gen[deviceId] = this.#generation;
    this.flags[deviceId] = flags;
    this.mode[deviceId] = mode;
    this.rootPfn[deviceId] = rootPfn;
    this.domainId[deviceId] = domainId;
    this.#c.fills++;
  }

  invalidate(deviceId: number): number {
    if (this.gen[deviceId] !== this.#generation) return 0;
    this.gen[deviceId] = 0;
    this.#live--;
    this.#c.invalidated++;
    return 1;
  }

  invalidateAll(): number {
    const n = this.#live;
    this.#c.invalidated += n;
    this.#live = 0;
    this.#generation++;
    return n;
  }

  counters(): CacheCounters {
    return { ...this.#c };
  }
}
