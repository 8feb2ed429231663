import { copyInto } from '../state/stateful.js';
import { EMPTY_K1, hashKey, keyWord1, SLOT_STRIDE, tagOfKey, vpnHigh, withTag } from './cache-key.js';
import type { ResolvedCacheOptions } from './cache-options.js';
import { TranslationCache } from './translation-cache.js';

/**
 * Set-associative translation cache: `entries / ways` sets of `ways` slots, like a hardware TLB.
 * A key hashes to one set (by context id, not by tag, so a context's pages keep their sets across
 * invalidations); eviction picks a victim inside that set only, so a cache can evict while other
 * sets still have room. Entries never move, so there are no tombstones to compact.
 *
 * `lru` and `fifo` keep a per-slot tick (last hit or fill, resp. fill) and evict the smallest
 * tick of the set; `random` draws the way from the SeededRng.
 */
export class SetAssociativeCache extends TranslationCache {
  readonly sets: number;
  private readonly wayCount: number;
  private readonly lru: boolean;
  /** Per slot: last use (lru) or fill (fifo) time, a logical clock. */
  private readonly tick: Float64Array;
  private clock = 0;

  constructor(o: ResolvedCacheOptions) {
    super(o, o.entries);
    if (o.ways === 'full') throw new RangeError('cache: SetAssociativeCache needs a numeric ways');
    this.wayCount = o.ways;
    this.sets = o.entries / o.ways;
    this.lru = o.policy === 'lru';
    this.tick = new Float64Array(o.entries);
  }

  lookup(ctx: number, vpn: number, size: number): number {
    if (ctx >= this.ctxTag.length) return this.miss();
    const tag = this.ctxTag[ctx];
    if (tag < this.epoch) return this.miss();
    const hi = vpnHigh(vpn) & this.hiMask[size];
    if (hi > 0x1fff) return this.miss();
    const s = this.findSlot(vpn & this.loMask[size], (tag << 17) | (size << 13) | hi);
    if (s < 0) return this.miss();
    this.nHits++;
    if (this.lru) this.tick[s] = ++this.clock;
    return s;
  }

  insert(ctx: number, vpn: number, size: number, outPage: number, perm: number, aux0 = 0, aux1 = 0): number {
    this.checkInsert(ctx, vpn, size);
    const tag = this.currentTag(ctx);
    const k0 = vpn & this.loMask[size];
    const k1 = keyWord1(tag, size, vpnHigh(vpn) & this.hiMask[size]);
    const first = this.setOf(k0, k1) * this.wayCount;
    const keys = this.keys;
    let slot = -1;
    for (let s = first; s < first + this.wayCount; s++) {
      const b = s * SLOT_STRIDE;
      if (keys[b] === k0 && keys[b + 1] === k1) {
        if (this.lru) this.tick[s] = ++this.clock;
        this.setValues(s, outPage, perm, aux0, aux1);
        return s;
      }
      if (slot < 0 && !this.isLive(s)) slot = s;
    }
    if (slot < 0) {
      slot = this.victim(first);
      this.removeLive(slot);
      this.nEvictions++;
    }
    this.fill(slot, ctx, k0, k1, size);
    this.tick[slot] = ++this.clock;
    this.setValues(slot, outPage, perm, aux0, aux1);
    return slot;
  }

  protected findSlot(k0: number, k1: number): number {
    const keys = this.keys;
    const first = this.setOf(k0, k1) * this.wayCount;
    const end = first + this.wayCount;
    for (let s = first; s < end; s++) {
      const b = s * SLOT_STRIDE;
      if (keys[b] === k0 && keys[b + 1] === k1) return s;
    }
    return -1;
  }

  protected touch(slot: number): void {
    if (this.lru) this.tick[slot] = ++this.clock;
  }

  protected onRemoved(_slot: number): void {}

  protected saveOrder(): unknown {
    return { tick: this.tick, clock: this.clock };
  }

  protected loadOrder(order: unknown): void {
    const o = order as { tick: Float64Array; clock: number };
    copyInto(this.tick, o.tick, 'cache ticks');
    this.clock = o.clock;
  }

  protected clearSlots(): void {
    this.emptyAllSlots();
  }

  /** Tags ran out: rewrite live entries under their new tags in place and empty the rest. */
  protected retag(): void {
    const map = this.renumberTags();
    const keys = this.keys;
    for (let b = 1; b < keys.length; b += SLOT_STRIDE) {
      const t = map[tagOfKey(keys[b])];
      keys[b] = t < 0 ? EMPTY_K1 : withTag(keys[b], t);
    }
  }

  /**
   * Set index: multiply-shift range reduction of the hash (sets need not be a power of two),
   * over key word 1 with the context id in place of the tag.
   */
  private setOf(k0: number, k1: number): number {
    const c1 = withTag(k1, this.tagCtx[tagOfKey(k1)]);
    return Math.floor(((hashKey(k0, c1) >>> 0) * this.sets) / 4294967296);
  }

  /** The way to evict from a full set starting at slot `first`. */
  private victim(first: number): number {
    if (this.policy === 'random' && this.rng !== undefined) return first + this.rng.below(this.wayCount);
    let best = first;
    for (let s = first + 1; s < first + this.wayCount; s++) if (this.tick[s] < this.tick[best]) best = s;
    return best;
  }
}
