/**
 * AMD-Vi translation caches (reference smmuv3-amdvi.md D.1):
 * - the IOTLB, tagged by DomainID (plus PASID for guest/GN translations), not
 *   by DeviceID; built on core/cache's typed-array TranslationCache. Its
 *   'qemu' policy keys and flushes as QEMU does instead (B.8);
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
 * power of two (B.3), more sizes than a cache key holds: a page is cached as the
 * aligned block of the largest listed size inside it (4 KiB .. 2 MiB in
 * steps of two, then the level sizes 1 GiB, 512 GiB), and invalidation widens
 * to the whole page for such blocks (see invalidatePages).
 */
export const IOTLB_PAGE_SHIFTS: readonly number[] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 18, 27, 36];
/** QEMU keys its AMD-Vi IOTLB by 4 KiB frame only (B.8): each 4 KiB slice of a large page is its own entry. */
export const QEMU_PAGE_SHIFTS: readonly number[] = [0];

/**
 * An entry's aux0: bits 7:0 the page's real shift (bytes), which a hit reports; entries keyed
 * by DeviceID (the 'qemu' policy) keep their DomainID in bits 23:8.
 */
export const AUX0_SHIFT_MASK = 0xff;
const AUX0_DOMAIN_SHIFT = 8;
const AUX0_DOMAIN_MASK = 0xffff << AUX0_DOMAIN_SHIFT;

/** The IOTLB. Hot-path lookup(), cold-path invalidations. */
export class AmdviIotlb {
  readonly cache: TranslationCache;
  readonly config: IotlbConfig;
  /**
   * The 'qemu' policy: host entries keyed by (DeviceID, 4 KiB gfn) with the DomainID kept in the
   * entry, and INVALIDATE_IOMMU_PAGES dropping every entry of the DomainID whatever its address,
   * as QEMU does (B.8, D.1). Otherwise entries are keyed by DomainID, as the hardware tags them.
   */
  readonly byDevice: boolean;
  /** Context id per host tag (DomainID, or DeviceID when byDevice) for GN=0 translations; -1 = none yet. */
  readonly #hostCtx = new Int32Array(65536).fill(-1);
  /** Context id per (DomainID, PASID) for guest (GN=1) translations; cold path only. */
  readonly #guestCtx = new Map<number, number>();
  #nextCtx = 0;
  /** Code of the largest cached size <= each page shift (index: log2 pages, 0..52). */
  readonly #codeFor: Int32Array;
  /**
   * Bit (s & 31) of word (s >> 5): a page of 2^s 4 KiB pages has been cached as blocks smaller
   * than itself. Only these sizes need an invalidation widened to whole pages.
   */
  readonly #splitShifts = new Int32Array(2);
  /** byDevice: the DomainID of each DeviceID's latest entry, -1 = none since its domain was flushed. */
  readonly #deviceDomain = new Int32Array(65536).fill(-1);
  /** byDevice: per DomainID, every DeviceID that may hold entries of it (the domain's index). */
  readonly #domainDevices = new Map<number, number[]>();

  constructor(config: IotlbConfig, rng: SeededRng) {
    this.config = config;
    this.byDevice = config.policy === 'qemu';
    const pageShifts = this.byDevice ? QEMU_PAGE_SHIFTS : IOTLB_PAGE_SHIFTS;
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

  /** The cache, its context ids and its indexes, for snapshots. */
  saveState(): {
    cache: CacheState;
    hostCtx: Int32Array;
    guestCtx: Map<number, number>;
    nextCtx: number;
    splitShifts: Int32Array;
    deviceDomain: Int32Array;
    domainDevices: Map<number, number[]>;
  } {
    return {
      cache: this.cache.saveState(),
      hostCtx: this.#hostCtx,
      guestCtx: this.#guestCtx,
      nextCtx: this.#nextCtx,
      splitShifts: this.#splitShifts,
      deviceDomain: this.#deviceDomain,
      domainDevices: this.#domainDevices,
    };
  }

  loadState(s: ReturnType<AmdviIotlb['saveState']>): void {
    this.cache.loadState(s.cache);
    copyInto(this.#hostCtx, s.hostCtx, 'IOTLB host contexts');
    refillMap(this.#guestCtx, s.guestCtx);
    this.#nextCtx = s.nextCtx;
    copyInto(this.#splitShifts, s.splitShifts, 'IOTLB split page sizes');
    copyInto(this.#deviceDomain, s.deviceDomain, 'IOTLB device domains');
    refillMap(this.#domainDevices, s.domainDevices, (devices) => [...devices]);
  }

  /** Context id of (domainId, pasid) or -1; NO_PASID selects the host (GN=0) context of a DomainID-keyed cache. */
  contextOf(domainId: number, pasid: number): number {
    if (pasid === NO_PASID) return this.byDevice ? -1 : this.#hostCtx[domainId]!;
    return this.#guestCtx.get(domainId * 0x10_0000 + pasid) ?? -1;
  }

  /** Slot of a host (GN=0) entry for `deviceId` in `domainId` covering `iovaPfn`, or -1. Hot path. */
  lookupHost(domainId: number, deviceId: number, iovaPfn: number): number {
    const ctx = this.#hostCtx[this.byDevice ? deviceId : domainId]!;
    if (ctx < 0 || iovaPfn >= VPN_LIMIT) {
      this.cache.lookupAny(MAX_CONTEXT_ID + 1, 0); // counts the lookup as a miss
      return -1;
    }
    return this.cache.lookupAny(ctx, iovaPfn);
  }

  /** Slot of a guest entry of (domainId, pasid) covering `iovaPfn`, or -1. */
  lookupGuest(domainId: number, pasid: number, iovaPfn: number): number {
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
   * Caches a successful walk for `deviceId` in `domainId`: the 2^shift-byte page whose output
   * base is `basePfn`. `perm` = ACCESS bits; the real page shift goes into aux0. Not cached
   * above 2^57.
   */
  insert(
    domainId: number,
    deviceId: number,
    pasid: number,
    iovaPfn: number,
    basePfn: number,
    shift: number,
    perm: number,
  ): void {
    if (iovaPfn >= VPN_LIMIT) return;
    const pageShift = shift - 12;
    const code = this.#codeFor[pageShift]!;
    const span = 2 ** this.cache.pageShifts[code]!;
    const pageOff = iovaPfn % 2 ** pageShift;
    const blockOff = iovaPfn % span;
    let aux0 = shift;
    let ctx: number;
    if (this.byDevice && pasid === NO_PASID) {
      ctx = this.#internDevice(domainId, deviceId);
      aux0 |= domainId << AUX0_DOMAIN_SHIFT;
    } else {
      ctx = this.#internContext(domainId, pasid);
      if (span < 2 ** pageShift) this.#splitShifts[pageShift >>> 5]! |= 1 << (pageShift & 31);
    }
    this.cache.insert(ctx, iovaPfn - blockOff, code, basePfn + pageOff - blockOff, perm, aux0);
  }

  /**
   * INVALIDATE_IOMMU_PAGES: GN=0 -> host entries of the DomainID; GN=1 -> entries of (DomainID,
   * PASID). An entry is dropped when its page overlaps the range: a page cached as smaller blocks
   * goes whole, as the hardware's one entry per page would (D.1: the TLB is keyed by page size).
   * byDevice: every host entry of the DomainID, whatever the range (B.8).
   */
  invalidatePages(domainId: number, pasid: number, range: InvRange): number {
    if (this.byDevice && pasid === NO_PASID) return this.#invalidateDomainDevices(domainId);
    const ctx = this.contextOf(domainId, pasid);
    if (ctx < 0) return 0;
    if (range.all || (range.basePfn === 0 && range.pages >= VPN_LIMIT))
      return this.cache.invalidateContext(ctx);
    const end = range.basePfn + range.pages;
    let dropped =
      range.basePfn < VPN_LIMIT
        ? this.cache.invalidateRange(ctx, range.basePfn, Math.min(range.pages, VPN_LIMIT - range.basePfn))
        : 0;
    for (let w = 0; w < 2; w++) {
      for (let m = this.#splitShifts[w]!; m !== 0; m &= m - 1) {
        const s = 32 * w + 31 - Math.clz32(m & -m);
        const page = 2 ** s;
        const base = Math.floor(range.basePfn / page) * page;
        if (base >= VPN_LIMIT) continue;
        dropped += this.cache.invalidateRange(ctx, base, Math.ceil(end / page) * page - base, {
          sizeMask: 1 << this.#codeFor[s]!,
          aux0Mask: AUX0_SHIFT_MASK,
          aux0Value: s + 12,
        });
      }
    }
    return dropped;
  }

  invalidateAll(): number {
    this.#splitShifts.fill(0);
    this.#deviceDomain.fill(-1);
    this.#domainDevices.clear();
    return this.cache.invalidateAll();
  }

  counters(): CacheCounters {
    return this.cache.counters();
  }

  /** byDevice: drops the entries of `domainId` from each device its index lists, then the index. */
  #invalidateDomainDevices(domainId: number): number {
    const devices = this.#domainDevices.get(domainId);
    if (devices === undefined) return 0;
    let dropped = 0;
    for (const deviceId of devices) {
      const ctx = this.#hostCtx[deviceId]!;
      if (ctx >= 0)
        dropped += this.cache.invalidateWhere(ctx, {
          aux0Mask: AUX0_DOMAIN_MASK,
          aux0Value: domainId << AUX0_DOMAIN_SHIFT,
        });
      if (this.#deviceDomain[deviceId] === domainId) this.#deviceDomain[deviceId] = -1;
    }
    this.#domainDevices.delete(domainId);
    return dropped;
  }

  /** byDevice: the context of `deviceId`, with the device listed in the index of `domainId`. */
  #internDevice(domainId: number, deviceId: number): number {
    const ctx = this.#internContext(deviceId, NO_PASID);
    if (this.#deviceDomain[deviceId] !== domainId) {
      this.#deviceDomain[deviceId] = domainId;
      const devices = this.#domainDevices.get(domainId);
      if (devices === undefined) this.#domainDevices.set(domainId, [deviceId]);
      else if (!devices.includes(deviceId)) devices.push(deviceId);
    }
    return ctx;
  }

  /** Context of a host tag (DomainID, or DeviceID when byDevice) or of (DomainID, PASID). */
  #internContext(tag: number, pasid: number): number {
    let ctx = pasid === NO_PASID ? this.#hostCtx[tag]! : this.contextOf(tag, pasid);
    if (ctx >= 0) return ctx;
    if (this.#nextCtx > MAX_CONTEXT_ID) {
      // Out of context ids: start over. Correct (everything is dropped), counted as invalidations.
      this.invalidateAll();
      this.#hostCtx.fill(-1);
      this.#guestCtx.clear();
      this.#nextCtx = 0;
    }
    ctx = this.#nextCtx++;
    if (pasid === NO_PASID) this.#hostCtx[tag] = ctx;
    else this.#guestCtx.set(tag * 0x10_0000 + pasid, ctx);
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
