import { copyInto } from '../state/stateful.js';

/**
 * A binary min-heap of (tick, slot) pairs over two Int32Arrays: the replacement order of the
 * open-addressing cache's `lru` and `fifo` policies. It is lazy: a slot's entry is not moved
 * when the slot is hit or removed. `queued[slot]` holds the tick a slot is validly queued under
 * (-1: none), and the cache discards any top entry that does not match it.
 *
 * Capacity is twice the cache's entries plus a margin; when it is full the cache rebuilds the heap
 * from its live slots (O(slots), at most once per `entries` fills).
 */
export class UseOrderHeap {
  /** Per slot: the tick the slot is queued under, or -1. */
  readonly queued: Int32Array;
  private readonly ticks: Int32Array;
  private readonly slots: Int32Array;
  private n = 0;

  constructor(slotCount: number, entries: number) {
    this.queued = new Int32Array(slotCount).fill(-1);
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

  saveState(): { queued: Int32Array; ticks: Int32Array; slots: Int32Array; n: number } {
    return { queued: this.queued, ticks: this.ticks, slots: this.slots, n: this.n };
  }

  loadState(s: { queued: Int32Array; ticks: Int32Array; slots: Int32Array; n: number }): void {
    copyInto(this.queued, s.queued, 'eviction heap');
    copyInto(this.ticks, s.ticks, 'eviction heap');
    copyInto(this.slots, s.slots, 'eviction heap');
    this.n = s.n;
  }

  clear(): void {
    this.n = 0;
    this.queued.fill(-1);
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
    this.queued[slot] = tick;
  }

  /** Remove the top entry (does not touch `queued`). */
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
    this.queued[slot] = tick;
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
