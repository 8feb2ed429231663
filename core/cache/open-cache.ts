import { copyInto } from '../state/stateful.js';
import {
  EMPTY_K1,
  hashKey,
  keyWord1,
  nextPow2,
  SLOT_STRIDE,
  TOMB_K1,
  tagOfKey,
  vpnHigh,
  withTag,
} from './cache-key.js';
import type { ResolvedCacheOptions } from './cache-options.js';
import { TranslationCache } from './translation-cache.js';
import { UseOrderHeap } from './use-order-heap.js';

/**
 * Use ticks are int32; they are renumbered from 1 before they reach 0x7fff_fff0.
 *
 * The hot loops below write that limit, the slot stride (2 words, SLOT_STRIDE) and the empty
 * marker (-1, EMPTY_K1) as literals: a bundler turns module constants into plain variables,
 * which the JIT then reloads and type-checks on every probe (measured: 5-10 % of a hit).
 */
/** Up to this many entries a cache gets 4 slots per entry instead of 2. */
const SMALL_CACHE = 16384;

/**
 * Fully associative translation cache: one open-addressing table with linear probing over
 * `max(8, nextPow2(2 * entries))` slots, so live entries keep the load <= 0.5 (perf-notes §2, §8);
 * caches of up to SMALL_CACHE entries get twice that (load <= 0.25), which halves how often
 * eviction tombstones force a rebuild, for little memory.
 *
 * A slot is its two key words (8 bytes), and a key match is a live entry: key word 1 carries the
 * context's current tag (translation-cache.ts). Removed entries leave tombstones; entries of an
 * invalidated context stay in place as stale slots under their dead tag. Inserts reuse both, and
 * the table is rebuilt in place once tombstones + stale slots exceed a quarter of the slots.
 *
 * Replacement order (options.lruOrder picks between the first two for lru):
 * - `lru` by ticks (large caches by default): `ticks` holds each slot's last use (hit or fill),
 *   so a hit writes one word and moves nothing; eviction takes the smallest tick from a lazy
 *   min-heap (use-order-heap.ts): an entry hit since it was queued is re-queued under its newer
 *   tick when it reaches the top.
 * - `lru` by list (small caches by default), and `fifo`: a list of the occupied slots in use
 *   order (`olinks`); an lru hit moves its slot to the tail, which in a small table stays
 *   in the L1/L2 cache, and eviction takes the head in O(1). Small caches are the ones that
 *   evict on almost every fill (the paging-structure caches), where a heap pop per eviction cost
 *   more than the list moves on hits.
 * - `random`: the same list in fill order, and a dense array of it drawn from with the SeededRng.
 * - `qemu`: no order; a full cache is flushed.
 * Either way the victim is exactly the least recently used (oldest filled, drawn) live entry;
 * stale slots met on the way are retired without counting.
 */
export class OpenAddressingCache extends TranslationCache {
  private readonly mask: number;
  /**
   * What a hit does to the order: 0 nothing (fifo, random, qemu), 1 write a use tick (lru by
   * ticks), 2 move the slot to the list's tail (lru by list). One field, read once per hit.
   */
  private readonly hitOrder: 0 | 1 | 2;
  /** Slots not EMPTY (live, stale or tombstones). */
  private used = 0;
  /** lru by ticks: the eviction order; null otherwise. */
  private readonly heap: UseOrderHeap | null;
  private clock = 0;
  /** With the heap: per slot, the last use tick. */
  private readonly ticks: Int32Array;
  private readonly dense: Int32Array | undefined;
  private readonly densePos: Int32Array | undefined;
  /**
   * Without the heap (but for qemu): the occupied slots in use or fill order, oldest first, as
   * [2s] next and [2s + 1] previous slot (-1: none), side by side as the context links are.
   */
  private readonly olinks: Int32Array | undefined;
  private fHead = -1;
  private fTail = -1;
  private denseCount = 0;
  private scratchI: Int32Array | undefined;
  private scratchF: Float64Array | undefined;

  constructor(o: ResolvedCacheOptions) {
    super(o, Math.max(8, nextPow2((o.entries <= SMALL_CACHE ? 4 : 2) * o.entries)));
    this.mask = this.slotCount - 1;
    this.hitOrder = o.policy !== 'lru' ? 0 : o.lruOrder === 'ticks' ? 1 : 2;
    this.heap = this.hitOrder === 1 ? new UseOrderHeap(o.entries) : null;
    this.ticks = new Int32Array(this.heap === null ? 0 : this.slotCount);
    if (this.heap === null && o.policy !== 'qemu') {
      this.olinks = new Int32Array(2 * this.slotCount);
    }
    if (o.policy === 'random') {
      this.dense = new Int32Array(this.slotCount);
      this.densePos = new Int32Array(this.slotCount);
    }
  }

  lookup(ctx: number, vpn: number, size: number): number {
    const base = this.ctxKey[ctx] | 0; // an id past the end reads as undefined: 0, dead
    if (base === 0 || vpn >= 35184372088832) return this.miss(); // 2^45, VPN_LIMIT
    const hi = ((vpn * 2.3283064365386963e-10) | 0) & this.hiMask[size];
    const s = this.probeLive(vpn & this.loMask[size], (base & ~0x1ffff) | (size << 13) | hi);
    return s >= 0 ? s : this.miss();
  }

  /**
   * As TranslationCache.lookupAny, written for the IOTLB hit path: the context's key word
   * (ctxKey) gives its tag, liveness and page sizes in one read; one range test for the VPN, and
   * its high word by a multiplication, not vpnHigh()'s branch and division.
   */
  override lookupAny(ctx: number, vpn: number): number {
    const base = this.ctxKey[ctx] | 0; // an id past the end reads as undefined: 0, dead
    if (vpn >= 35184372088832) return this.miss(); // 2^45, VPN_LIMIT
    const hi = (vpn * 2.3283064365386963e-10) | 0; // vpn / 2^32, exact: a power of two
    if ((base & 0x1ffff) !== 0) {
      // MIXED_SIZES (translation-cache.ts ctxKey): probe each size class present, smallest first.
      const s = this.probeSizes(base >>> 17, vpn | 0, hi, this.ctxSizes[ctx]);
      return s >= 0 ? s : this.miss();
    }
    // One-page entries of size code 0 only (or a dead context, whose tag-0 key matches nothing):
    // the VPN is the key, one probe.
    const s = this.probeLive(vpn | 0, base | hi);
    return s >= 0 ? s : this.miss();
  }

  /** Probes each size class present in the context, smallest first. */
  private probeSizes(tag: number, lo: number, hi: number, sizes: number): number {
    for (let left = sizes; left !== 0; left &= left - 1) {
      const c = 31 - Math.clz32(left & -left);
      const s = this.probeLive(lo & this.loMask[c], (tag << 17) | (c << 13) | (hi & this.hiMask[c]));
      if (s >= 0) return s;
    }
    return -1;
  }

  /** The slot of key (k0, k1) (a hit: counted and stamped), else -1. k1 carries a live tag. */
  private probeLive(k0: number, k1: number): number {
    const keys = this.keys;
    const mask = this.mask;
    for (let s = hashKey(k0, k1) & mask; ; s = (s + 1) & mask) {
      const w1 = keys[2 * s + 1];
      if (w1 === k1 && keys[2 * s] === k0) {
        this.nHits++;
        this.touch(s);
        return s;
      }
      if (w1 === -1) return -1;
    }
  }

  insert(ctx: number, vpn: number, size: number, outPage: number, perm: number, aux0 = 0, aux1 = 0): number {
    this.checkInsert(ctx, vpn, size);
    if (this.used - this.totalLive > this.slotCount >> 2) this.rehash();
    const tag = this.currentTag(ctx);
    const k0 = vpn & this.loMask[size];
    const k1 = keyWord1(tag, size, vpnHigh(vpn) & this.hiMask[size]);
    const keys = this.keys;
    let free = -1;
    let s = hashKey(k0, k1) & this.mask;
    for (; ; s = (s + 1) & this.mask) {
      const w1 = keys[2 * s + 1];
      if (w1 === -1) break;
      if (w1 === k1 && keys[2 * s] === k0) {
        this.touch(s);
        this.setValues(s, outPage, perm, aux0, aux1);
        return s;
      }
      if (free < 0 && !this.isLive(s)) free = s;
    }
    if (this.totalLive >= this.entries) {
      this.evictOne();
      // A 'qemu' flush took the context's tag with everything else: start over under a fresh one.
      if (tag < this.epoch) return this.insert(ctx, vpn, size, outPage, perm, aux0, aux1);
      // The eviction may have emptied slots of this key's probe path (trimTombstones): look again.
      free = this.firstFree(hashKey(k0, k1) & this.mask);
    } else if (free < 0) free = s;
    const w1 = keys[free * SLOT_STRIDE + 1];
    if (w1 === EMPTY_K1) this.used++;
    else if (w1 !== TOMB_K1) this.onRemoved(free); // stale: still in the random draw order
    this.fill(free, ctx, k0, k1, size);
    this.appendOrder(free);
    this.setValues(free, outPage, perm, aux0, aux1);
    return free;
  }

  /** First slot from `s` on that holds no live entry (empty, tombstone or stale). */
  private firstFree(s: number): number {
    for (; ; s = (s + 1) & this.mask) if (!this.isLive(s)) return s;
  }

  protected override removeLive(s: number): void {
    super.removeLive(s);
    this.trimTombstones(s);
  }

  /**
   * A tombstone followed by an empty slot lies on no probe path that goes on past it, so it can
   * be empty again, and so can the tombstones just before it. At this table's load most removals
   * then leave nothing behind, and rebuilds to clear tombstones become rare (the PSCs evict on
   * almost every fill).
   */
  private trimTombstones(s: number): void {
    const keys = this.keys;
    const mask = this.mask;
    if (keys[2 * ((s + 1) & mask) + 1] !== -1) return;
    for (let t = s; keys[2 * t + 1] === TOMB_K1; t = (t - 1) & mask) {
      keys[2 * t] = 0;
      keys[2 * t + 1] = -1;
      this.used--;
    }
  }

  protected findSlot(k0: number, k1: number): number {
    const keys = this.keys;
    const mask = this.mask;
    for (let s = hashKey(k0, k1) & mask; ; s = (s + 1) & mask) {
      const w1 = keys[2 * s + 1];
      if (w1 === k1 && keys[2 * s] === k0) return s;
      if (w1 === -1) return -1;
    }
  }

  protected touch(slot: number): void {
    const o = this.hitOrder;
    if (o === 1) this.stamp(slot);
    else if (o === 2) this.moveToTail(slot);
  }

  /** lru list: slot `s` (in the list) becomes the most recently used. */
  private moveToTail(s: number): void {
    const tail = this.fTail;
    if (s === tail) return;
    const links = this.olinks!;
    const n = links[2 * s];
    const p = links[2 * s + 1];
    if (p >= 0) links[2 * p] = n;
    else this.fHead = n;
    links[2 * n + 1] = p;
    links[2 * s] = -1;
    links[2 * s + 1] = tail;
    links[2 * tail] = s;
    this.fTail = s;
  }

  protected onRemoved(slot: number): void {
    // The heap drops the slot lazily when it reaches the top; qemu keeps no order.
    const links = this.olinks;
    if (links === undefined) return;
    const n = links[2 * slot];
    const p = links[2 * slot + 1];
    if (p >= 0) links[2 * p] = n;
    else this.fHead = n;
    if (n >= 0) links[2 * n + 1] = p;
    else this.fTail = p;
    if (this.dense !== undefined && this.densePos !== undefined) {
      const i = this.densePos[slot];
      const last = this.dense[--this.denseCount];
      this.dense[i] = last;
      this.densePos[last] = i;
    }
  }

  protected clearSlots(): void {
    this.emptyAllSlots();
    this.used = 0;
    this.heap?.clear();
    this.fHead = this.fTail = -1;
    this.denseCount = 0;
  }

  protected saveOrder(): unknown {
    return {
      used: this.used,
      clock: this.clock,
      ticks: this.ticks,
      heap: this.heap?.saveState() ?? null,
      fill: this.olinks === undefined ? null : this.orderLists(),
      ends: [this.fHead, this.fTail, this.denseCount],
    };
  }

  protected loadOrder(order: unknown): void {
    const o = order as {
      used: number;
      clock: number;
      ticks: Int32Array;
      heap: Parameters<UseOrderHeap['loadState']>[0] | null;
      fill: Int32Array[] | null;
      ends: number[];
    };
    this.used = o.used;
    this.clock = o.clock;
    copyInto(this.ticks, o.ticks, 'cache ticks');
    if (this.heap !== null && o.heap !== null) this.heap.loadState(o.heap);
    const lists = this.orderLists();
    if (o.fill !== null)
      for (let i = 0; i < lists.length; i++) copyInto(lists[i], o.fill[i], 'cache fill order');
    [this.fHead, this.fTail, this.denseCount] = o.ends;
  }

  /** The order's per-slot lists this policy keeps: the use/fill list, then random's dense array. */
  private orderLists(): Int32Array[] {
    return [this.olinks, this.dense, this.densePos].filter((a) => a !== undefined);
  }

  /** Give slot `s` a fresh use tick (renumbering first if ticks ran out). */
  private stamp(s: number): void {
    if (this.clock >= 0x7fff_fff0) this.renumberTicks();
    this.ticks[s] = ++this.clock;
  }

  /** Make room for one entry; stale slots met on the way are retired without counting. */
  private evictOne(): void {
    if (this.policy === 'qemu') {
      this.nEvictions += this.totalLive;
      this.dropAll();
      return;
    }
    const heap = this.heap;
    if (heap !== null) {
      for (;;) {
        if (heap.size === 0) throw new Error('cache: eviction order is empty while the cache is full');
        const s = heap.topSlot();
        if (!this.isLive(s)) {
          heap.pop();
          continue;
        }
        const u = this.ticks[s];
        if (u !== heap.topTick()) {
          // Used (hit, or removed and filled again) since it was queued: queue it under that use.
          heap.replaceTop(u, s);
          continue;
        }
        heap.pop();
        this.removeLive(s);
        this.nEvictions++;
        return;
      }
    }
    for (;;) {
      const s =
        this.dense !== undefined && this.rng !== undefined
          ? this.dense[this.rng.below(this.denseCount)]
          : this.fHead;
      if (s < 0) throw new Error(`cache: no eviction order for policy ${this.policy}`);
      if (this.isLive(s)) {
        this.removeLive(s);
        this.nEvictions++;
        return;
      }
      this.keys[s * SLOT_STRIDE + 1] = TOMB_K1;
      this.onRemoved(s);
      this.trimTombstones(s);
    }
  }

  /** Record a fresh fill of slot `s` in the replacement order. */
  private appendOrder(s: number): void {
    const heap = this.heap;
    if (heap !== null) {
      this.stamp(s);
      if (heap.full) this.rebuildOrder();
      else heap.push(this.ticks[s], s);
      return;
    }
    const links = this.olinks;
    if (links === undefined) return;
    links[2 * s] = -1;
    links[2 * s + 1] = this.fTail;
    if (this.fTail >= 0) links[2 * this.fTail] = s;
    else this.fHead = s;
    this.fTail = s;
    if (this.dense !== undefined && this.densePos !== undefined) {
      this.dense[this.denseCount] = s;
      this.densePos[s] = this.denseCount++;
    }
  }

  /** Rebuild the heap from the live slots and their ticks (drops every stale queueing). */
  private rebuildOrder(): void {
    const heap = this.heap;
    if (heap === null) return;
    heap.clear();
    for (let s = 0; s < this.slotCount; s++) {
      if (this.isLive(s)) heap.append(this.ticks[s], s);
    }
    heap.heapify();
  }

  /** Ticks ran out: renumber the live entries' ticks 1..n in their order, and start the clock there. */
  private renumberTicks(): void {
    const live: number[] = [];
    for (let s = 0; s < this.slotCount; s++) if (this.isLive(s)) live.push(s);
    const ticks = this.ticks;
    live.sort((a, b) => ticks[a] - ticks[b]);
    for (let i = 0; i < live.length; i++) ticks[live[i]] = i + 1;
    this.clock = live.length;
    this.rebuildOrder();
  }

  /** Tags ran out: rebuild the table under the renumbered tags (drops every dead entry). */
  protected retag(): void {
    this.rehash(this.renumberTags());
  }

  /**
   * Rebuild the table in place from the live entries, dropping tombstones and stale slots.
   * `tagMap` (from renumberTags) rewrites the tag of each live entry as it is copied; liveness
   * is then read before the renumbering, by the old tag's owner.
   */
  private rehash(tagMap?: Int32Array): void {
    const n = this.totalLive;
    if (n === 0) {
      // Everything is stale (e.g. the first fill after invalidateAll): nothing to copy or order.
      this.clearSlots();
      this.ctxHead.fill(-1);
      return;
    }
    if (this.scratchI === undefined || this.scratchF === undefined) {
      this.scratchI = new Int32Array(this.entries * 6);
      this.scratchF = new Float64Array(this.entries);
    }
    const si = this.scratchI;
    const sf = this.scratchF;
    let i = 0;
    // A listed order (lru by list, fifo, random's draw order) is copied in list order, so the
    // rebuild keeps it; the others copy in slot order.
    const listed = this.olinks !== undefined;
    for (
      let s = listed ? this.fHead : 0;
      listed ? s >= 0 : s < this.slotCount;
      s = listed ? this.olinks![2 * s] : s + 1
    ) {
      const k1 = this.keys[s * SLOT_STRIDE + 1];
      const t = tagOfKey(k1);
      if (tagMap === undefined ? !this.isLive(s) : tagMap[t] < 0) continue;
      const o = i * 6;
      si[o] = this.keys[s * SLOT_STRIDE];
      si[o + 1] = tagMap === undefined ? k1 : withTag(k1, tagMap[t]);
      si[o + 2] = this.heap === null ? 0 : this.ticks[s];
      si[o + 3] = this.perm[s];
      si[o + 4] = this.aux0[s];
      si[o + 5] = this.aux1[s];
      sf[i++] = this.outPage[s];
    }
    if (i !== n) throw new Error(`cache: rehash found ${i} live entries, expected ${n}`);
    this.clearSlots();
    this.ctxHead.fill(-1);
    const keys = this.keys;
    for (let j = 0; j < n; j++) {
      const o = j * 6;
      const k0 = si[o];
      const k1 = si[o + 1];
      let s = hashKey(k0, k1) & this.mask;
      while (keys[s * SLOT_STRIDE + 1] !== EMPTY_K1) s = (s + 1) & this.mask;
      keys[s * SLOT_STRIDE] = k0;
      keys[s * SLOT_STRIDE + 1] = k1;
      if (this.heap !== null) this.ticks[s] = si[o + 2];
      this.linkFirst(this.contextOf(s), s);
      this.outPage[s] = sf[j];
      this.perm[s] = si[o + 3];
      this.aux0[s] = si[o + 4];
      this.aux1[s] = si[o + 5];
      if (this.heap === null) this.appendOrder(s);
    }
    this.used = n;
    this.rebuildOrder();
  }
}
