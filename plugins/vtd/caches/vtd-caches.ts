/**
 * The VT-d translation caches (reference/vtd.md §4.1), built from core/cache:
 * context cache (key: source-id), PASID cache (per source-id context, key:
 * PASID), IOTLB (context = interned (DID, PASID-or-SL tag), key: input page,
 * three page sizes), first- and second-level paging-structure caches, and one
 * device-TLB per ATS device. Invalidation never scans a whole cache: DID and
 * PASID scopes are generation bumps of their contexts, page ranges probe or
 * walk the context's own list (core/cache/translation-cache.ts).
 *
 * With the IOTLB key `sid` (the default of the `qemu` policies) the IOTLB is
 * tagged by source-id instead of DID (reference/vtd.md §4.2), so devices of
 * one domain do not share entries. The `qemu-7.2` policy also reproduces QEMU
 * 7.2's 8-bit page-invalidation mask (cache-options.ts).
 */
import {
  type CacheCounters,
  type CacheState,
  ContextIds,
  createTranslationCache,
  type LruOrder,
  type TranslationCache,
} from '../../../core/cache/index.js';
import { SeededRng } from '../../../core/sim/rng.js';
import { copyInto, refillMap } from '../../../core/state/stateful.js';
import { corePolicy, iotlbKeyedBySid, type VtdCacheConfig, type VtdCacheOptions } from './cache-options.js';
import { cacheVpn } from './cache-vpn.js';

/** PASID tag of second-level-only entries (tagged by DID alone). */
export const SL_TAG = 0x100000;
/** Device-TLB contexts: added to the PASID tag of entries filled by privileged requests. */
export const DEV_PRIV_TAG = 0x200000;
/** Paging-structure caches: size code c caches a non-leaf entry of level c + 2 (covers 2^(9(c+1)) pages). */
const PSC_SHIFTS = [9, 18, 27, 36];

export interface VtdCachesState {
  readonly context: CacheState;
  readonly pasid: CacheState;
  readonly iotlb: CacheState;
  readonly slPsc: CacheState | null;
  readonly flPsc: CacheState | null;
  readonly devTlb: ReadonlyMap<number, CacheState>;
  /** domainIds, sidIds, devIds. */
  readonly ids: readonly ReturnType<ContextIds['saveState']>[];
  readonly didOfIotlbCtx: Int32Array;
  readonly pasidCtxOfSid: Int32Array;
  readonly nextPasidCtx: number;
  readonly pasidCtxByDid: ReadonlyMap<number, ReadonlySet<number>>;
  readonly rng: ReturnType<SeededRng['saveState']>;
  /** Source-ids allowed a device-TLB (made on their first ATS translation request). */
  readonly atsCapable: Uint8Array;
}

export class VtdCaches {
  readonly context: TranslationCache;
  readonly pasid: TranslationCache;
  readonly iotlb: TranslationCache;
  readonly slPsc: TranslationCache | null;
  readonly flPsc: TranslationCache | null;
  readonly devTlbConfig: VtdCacheConfig;
  /** Device-TLBs by source-id (ATS devices only). */
  readonly devTlb: (TranslationCache | undefined)[] = [];
  /** How many device-TLBs exist: the hit path skips the (sparse) lookup while there are none. */
  devTlbCount = 0;
  /** true: the IOTLB is tagged by source-id (QEMU), false: by DID. */
  readonly iotlbBySid: boolean;
  /** QEMU 7.2's page-selective invalidation: the address mask compared in 8 bits (bug reproduction). */
  readonly psiMask8: boolean;

  /** (DID, tag) contexts of the IOTLB and the PSCs; (SID, tag) contexts of a QEMU-style IOTLB. */
  readonly domainIds = new ContextIds();
  readonly sidIds = new ContextIds();
  /** DID of each IOTLB context (for the source-id-tagged IOTLB). */
  readonly didOfIotlbCtx = new Int32Array(32768).fill(-1);
  /** PASID-cache context of each source-id (-1 = none yet). */
  readonly pasidCtxOfSid = new Int32Array(65536).fill(-1);
  #nextPasidCtx = 0;
  /** PASID-cache contexts (source-ids) that hold entries of a DID: the domain's own index. */
  readonly #pasidCtxByDid = new Map<number, Set<number>>();
  /** Device-TLB contexts: (sid, pasid tag) per device. */
  readonly devIds = new ContextIds();

  readonly #rng: SeededRng;

  constructor(o: VtdCacheOptions, seed: number) {
    this.#rng = new SeededRng(seed);
    // Every translation hits the context, PASID and IOTLB caches, so an lru hit there writes a use
    // tick and moves nothing; the paging-structure caches fill (and evict) on every walk, so they
    // keep the size default, an O(1)-eviction list (core/cache/cache-options.ts, lruOrder).
    this.context = this.#make(o.context, [0], 'ticks');
    this.pasid = this.#make(o.pasid, [0], 'ticks');
    this.iotlb = this.#make(o.iotlb, [0, 9, 18], 'ticks');
    this.slPsc = o.slPsc.entries > 0 ? this.#make(o.slPsc, PSC_SHIFTS) : null;
    this.flPsc = o.flPsc.entries > 0 ? this.#make(o.flPsc, PSC_SHIFTS) : null;
    this.devTlbConfig = o.devTlb;
    this.iotlbBySid = iotlbKeyedBySid(o.iotlb);
    this.psiMask8 = o.iotlb.policy === 'qemu-7.2';
  }

  #make(c: VtdCacheConfig, pageShifts: number[], lruOrder?: LruOrder): TranslationCache {
    return createTranslationCache({
      entries: c.entries,
      ways: c.ways,
      policy: corePolicy(c.policy),
      rng: c.policy === 'random' ? this.#rng : undefined,
      pageShifts,
      lruOrder,
    });
  }

  /** Every cache and index, for snapshots. Device-TLBs exist from the configuration already. */
  saveState(): VtdCachesState {
    const devTlb = new Map<number, CacheState>();
    this.devTlb.forEach((c, sid) => {
      if (c !== undefined) devTlb.set(sid, c.saveState());
    });
    return {
      context: this.context.saveState(),
      pasid: this.pasid.saveState(),
      iotlb: this.iotlb.saveState(),
      slPsc: this.slPsc?.saveState() ?? null,
      flPsc: this.flPsc?.saveState() ?? null,
      devTlb,
      ids: [this.domainIds.saveState(), this.sidIds.saveState(), this.devIds.saveState()],
      didOfIotlbCtx: this.didOfIotlbCtx,
      pasidCtxOfSid: this.pasidCtxOfSid,
      nextPasidCtx: this.#nextPasidCtx,
      pasidCtxByDid: this.#pasidCtxByDid,
      rng: this.#rng.saveState(),
      atsCapable: this.#atsCapable,
    };
  }

  loadState(s: VtdCachesState): void {
    this.context.loadState(s.context);
    this.pasid.loadState(s.pasid);
    this.iotlb.loadState(s.iotlb);
    if (s.slPsc !== null) this.slPsc?.loadState(s.slPsc);
    if (s.flPsc !== null) this.flPsc?.loadState(s.flPsc);
    for (const [sid, c] of s.devTlb) {
      // A device-TLB the run added when a device was attached with ATS is not in a fresh unit.
      this.addDevTlb(sid);
      this.devTlb[sid]!.loadState(c);
    }
    this.domainIds.loadState(s.ids[0]);
    this.sidIds.loadState(s.ids[1]);
    this.devIds.loadState(s.ids[2]);
    copyInto(this.didOfIotlbCtx, s.didOfIotlbCtx, 'IOTLB context DIDs');
    copyInto(this.pasidCtxOfSid, s.pasidCtxOfSid, 'PASID-cache contexts');
    this.#nextPasidCtx = s.nextPasidCtx;
    refillMap(this.#pasidCtxByDid, s.pasidCtxByDid as ReadonlyMap<number, Set<number>>, (c) => new Set(c));
    this.#rng.loadState(s.rng);
    copyInto(this.#atsCapable, s.atsCapable, 'ATS-capable source-ids');
  }

  /**
   * Source-ids whose device may cache translations (an ATS device behind an ECAP.DT unit). Its
   * device-TLB exists from its first ATS translation request on: an emulated device that never
   * issues one (QEMU models none) has no device-TLB and counts no device-TLB misses.
   */
  readonly #atsCapable = new Uint8Array(65536);

  /** Notes that `sid` may fill a device-TLB with ATS translation requests. */
  allowDevTlb(sid: number): void {
    this.#atsCapable[sid & 0xffff] = 1;
  }

  /** The device-TLB of `sid`, made on its first ATS translation request; undefined if it may have none. */
  devTlbForFill(sid: number): TranslationCache | undefined {
    if (this.devTlb[sid] === undefined && this.#atsCapable[sid] === 1) this.addDevTlb(sid);
    return this.devTlb[sid];
  }

  /** Gives an ATS device its device-TLB. */
  addDevTlb(sid: number): void {
    if (this.devTlb[sid] !== undefined) return;
    this.devTlb[sid] = this.#make(this.devTlbConfig, [0, 9, 18]);
    this.devTlbCount++;
  }

  /** Context id of the IOTLB for (did, tag) as seen from `sid` (cold path: fills). */
  iotlbContext(did: number, sid: number, tag: number): number {
    if (!this.iotlbBySid) return this.domainIds.intern(did, tag);
    const ctx = this.sidIds.intern(sid, tag);
    this.didOfIotlbCtx[ctx] = did;
    return ctx;
  }

  /** Context id of the PSCs for (did, tag). */
  pscContext(did: number, tag: number): number {
    return this.domainIds.intern(did, tag);
  }

  /** PASID-cache context of a source-id, allocated on first use. */
  pasidContext(sid: number): number {
    let c = this.pasidCtxOfSid[sid]!;
    if (c < 0) {
      c = this.#nextPasidCtx++;
      this.pasidCtxOfSid[sid] = c;
    }
    return c;
  }

  /** Notes that the PASID cache of `sid` holds an entry of `did` (fill path). */
  notePasidDid(did: number, sidCtx: number): void {
    let s = this.#pasidCtxByDid.get(did);
    if (s === undefined) {
      s = new Set();
      this.#pasidCtxByDid.set(did, s);
    }
    s.add(sidCtx);
  }

  // ---- invalidation (cold paths; each returns the entries dropped) ----

  /** Context cache, global (also used for domain-selective: performed as global, CAIG = 1). */
  contextGlobal(): number {
    return this.context.invalidateAll();
  }

  /** Context cache, device-selective: SID under function mask FM (1: bit 2, 2: bits 2:1, 3: bits 2:0 ignored). */
  contextDevice(sid: number, fm: number): number {
    const ignore = fm === 0 ? 0 : fm === 1 ? 4 : fm === 2 ? 6 : 7;
    let n = 0;
    for (let f = 0; f < 8; f++) {
      if ((f & ~ignore) !== 0) continue;
      n += this.context.invalidateRange(0, (sid & ~ignore) | f, 1);
    }
    return n;
  }

  /**
   * PASID cache, global. PASID-cache invalidations also drop the first-level paging-structure
   * caches of their scope (reference/vtd.md §4.1: FL PSC is invalidated by P_IOTLB with IH = 0
   * and by the PC descriptor); they return the PASID-cache entries dropped, and the FL PSC
   * counts its own in its counters.
   */
  pasidGlobal(): number {
    this.flPsc?.invalidateAll();
    return this.pasid.invalidateAll();
  }

  /** PASID cache, domain-selective: walks the DID's own index of source-ids; and the DID's FL PSC. */
  pasidDomain(did: number): number {
    let n = 0;
    for (const c of this.#pasidCtxByDid.get(did) ?? [])
      n += this.pasid.invalidateWhere(c, { aux0Mask: 0xffff, aux0Value: did });
    if (this.flPsc) for (const c of this.domainIds.withFirst(did)) this.flPsc.invalidateContext(c);
    return n;
  }

  /**
   * PASID cache, PASID-selective within a domain. With CM = 1 a not-present
   * PASID entry is cached with no DID of its own (tagged 0, as VT-d tags
   * not-present context entries); Linux invalidates it naming the DID of the
   * entry it just wrote, so a PASID-selective invalidation drops the PASID's
   * DID-0 entries whichever DID it names (invalidating more is allowed).
   */
  pasidSelective(did: number, pasid: number): number {
    let n = 0;
    for (const c of this.#pasidCtxByDid.get(did) ?? []) {
      n += this.pasid.invalidateRange(c, pasid, 1, { aux0Mask: 0xffff, aux0Value: did });
    }
    if (did !== 0) {
      for (const c of this.#pasidCtxByDid.get(0) ?? [])
        n += this.pasid.invalidateRange(c, pasid, 1, { aux0Mask: 0xffff, aux0Value: 0 });
    }
    const p = this.domainIds.find(did, pasid);
    if (p >= 0 && this.flPsc) this.flPsc.invalidateContext(p);
    return n;
  }

  /** IOTLB contexts of a DID: (did, tag) contexts, or the source-id contexts whose DID matches. */
  #iotlbContextsOf(did: number): readonly number[] {
    if (!this.iotlbBySid) return this.domainIds.withFirst(did);
    const out: number[] = [];
    for (let c = 0; c < this.sidIds.size; c++) if (this.didOfIotlbCtx[c] === did) out.push(c);
    return out;
  }

  #iotlbTag(ctx: number): number {
    return this.iotlbBySid ? this.sidIds.second(ctx) : this.domainIds.second(ctx);
  }

  /** IOTLB global: everything, with the paging-structure caches. */
  iotlbGlobal(): number {
    let n = this.iotlb.invalidateAll();
    if (this.slPsc) n += this.slPsc.invalidateAll();
    if (this.flPsc) n += this.flPsc.invalidateAll();
    return n;
  }

  /** IOTLB domain-selective: every entry of the DID (SL, FL and nested), and its PSC entries. */
  iotlbDomain(did: number): number {
    let n = 0;
    for (const c of this.#iotlbContextsOf(did)) n += this.iotlb.invalidateContext(c);
    for (const c of this.domainIds.withFirst(did)) {
      if (this.slPsc) n += this.slPsc.invalidateContext(c);
      if (this.flPsc) n += this.flPsc.invalidateContext(c);
    }
    return n;
  }

  /**
   * IOTLB page-selective (VT-d 6.5.2.3): SL-only entries of the DID overlapping
   * the range; FL and nested entries of the DID wholesale (an IOTLB descriptor
   * cannot name them by address). IH = 0 also drops the SL paging-structure
   * entries over the range (and FL ones wholesale).
   */
  iotlbPages(did: number, vpn: number, pages: number, ih: boolean): number {
    let n = 0;
    for (const c of this.#iotlbContextsOf(did)) {
      // SL_TAG, or SL_TAG | PASID in the source-id-keyed (qemu) IOTLB: second-level-only entries.
      if (this.#iotlbTag(c) < SL_TAG) n += this.iotlb.invalidateContext(c);
      else if (this.psiMask8) n += this.#iotlbPagesMask8(c, vpn, pages);
      else n += this.iotlb.invalidateRange(c, vpn, pages);
    }
    for (const c of this.domainIds.withFirst(did)) {
      const sl = this.domainIds.second(c) === SL_TAG;
      if (sl && !ih && this.slPsc) n += this.slPsc.invalidateRange(c, vpn, pages);
      if (!sl && this.flPsc) n += this.flPsc.invalidateContext(c);
    }
    return n;
  }

  /**
   * QEMU 7.2's page-selective invalidation (bug reproduction): mask = ~(pages - 1) kept in 8
   * bits, so an entry goes when its frame number equals `vpn` in the bits 7:0 the mask keeps
   * (every 256 pages; AM >= 8 keeps none: the whole context), or when it contains `vpn`.
   */
  #iotlbPagesMask8(ctx: number, vpn: number, pages: number): number {
    const mask8 = ~(pages - 1) & 0xff;
    if (mask8 === 0) return this.iotlb.invalidateContext(ctx);
    return this.iotlb.invalidateMasked(ctx, mask8, vpn & mask8) + this.iotlb.invalidateRange(ctx, vpn, 1);
  }

  /** IOTLB contexts of (did, pasid) for FL/nested entries. */
  #pasidIotlbContexts(did: number, pasid: number): number[] {
    if (!this.iotlbBySid) {
      const c = this.domainIds.find(did, pasid);
      return c < 0 ? [] : [c];
    }
    return this.#iotlbContextsOf(did).filter((c) => this.sidIds.second(c) === pasid);
  }

  /**
   * PASID-based IOTLB, PASID-selective: FL/nested entries of (DID, PASID); never SL-only or PT.
   * QEMU's IOTLB (qemu policy) drops every entry of DID + PASID, second-level-only ones too
   * (vtd.md §4.2).
   */
  piotlbPasid(did: number, pasid: number): number {
    let n = 0;
    for (const c of this.#pasidIotlbContexts(did, pasid)) n += this.iotlb.invalidateContext(c);
    if (this.iotlbBySid)
      for (const c of this.#iotlbContextsOf(did))
        if (this.sidIds.second(c) === (SL_TAG | pasid)) n += this.iotlb.invalidateContext(c);
    const p = this.domainIds.find(did, pasid);
    if (p >= 0 && this.flPsc) n += this.flPsc.invalidateContext(p);
    return n;
  }

  /**
   * PASID-based IOTLB, page-selective within the PASID; IH = 0 also drops FL paging-structure
   * entries over the range. `vpn` is the descriptor's page (ADDR 63:12), keyed as translations
   * key it (cache-vpn.ts); a non-canonical one names no cached page.
   */
  piotlbPages(did: number, pasid: number, vpn: number, pages: number, ih: boolean): number {
    const key = cacheVpn(vpn, true);
    if (key < 0) return 0;
    let n = 0;
    for (const c of this.#pasidIotlbContexts(did, pasid)) n += this.iotlb.invalidateRange(c, key, pages);
    const p = this.domainIds.find(did, pasid);
    if (p >= 0 && !ih && this.flPsc) n += this.flPsc.invalidateRange(p, key, pages);
    return n;
  }

  /**
   * Device-TLB of `sid`: pages of one PASID tag (SL_TAG = requests without PASID), or all of
   * them. `vpn` is the descriptor's page, keyed per tag as translations key it (cache-vpn.ts).
   */
  devTlbInvalidate(sid: number, tag: number | 'all', vpn: number, pages: number): number {
    const t = this.devTlb[sid];
    if (t === undefined) return 0;
    const drop = (c: number, t2: number): number => {
      const key = cacheVpn(vpn, (t2 & ~DEV_PRIV_TAG) !== SL_TAG);
      return key < 0 ? 0 : t.invalidateRange(c, key, pages);
    };
    let n = 0;
    if (tag === 'all') {
      for (const c of this.devIds.withFirst(sid)) n += drop(c, this.devIds.second(c));
      return n;
    }
    for (const priv of [0, DEV_PRIV_TAG]) {
      const c = this.devIds.find(sid, tag + priv);
      if (c >= 0) n += drop(c, tag);
    }
    return n;
  }

  /** Counters of every cache (device-TLBs summed), in a stable order. */
  counters(): { [name: string]: CacheCounters } {
    const out: { [name: string]: CacheCounters } = {
      context: this.context.counters(),
      pasid: this.pasid.counters(),
      iotlb: this.iotlb.counters(),
    };
    if (this.slPsc) out.slPsc = this.slPsc.counters();
    if (this.flPsc) out.flPsc = this.flPsc.counters();
    const dev = { lookups: 0, hits: 0, misses: 0, fills: 0, evictions: 0, invalidated: 0, capacity: 0 };
    for (const t of this.devTlb) {
      if (t === undefined) continue;
      const c = t.counters();
      dev.lookups += c.lookups;
      dev.hits += c.hits;
      dev.misses += c.misses;
      dev.fills += c.fills;
      dev.evictions += c.evictions;
      dev.invalidated += c.invalidated;
      dev.capacity += c.capacity;
    }
    out.devTlb = dev;
    return out;
  }
}
