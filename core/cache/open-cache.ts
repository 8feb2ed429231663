import {
  EMPTY_K1,
  hashKey,
  keyWord1,
  nextPow2,
  SLOT_STRIDE,
  STAMP_DEAD,
  STAMP_EMPTY,
  vpnHigh,
} from './cache-key.js';
import type { ResolvedCacheOptions } from './cache-options.js';
import { TranslationCache } from './translation-cache.js';

/**
 * Fully associative translation cache: one open-addressing table with linear probing over
 * `max(8, nextPow2(2 * entries))` slots, so live entries keep the load <= 0.5 (perf-notes §2, §8).
 *
 * Removed entries leave tombstones (the key stays, so each key has at most one slot and a lookup
 * stops at the first key match); entries of a flushed context or generation stay in place as
 * stale slots. Both are reused by inserts, and the table is rebuilt in place, keeping the policy
 * order, once tombstones + stale slots exceed a quarter of the slots.
 *
 * Policy order is a doubly linked list of occupied slots, oldest first (LRU: a hit moves the
 * slot to the newest end). `random` also keeps a dense array of occupied slots to draw from.
 */
export class OpenAddressingCache extends TranslationCache {
  private readonly mask: number;
  private readonly lru: boolean;
  /** Slots not EMPTY (live, stale or tombstones). */
  private used = 0;
  private readonly onext: Int32Array;
  private readonly oprev: Int32Array;
  private oHead = -1;
  private oTail = -1;
  private readonly dense: Int32Array | undefined;
  private readonly densePos: Int32Array | undefined;
  private denseCount = 0;
  private scratchI: Int32Array | undefined;
  private scratchF: Float64Array | undefined;

  constructor(o: ResolvedCacheOptions) {
    super(o, Math.max(8, nextPow2(2 * o.entries)));
    this.mask = this.slotCount - 1;
    this.lru = o.policy === 'lru';
    this.onext = new Int32Array(this.slotCount);
    this.oprev = new Int32Array(this.slotCount);
    if (o.policy === 'random') {
      this.dense = new Int32Array(this.slotCount);
      this.densePos = new Int32Array(this.slotCount);
    }
  }

  lookup(ctx: number, vpn: number, size: number): number {
    this.nLookups++;
    if (ctx >= this.ctxGen.length) return -1;
    const g = this.ctxGen[ctx];
    if (g <= this.epoch) return -1;
    const hi = vpnHigh(vpn) & this.hiMask[size];
    if (hi > 0x1fff) return -1;
    const k0 = vpn & this.loMask[size];
    const k1 = (ctx << 17) | (size << 13) | hi;
    const keys = this.keys;
    const mask = this.mask;
    for (let s = hashKey(k0, k1) & mask; ; s = (s + 1) & mask) {
      const b = s * SLOT_STRIDE;
      const st = keys[b + 2];
      if (keys[b + 1] === k1 && keys[b] === k0) {
        if (st !== g) return -1;
        this.nHits++;
        if (this.lru && s !== this.oTail) this.moveToNewest(s);
        return s;
      }
      if (st === STAMP_EMPTY) return -1;
    }
  }

  insert(ctx: number, vpn: number, size: number, outPage: number, perm: number, aux0 = 0, aux1 = 0): number {
    this.checkInsert(ctx, vpn, size);
    if (this.used - this.totalLive > this.slotCount >> 2) this.rehash();
    let g = this.currentGen(ctx);
    const k0 = vpn & this.loMask[size];
    const k1 = keyWord1(ctx, size, vpnHigh(vpn) & this.hiMask[size]);
    const keys = this.keys;
    let free = -1;
    let s = hashKey(k0, k1) & this.mask;
    for (; ; s = (s + 1) & this.mask) {
      const b = s * SLOT_STRIDE;
      const st = keys[b + 2];
      if (st === STAMP_EMPTY) break;
      if (keys[b + 1] === k1 && keys[b] === k0) {
        if (st === g) {
          if (this.lru && s !== this.oTail) this.moveToNewest(s);
          this.setValues(s, outPage, perm, aux0, aux1);
          return s;
        }
        free = s; // same key, stale or removed: this is its only slot
        break;
      }
      if (free < 0 && !this.isLive(s)) free = s;
    }
    if (free < 0) free = s;
    if (this.totalLive >= this.entries) {
      this.evictOne();
      g = this.currentGen(ctx); // a 'qemu' flush ends the context's generation
    }
    const st = keys[free * SLOT_STRIDE + 2];
    if (st === STAMP_EMPTY) this.used++;
    else if (st > STAMP_DEAD) this.onRemoved(free); // stale: still in the policy order
    this.fill(free, ctx, g, k0, k1, size);
    this.appendOrder(free);
    this.setValues(free, outPage, perm, aux0, aux1);
    return free;
  }

  protected findSlot(g: number, k0: number, k1: number): number {
    const keys = this.keys;
    const mask = this.mask;
    for (let s = hashKey(k0, k1) & mask; ; s = (s + 1) & mask) {
      const b = s * SLOT_STRIDE;
      const st = keys[b + 2];
      if (keys[b + 1] === k1 && keys[b] === k0) return st === g ? s : -1;
      if (st === STAMP_EMPTY) return -1;
    }
  }

  protected touch(slot: number): void {
    if (this.lru && slot !== this.oTail) this.moveToNewest(slot);
  }

  protected onRemoved(slot: number): void {
    const p = this.oprev[slot];
    const n = this.onext[slot];
    if (p >= 0) this.onext[p] = n;
    else this.oHead = n;
    if (n >= 0) this.oprev[n] = p;
    else this.oTail = p;
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
    this.oHead = this.oTail = -1;
    this.denseCount = 0;
  }

  /** Make room for one entry; stale slots met on the way are retired without counting. */
  private evictOne(): void {
    if (this.policy === 'qemu') {
      this.nEvictions += this.totalLive;
      this.dropAll();
      return;
    }
    for (;;) {
      const s =
        this.dense !== undefined && this.rng !== undefined
          ? this.dense[this.rng.below(this.denseCount)]
          : this.oHead;
      if (this.isLive(s)) {
        this.removeLive(s);
        this.nEvictions++;
        return;
      }
      this.keys[s * SLOT_STRIDE + 2] = STAMP_DEAD;
      this.onRemoved(s);
    }
  }

  private appendOrder(s: number): void {
    this.oprev[s] = this.oTail;
    this.onext[s] = -1;
    if (this.oTail >= 0) this.onext[this.oTail] = s;
    else this.oHead = s;
    this.oTail = s;
    if (this.dense !== undefined && this.densePos !== undefined) {
      this.dense[this.denseCount] = s;
      this.densePos[s] = this.denseCount++;
    }
  }

  private moveToNewest(s: number): void {
    const p = this.oprev[s];
    const n = this.onext[s];
    if (p >= 0) this.onext[p] = n;
    else this.oHead = n;
    this.oprev[n] = p; // s is not the tail, so n >= 0
    this.oprev[s] = this.oTail;
    this.onext[s] = -1;
    this.onext[this.oTail] = s;
    this.oTail = s;
  }

  /** Rebuild the table in place from the live entries, oldest first, dropping tombstones and stale slots. */
  private rehash(): void {
    const n = this.totalLive;
    if (this.scratchI === undefined || this.scratchF === undefined) {
      this.scratchI = new Int32Array(this.entries * 6);
      this.scratchF = new Float64Array(this.entries);
    }
    const si = this.scratchI;
    const sf = this.scratchF;
    let i = 0;
    for (let s = this.oHead; s >= 0; s = this.onext[s]) {
      if (!this.isLive(s)) continue;
      const b = s * SLOT_STRIDE;
      const o = i * 6;
      si[o] = this.keys[b];
      si[o + 1] = this.keys[b + 1];
      si[o + 2] = this.keys[b + 2];
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
      const k0 = si[j * 6];
      const k1 = si[j * 6 + 1];
      let s = hashKey(k0, k1) & this.mask;
      while (keys[s * SLOT_STRIDE + 1] !== EMPTY_K1) s = (s + 1) & this.mask;
      const b = s * SLOT_STRIDE;
      keys[b] = k0;
      keys[b + 1] = k1;
      keys[b + 2] = si[j * 6 + 2];
      const ctx = k1 >>> 17;
      const head = this.ctxHead[ctx];
      this.cprev[s] = -1;
      this.cnext[s] = head;
      if (head >= 0) this.cprev[head] = s;
      this.ctxHead[ctx] = s;
      this.outPage[s] = sf[j];
      this.perm[s] = si[j * 6 + 3];
      this.aux0[s] = si[j * 6 + 4];
      this.aux1[s] = si[j * 6 + 5];
      this.appendOrder(s);
    }
    this.used = n;
  }
}
