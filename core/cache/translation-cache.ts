import type { SeededRng } from '../sim/rng.js';
import { copyInto } from '../state/stateful.js';
import {
  EMPTY_K1,
  keyWord1,
  MAX_CONTEXT_ID,
  SLOT_STRIDE,
  sizeOfKey,
  TAG_LIMIT,
  TOMB_K1,
  tagOfKey,
  VPN_LIMIT,
  vpnHigh,
  vpnOfKey,
} from './cache-key.js';
import type { ReplacementPolicy, ResolvedCacheOptions } from './cache-options.js';
import { type CacheCounters, emptyCounters } from './stats.js';

/**
 * ctxKey's flag: a lookup must mask the VPN per size code, because the context holds entries of
 * sizes other than code 0 (or none yet), or code 0 itself spans more than one page.
 */
const MIXED_SIZES = 1 << 16;

/**
 * The ctxKey word of a live context with tag `tag` and size-code mask `sizes`; `basePage`: size
 * code 0 covers one page, so a VPN is its own key.
 */
function contextKey(tag: number, sizes: number, basePage: boolean): number {
  return (tag << 17) | (sizes === 1 && basePage ? 0 : MIXED_SIZES);
}

/** An empty slot's key words [0, EMPTY_K1] read as one 64-bit word (in the host's byte order). */
const EMPTY_PAIR = new BigInt64Array(new Int32Array([0, EMPTY_K1]).buffer)[0];

/** Restricts which entries an invalidation removes (all fields optional, default: every entry). */
export interface EntryFilter {
  /** Bit n set = entries of size code n are removed. */
  readonly sizeMask?: number;
  /** Only entries with `(aux0 & aux0Mask) === aux0Value` are removed. */
  readonly aux0Mask?: number;
  readonly aux0Value?: number;
}

/** One live entry, as `liveEntries()` reports it. */
export interface CacheEntry {
  readonly ctx: number;
  readonly vpn: number;
  readonly size: number;
  readonly outPage: number;
  readonly perm: number;
  readonly aux0: number;
  readonly aux1: number;
}

/** A cache's whole state (entries, generations, replacement order, counters), for snapshots. */
export interface CacheState {
  readonly columns: {
    readonly keys: Int32Array;
    readonly outPage: Float64Array;
    readonly perm: Int32Array;
    readonly aux0: Int32Array;
    readonly aux1: Int32Array;
    readonly clinks: Int32Array;
  };
  readonly contexts: {
    readonly tag: Int32Array;
    readonly live: Int32Array;
    readonly head: Int32Array;
    readonly sizes: Int32Array;
  };
  /** next tag, epoch, totalLive, then lookups, hits, fills, evictions, invalidated. */
  readonly scalars: readonly number[];
  /** The replacement policy's own state (the subclass's). */
  readonly order: unknown;
}

/**
 * A translation cache over typed arrays: key = (context id, VPN, size code), value = output page
 * number, permission bits and two spare int32 words. Built by `createTranslationCache`.
 *
 * Reading a hit: `const s = cache.lookup(ctx, vpn, size); if (s >= 0) use cache.outPage[s],
 * cache.perm[s], cache.aux0[s], cache.aux1[s]`. A slot index is valid until the next insert or
 * invalidation. Columns keep their identity for the cache's lifetime.
 *
 * Context ids (0..32766) are interned by the plugin, e.g. (domain, PASID) or (VMID, ASID) via
 * `ContextIds`. VPNs are page numbers in base-page units (< 2^45); an entry of size code c covers
 * the 2^pageShifts[c] pages from its aligned base, which lookups and inserts compute themselves.
 *
 * Invalidation never scans the whole cache: a context is a generation bump (O(1)), everything an
 * epoch move that also clears the per-context key words (O(contexts), not O(entries));
 * a range probes each candidate page or walks the context's own slot list, whichever is shorter.
 *
 * Generations live in the key: each context holds a tag (key word 1, cache-key.ts), and a context
 * invalidation takes the tag away, so the next fill hands the context a fresh one. Tags are
 * handed out in increasing order; `invalidateAll` moves the epoch to the next tag, so every
 * tag below it is dead. A slot is live iff its tag is its context's current tag and not below
 * the epoch, so a lookup that matches a key has found a live entry. Entries of dead tags stay in
 * place until a fill reuses their slot or the table is compacted. When the 32766 tags run out,
 * `retag` renumbers the live contexts 0..n-1 and drops every dead entry: once per ~32766
 * context invalidations, paid by the fill that finds no tag left.
 */
export abstract class TranslationCache {
  readonly entries: number;
  readonly ways: number | 'full';
  readonly policy: ReplacementPolicy;
  /** Size code -> log2 of base pages per entry. */
  readonly pageShifts: readonly number[];
  /** Slots in the table (>= entries). */
  readonly slotCount: number;
  /** Size code 0 covers one page (pageShifts[0] === 0): see MIXED_SIZES. */
  protected readonly basePage: boolean;
  /** Per slot [k0, k1] (see cache-key.ts); internal, exposed for debugging. */
  readonly keys: Int32Array;
  /** `keys` as one 64-bit word per slot, for emptying the table with one native fill. */
  private readonly keyPairs: BigInt64Array;
  /** Output page number (< 2^52) of the entry's base page. */
  readonly outPage: Float64Array;
  /** Permission bits, the plugin's encoding (e.g. ACCESS flags). */
  readonly perm: Int32Array;
  /** Spare word for the plugin (e.g. leaf level, attributes, DID). */
  readonly aux0: Int32Array;
  /** Second spare word for the plugin. */
  readonly aux1: Int32Array;

  protected readonly rng: SeededRng | undefined;
  protected readonly loMask: Int32Array;
  protected readonly hiMask: Int32Array;
  /**
   * Per slot, the links of the owning context's slot list side by side, [2s] next and [2s + 1]
   * previous (-1: none), so that a fill or a removal writes one cache line for them, not two.
   */
  protected readonly clinks: Int32Array;
  /** Per context: current tag (live iff >= epoch; -1: none), live entries, list head, size-code bitmask. */
  protected ctxTag: Int32Array;
  /**
   * Per context, what a lookup needs in one word: `tag << 17` while the context is live and holds
   * only size code 0 of one page each, the same with MIXED_SIZES set otherwise (other sizes, none
   * yet, or a size code 0 that spans pages), and 0 when it is dead. Tags start at 1, so a key built from 0 (a dead context, or an id past the
   * end, which reads as undefined | 0) names no entry: the probe misses without a test of its own.
   */
  protected ctxKey: Int32Array;
  protected ctxLive: Int32Array;
  protected ctxHead: Int32Array;
  protected ctxSizes: Int32Array;
  /**
   * Per tag below nextTag: the context it was handed to. Grows with the tags in use, so a small
   * cache does not carry a 32766-entry array; derived from ctxTag when a state is loaded.
   */
  protected tagCtx = new Int32Array(64).fill(-1);
  protected nextTag = 1;
  protected epoch = 0;
  protected totalLive = 0;

  /** Lookups are hits + misses: a hit path increments one counter, not two. */
  protected nMisses = 0;
  protected nHits = 0;
  protected nFills = 0;
  protected nEvictions = 0;
  protected nInvalidated = 0;

  protected constructor(o: ResolvedCacheOptions, slotCount: number) {
    this.entries = o.entries;
    this.ways = o.ways;
    this.policy = o.policy;
    this.pageShifts = [...o.pageShifts];
    this.basePage = this.pageShifts[0] === 0;
    this.rng = o.rng;
    this.slotCount = slotCount;
    this.keys = new Int32Array(slotCount * SLOT_STRIDE);
    this.keyPairs = new BigInt64Array(this.keys.buffer);
    this.outPage = new Float64Array(slotCount);
    this.perm = new Int32Array(slotCount);
    this.aux0 = new Int32Array(slotCount);
    this.aux1 = new Int32Array(slotCount);
    this.clinks = new Int32Array(2 * slotCount);
    const n = this.pageShifts.length;
    this.loMask = new Int32Array(n);
    this.hiMask = new Int32Array(n);
    for (let c = 0; c < n; c++) {
      const sh = this.pageShifts[c];
      this.loMask[c] = sh >= 32 ? 0 : ~((2 ** sh - 1) | 0);
      this.hiMask[c] = sh <= 32 ? -1 : ~(2 ** (sh - 32) - 1);
    }
    this.ctxTag = new Int32Array(o.contexts).fill(-1);
    this.ctxKey = new Int32Array(o.contexts);
    this.ctxLive = new Int32Array(o.contexts);
    this.ctxHead = new Int32Array(o.contexts).fill(-1);
    this.ctxSizes = new Int32Array(o.contexts);
    this.emptyAllSlots();
  }

  /** Slot of the live entry of size code `size` covering `vpn` in context `ctx`, or -1. Counts a lookup. */
  abstract lookup(ctx: number, vpn: number, size: number): number;

  /**
   * Insert or overwrite the entry of size `size` covering `vpn`; evicts by policy when full.
   * `outPage` is the output page of the entry's aligned base. Returns the slot.
   * Throws RangeError on out-of-range arguments (programmer error).
   */
  abstract insert(
    ctx: number,
    vpn: number,
    size: number,
    outPage: number,
    perm: number,
    aux0?: number,
    aux1?: number,
  ): number;

  /** Raw probe for the slot holding these key words (k1 carries a live tag); no counting. */
  protected abstract findSlot(k0: number, k1: number): number;
  /** Policy bookkeeping when a live entry is hit. */
  protected abstract touch(slot: number): void;
  /** Policy bookkeeping when a live entry is removed (invalidated or evicted). */
  protected abstract onRemoved(slot: number): void;
  /** Empty every slot and policy structure (hard reset). */
  protected abstract clearSlots(): void;

  /**
   * Lookup across page sizes: probes only the size codes present in the context (smallest
   * first) and returns the first live slot covering `vpn`, or -1. Counts one lookup.
   */
  lookupAny(ctx: number, vpn: number): number {
    if (ctx >= this.ctxTag.length) return this.miss();
    const tag = this.ctxTag[ctx];
    if (tag < this.epoch) return this.miss();
    const hi = vpnHigh(vpn);
    if (hi > 0x1fff) return this.miss();
    const lo = vpn | 0;
    let mask = this.ctxSizes[ctx];
    while (mask !== 0) {
      const c = 31 - Math.clz32(mask & -mask);
      mask &= mask - 1;
      const s = this.findSlot(lo & this.loMask[c], keyWord1(tag, c, hi & this.hiMask[c]));
      if (s >= 0) {
        this.nHits++;
        this.touch(s);
        return s;
      }
    }
    return this.miss();
  }

  /**
   * The hit just counted found an entry the request cannot use, and the caller goes on as after
   * a miss (walks, refills): count that lookup as a miss instead.
   */
  hitUnusable(): void {
    this.nHits--;
    this.nMisses++;
  }

  /** A lookup the caller could not even make (no context for the request yet): a miss. */
  countMiss(): void {
    this.nMisses++;
  }

  /** Counts a lookup that missed; returns -1 for the caller to return. */
  protected miss(): number {
    this.nMisses++;
    return -1;
  }

  /** Drop every entry of a context by bumping its generation (O(1)). Returns the entries dropped. */
  invalidateContext(ctx: number): number {
    if (ctx >= this.ctxTag.length || this.ctxTag[ctx] < this.epoch) return 0;
    const n = this.ctxLive[ctx];
    this.nInvalidated += n;
    this.totalLive -= n;
    this.ctxTag[ctx] = -1;
    this.ctxKey[ctx] = 0;
    this.ctxLive[ctx] = 0;
    this.ctxHead[ctx] = -1;
    this.ctxSizes[ctx] = 0;
    return n;
  }

  /** Drop every entry (global generation; O(contexts) for the key words). Returns the entries dropped. */
  invalidateAll(): number {
    const n = this.totalLive;
    this.nInvalidated += n;
    this.dropAll();
    return n;
  }

  /**
   * Drop the entries of `ctx` that overlap pages [vpn, vpn + pages) (an entry is dropped when it
   * lies inside the range or contains part of it) and pass `filter`. Probes each candidate base
   * when that is fewer probes than the context has entries (perf-notes §6), else walks the
   * context's slot list. Returns the entries dropped.
   */
  invalidateRange(ctx: number, vpn: number, pages: number, filter?: EntryFilter): number {
    if (!(pages > 0) || ctx >= this.ctxTag.length) return 0;
    const tag = this.ctxTag[ctx];
    if (tag < this.epoch || this.ctxLive[ctx] === 0) return 0;
    const sizeMask = (filter?.sizeMask ?? -1) & this.ctxSizes[ctx];
    const aMask = filter?.aux0Mask ?? 0;
    const aVal = filter?.aux0Value ?? 0;
    const end = Math.min(vpn + pages, VPN_LIMIT);
    let probes = 0;
    for (let m = sizeMask; m !== 0; m &= m - 1) {
      const span = 2 ** this.pageShifts[31 - Math.clz32(m & -m)];
      probes += Math.floor((end - 1) / span) - Math.floor(vpn / span) + 1;
    }
    let removed = 0;
    if (probes <= this.ctxLive[ctx]) {
      for (let m = sizeMask; m !== 0; m &= m - 1) {
        const c = 31 - Math.clz32(m & -m);
        const span = 2 ** this.pageShifts[c];
        for (let base = Math.floor(vpn / span) * span; base < end; base += span) {
          const s = this.findSlot(base | 0, keyWord1(tag, c, vpnHigh(base)));
          if (s >= 0 && (this.aux0[s] & aMask) === aVal) {
            this.removeLive(s);
            removed++;
          }
        }
      }
    } else {
      for (let s = this.ctxHead[ctx]; s >= 0; ) {
        const next = this.clinks[2 * s];
        const k1 = this.keys[s * SLOT_STRIDE + 1];
        const c = sizeOfKey(k1);
        if ((sizeMask >>> c) & 1 && (this.aux0[s] & aMask) === aVal) {
          const base = vpnOfKey(this.keys[s * SLOT_STRIDE], k1);
          if (base < end && base + 2 ** this.pageShifts[c] > vpn) {
            this.removeLive(s);
            removed++;
          }
        }
        s = next;
      }
    }
    this.nInvalidated += removed;
    return removed;
  }

  /**
   * Drop the entries of `ctx` whose base VPN has `(base & vpnMask) === vpnValue` (low 32 bits),
   * walking the context's slot list: for models of implementations that compare only part of a
   * frame number (QEMU 7.2's 8-bit page-invalidation mask). Returns the entries dropped.
   */
  invalidateMasked(ctx: number, vpnMask: number, vpnValue: number): number {
    if (ctx >= this.ctxTag.length || this.ctxTag[ctx] < this.epoch || this.ctxLive[ctx] === 0) return 0;
    let removed = 0;
    for (let s = this.ctxHead[ctx]; s >= 0; ) {
      const next = this.clinks[2 * s];
      const base = vpnOfKey(this.keys[s * SLOT_STRIDE], this.keys[s * SLOT_STRIDE + 1]);
      if ((base & vpnMask) === vpnValue) {
        this.removeLive(s);
        removed++;
      }
      s = next;
    }
    this.nInvalidated += removed;
    return removed;
  }

  /** Drop the entries of `ctx` that pass `filter`, walking the context's slot list. */
  invalidateWhere(ctx: number, filter: EntryFilter): number {
    return this.invalidateRange(ctx, 0, VPN_LIMIT, filter);
  }

  /** Size code of the entry in `slot`. */
  sizeOf(slot: number): number {
    return sizeOfKey(this.keys[slot * SLOT_STRIDE + 1]);
  }

  /** Context id of the entry in `slot`. */
  contextOf(slot: number): number {
    return this.tagCtx[tagOfKey(this.keys[slot * SLOT_STRIDE + 1])];
  }

  /** Base VPN (aligned to the entry's size) of the entry in `slot`. */
  vpnOf(slot: number): number {
    return vpnOfKey(this.keys[slot * SLOT_STRIDE], this.keys[slot * SLOT_STRIDE + 1]);
  }

  /** Output page for `vpn` through the (large) entry in `slot`: outPage + offset within the entry. */
  outputFor(slot: number, vpn: number): number {
    const sh = this.pageShifts[this.sizeOf(slot)];
    const off = sh < 31 ? (vpn >>> 0) & ((1 << sh) - 1) : vpn % 2 ** sh;
    return this.outPage[slot] + off;
  }

  /** Live entries in `ctx`, or in the whole cache when `ctx` is omitted. */
  liveCount(ctx?: number): number {
    if (ctx === undefined) return this.totalLive;
    if (ctx >= this.ctxTag.length || this.ctxTag[ctx] < this.epoch) return 0;
    return this.ctxLive[ctx];
  }

  /** The counters, as a fresh object (lookups = hits + misses). */
  counters(): CacheCounters {
    const c = emptyCounters(this.entries);
    c.lookups = this.nHits + this.nMisses;
    c.hits = this.nHits;
    c.misses = this.nMisses;
    c.fills = this.nFills;
    c.evictions = this.nEvictions;
    c.invalidated = this.nInvalidated;
    return c;
  }

  resetCounters(): void {
    this.nMisses = this.nHits = this.nFills = this.nEvictions = this.nInvalidated = 0;
  }

  /** Every live entry sorted by (ctx, vpn, size): O(slots), for tests, dumps and digests. */
  liveEntries(): CacheEntry[] {
    const out: CacheEntry[] = [];
    for (let s = 0; s < this.slotCount; s++) {
      if (!this.isLive(s)) continue;
      out.push({
        ctx: this.contextOf(s),
        vpn: this.vpnOf(s),
        size: this.sizeOf(s),
        outPage: this.outPage[s],
        perm: this.perm[s],
        aux0: this.aux0[s],
        aux1: this.aux1[s],
      });
    }
    return out.sort((a, b) => a.ctx - b.ctx || a.vpn - b.vpn || a.size - b.size);
  }

  saveState(): CacheState {
    return {
      columns: {
        keys: this.keys,
        outPage: this.outPage,
        perm: this.perm,
        aux0: this.aux0,
        aux1: this.aux1,
        clinks: this.clinks,
      },
      contexts: { tag: this.ctxTag, live: this.ctxLive, head: this.ctxHead, sizes: this.ctxSizes },
      scalars: [
        this.nextTag,
        this.epoch,
        this.totalLive,
        this.nHits + this.nMisses,
        this.nHits,
        this.nFills,
        this.nEvictions,
        this.nInvalidated,
      ],
      order: this.saveOrder(),
    };
  }

  /** Restores a state saved from a cache of the same configuration. The columns keep their identity. */
  loadState(s: CacheState): void {
    const c = s.columns;
    copyInto(this.keys, c.keys, 'cache keys');
    copyInto(this.outPage, c.outPage, 'cache outPage');
    copyInto(this.perm, c.perm, 'cache perm');
    copyInto(this.aux0, c.aux0, 'cache aux0');
    copyInto(this.aux1, c.aux1, 'cache aux1');
    copyInto(this.clinks, c.clinks, 'cache context links');
    // The per-context arrays grow with the contexts in use, so they are replaced, not copied into.
    this.ctxTag = s.contexts.tag.slice();
    this.ctxLive = s.contexts.live.slice();
    this.ctxHead = s.contexts.head.slice();
    this.ctxSizes = s.contexts.sizes.slice();
    this.ctxKey = new Int32Array(this.ctxTag.length);
    let lookups: number;
    [
      this.nextTag,
      this.epoch,
      this.totalLive,
      lookups,
      this.nHits,
      this.nFills,
      this.nEvictions,
      this.nInvalidated,
    ] = s.scalars;
    this.nMisses = lookups - this.nHits;
    this.ownTags();
    this.deriveKeys();
    this.loadOrder(s.order);
  }

  /** The replacement policy's state, for saveState(). */
  protected abstract saveOrder(): unknown;
  protected abstract loadOrder(order: unknown): void;

  // ---- shared machinery for the subclasses ----

  /** Validate insert arguments; throws RangeError (programmer error). */
  protected checkInsert(ctx: number, vpn: number, size: number): void {
    if (!Number.isInteger(ctx) || ctx < 0 || ctx > MAX_CONTEXT_ID) {
      throw new RangeError(`cache: context id must be an integer in 0..${MAX_CONTEXT_ID}, got ${ctx}`);
    }
    if (!Number.isInteger(vpn) || vpn < 0 || vpn >= VPN_LIMIT) {
      throw new RangeError(`cache: vpn must be an integer in [0, 2^45), got ${vpn}`);
    }
    if (!Number.isInteger(size) || size < 0 || size >= this.pageShifts.length) {
      throw new RangeError(`cache: size code must be in 0..${this.pageShifts.length - 1}, got ${size}`);
    }
  }

  /** Current tag of `ctx`, handing it a fresh one if it has none since its last invalidation. */
  protected currentTag(ctx: number): number {
    if (ctx >= this.ctxTag.length) this.growContexts(ctx + 1);
    const t = this.ctxTag[ctx];
    if (t >= this.epoch) return t;
    this.ctxLive[ctx] = 0;
    this.ctxHead[ctx] = -1;
    this.ctxSizes[ctx] = 0;
    if (this.nextTag >= TAG_LIMIT) {
      this.retag();
      // Every tag still names a live context (as many contexts as tags): start over.
      if (this.nextTag >= TAG_LIMIT) this.hardReset();
    }
    const fresh = this.nextTag++;
    if (fresh >= this.tagCtx.length) {
      const grown = new Int32Array(Math.min(2 * this.tagCtx.length, TAG_LIMIT)).fill(-1);
      grown.set(this.tagCtx);
      this.tagCtx = grown;
    }
    this.tagCtx[fresh] = ctx;
    this.ctxTag[ctx] = fresh;
    this.ctxKey[ctx] = contextKey(fresh, 0, this.basePage);
    return fresh;
  }

  /**
   * Tags ran out: renumber the live contexts' tags 1..n in context order, dropping every dead
   * entry (the subclass rewrites its slots with `renumberTags`' map).
   */
  protected abstract retag(): void;

  /**
   * Renumbers the tags of live contexts 1..n and returns old tag -> new tag (-1: dead).
   * The caller must then rewrite or drop every slot; until it has, slots carry old tags.
   */
  protected renumberTags(): Int32Array {
    const map = new Int32Array(TAG_LIMIT + 2).fill(-1);
    let n = 1;
    for (let c = 0; c < this.ctxTag.length; c++) {
      const t = this.ctxTag[c];
      if (t < this.epoch) {
        this.ctxTag[c] = -1;
        continue;
      }
      map[t] = n;
      this.ctxTag[c] = n++;
    }
    this.nextTag = n;
    this.epoch = 0;
    this.ownTags();
    this.deriveKeys();
    return map;
  }

  /**
   * Rebuild tagCtx from ctxTag: each live context owns its tag. Dead tags get no owner, which
   * nothing reads (isLive sees no owner as dead; contextOf is asked of live slots only).
   */
  private ownTags(): void {
    let len = this.tagCtx.length;
    while (len < this.nextTag) len *= 2;
    if (len !== this.tagCtx.length) this.tagCtx = new Int32Array(Math.min(len, TAG_LIMIT));
    this.tagCtx.fill(-1);
    for (let c = 0; c < this.ctxTag.length; c++) if (this.ctxTag[c] >= 0) this.tagCtx[this.ctxTag[c]] = c;
  }

  /** Rebuild ctxKey from the tags, the epoch and the size masks (after a load or a renumbering). */
  private deriveKeys(): void {
    for (let c = 0; c < this.ctxTag.length; c++) {
      const t = this.ctxTag[c];
      this.ctxKey[c] = t >= this.epoch && t >= 0 ? contextKey(t, this.ctxSizes[c], this.basePage) : 0;
    }
  }

  protected isLive(s: number): boolean {
    const t = tagOfKey(this.keys[s * SLOT_STRIDE + 1]);
    return t < TAG_LIMIT && t >= this.epoch && this.ctxTag[this.tagCtx[t]] === t;
  }

  /** Write a fresh entry into a claimed slot and account for it (k1 carries ctx's current tag). */
  protected fill(s: number, ctx: number, k0: number, k1: number, size: number): void {
    const b = s * SLOT_STRIDE;
    this.keys[b] = k0;
    this.keys[b + 1] = k1;
    this.linkFirst(ctx, s);
    this.ctxLive[ctx]++;
    const sizes = this.ctxSizes[ctx] | (1 << size);
    if (sizes !== this.ctxSizes[ctx]) {
      this.ctxSizes[ctx] = sizes;
      this.ctxKey[ctx] = contextKey(this.ctxTag[ctx], sizes, this.basePage);
    }
    this.totalLive++;
  }

  protected setValues(s: number, outPage: number, perm: number, aux0: number, aux1: number): void {
    this.outPage[s] = outPage;
    this.perm[s] = perm;
    this.aux0[s] = aux0;
    this.aux1[s] = aux1;
    this.nFills++;
  }

  /** Put slot `s` first in the slot list of `ctx`. */
  protected linkFirst(ctx: number, s: number): void {
    const links = this.clinks;
    const head = this.ctxHead[ctx];
    links[2 * s] = head;
    links[2 * s + 1] = -1;
    if (head >= 0) links[2 * head + 1] = s;
    this.ctxHead[ctx] = s;
  }

  /** Remove a live entry: unlink it from its context list and leave a tombstone. */
  protected removeLive(s: number): void {
    const ctx = this.contextOf(s);
    const links = this.clinks;
    const n = links[2 * s];
    const p = links[2 * s + 1];
    if (p >= 0) links[2 * p] = n;
    else this.ctxHead[ctx] = n;
    if (n >= 0) links[2 * n + 1] = p;
    this.ctxLive[ctx]--;
    this.totalLive--;
    this.keys[s * SLOT_STRIDE + 1] = TOMB_K1;
    this.onRemoved(s);
  }

  /** Make every entry stale: tags below the epoch are dead. O(contexts), for the key words. */
  protected dropAll(): void {
    this.totalLive = 0;
    this.epoch = this.nextTag;
    this.ctxKey.fill(0);
  }

  /** Start over with empty tables; counts the live entries as invalidated. */
  protected hardReset(): number {
    const n = this.totalLive;
    this.nInvalidated += n;
    this.clearSlots();
    this.ctxTag.fill(-1);
    this.ctxKey.fill(0);
    this.ctxLive.fill(0);
    this.ctxHead.fill(-1);
    this.ctxSizes.fill(0);
    this.tagCtx.fill(-1);
    this.nextTag = 1;
    this.epoch = 0;
    this.totalLive = 0;
    return n;
  }

  /**
   * Mark every slot empty: key words [0, EMPTY_K1]. One native fill of the 64-bit pattern
   * through a view of the same memory: a JS loop over the words cost a fifth of a refill after
   * invalidateAll at 1e5 entries.
   */
  protected emptyAllSlots(): void {
    this.keyPairs.fill(EMPTY_PAIR);
  }

  private growContexts(min: number): void {
    let n = this.ctxTag.length;
    while (n < min) n *= 2;
    n = Math.min(n, MAX_CONTEXT_ID + 1);
    const grow = (a: Int32Array, fill: number): Int32Array => {
      const b = new Int32Array(n).fill(fill);
      b.set(a);
      return b;
    };
    this.ctxTag = grow(this.ctxTag, -1);
    this.ctxKey = grow(this.ctxKey, 0);
    this.ctxLive = grow(this.ctxLive, 0);
    this.ctxHead = grow(this.ctxHead, -1);
    this.ctxSizes = grow(this.ctxSizes, 0);
  }
}
