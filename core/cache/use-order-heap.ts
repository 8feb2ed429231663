import { copyInto } from '../state/stateful.js';

/**
 * A binary min-heap of (tick, slot) pairs over two Int32Arrays: the replacement order of the
 * open-addressing cache's `lru` caches ordered by ticks. It is lazy: a slot's entry is not moved
 * when the slot is hit or removed, and the cache checks the top against the slot's current
 * tick and liveness before it evicts: a dead slot's entry is dropped, and an entry whose slot
 * was used since is queued again under the slot's current tick. A slot removed and filled again
 * before its old entry surfaced therefore stands in the heap twice under one tick; the first to
 * surface when that tick is the oldest evicts it, and the other is later dropped or re-queued.
 *
 * Capacity is twice the cache's entries plus a margin; when it is full the cache rebuilds the heap
 * from its live slots (O(slots), at most once per `entries` fills), which drops such duplicates.
 */
export class UseOrderHeap {
  private readonly ticks: Int32Array;
  private readonly slots: Int32Array;
  private n = 0;

  constructor(entries: number) {
    const cap = 2 * entries + 64;
    this.ticks = new Int32Array(cap);
    this.slots = new Int32Array(cap);
  }

  get size(): number {
    return this.n;
  }

  get full(): boolean {
    return this.n === this.ticks.length;
  }

  topTick(): number {
    return this.ticks[0];
  }

  topSlot(): number {
    return this.slots[0];
  }

  saveState(): { ticks: Int32Array; slots: Int32Array; n: number } {
    return { ticks: this.ticks, slots: this.slots, n: this.n };
  }

  loadState(s: { ticks: Int32Array; slots: Int32Array; n: number }): void {
    copyInto(this.ticks, s.ticks, 'eviction heap');
    copyInto(this.slots, s.slots, 'eviction heap');
    this.n = s.n;
  }

  clear(): void {
    this.n = 0;
  }

  /** Queue `slot` under `tick` (the caller checks `full` first). */
  push(tick: number, slot: number): void {
    let i = this.n++;
    const ticks = this.ticks;
    const slots = this.slots;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (ticks[p] <= tick) break;
      ticks[i] = ticks[p];
      slots[i] = slots[p];
      i = p;
    }
    ticks[i] = tick;
    slots[i] = slot;
  }

  /** Remove the top entry. */
  pop(): void {
    const last = --this.n;
    if (last > 0) this.siftDown(this.ticks[last], this.slots[last]);
  }

  /** Replace the top entry by (tick, slot), tick >= the old top's, and restore the order. */
  replaceTop(tick: number, slot: number): void {
    this.siftDown(tick, slot);
  }

  /** Add without ordering; call `heapify()` after a batch. */
  append(tick: number, slot: number): void {
    this.ticks[this.n] = tick;
    this.slots[this.n++] = slot;
  }

  heapify(): void {
    for (let i = (this.n >> 1) - 1; i >= 0; i--) {
      const t = this.ticks[i];
      const s = this.slots[i];
      this.siftDownFrom(i, t, s);
    }
  }

  private siftDown(tick: number, slot: number): void {
    this.siftDownFrom(0, tick, slot);
  }

  /** Place (tick, slot) at hole `i` or below it, moving smaller children up. */
  private siftDownFrom(start: number, tick: number, slot: number): void {
    const ticks = this.ticks;
    const slots = this.slots;
    const n = this.n;
    let i = start;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && ticks[c + 1] < ticks[c]) c++;
      if (ticks[c] >= tick) break;
      ticks[i] = ticks[c];
      slots[i] = slots[c];
      i = c;
    }
    ticks[i] = tick;
    slots[i] = slot;
  }
}
