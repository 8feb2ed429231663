/**
 * The page request queue: a ring of 32-byte descriptors that hardware fills at
 * the tail (PQT) and software drains from the head (PQH), with the page request
 * status bits PPR (pending page request) and PRO (overflow). VT-d 7.5: the
 * ring is full when advancing the tail would make it equal to the head, so one
 * slot always stays empty; a request arriving then is dropped and PRO is set.
 *
 * Storage is a Uint32Array of eight words per descriptor; descriptors cross
 * the API as four bigints (a cold path: one per device page request).
 */

import { copyInto } from '../../../core/state/stateful.js';

const WORDS = 8;

export type EnqueueResult = { readonly queued: true; readonly slot: number } | { readonly queued: false };

export class PageRequestQueue {
  readonly entries: number;
  readonly #ring: Uint32Array;
  #head = 0;
  #tail = 0;
  #pro = false;
  #overflows = 0;

  /** A ring of 4 KiB x 2^order (PQA.PQS = order), i.e. 128 << order descriptors. */
  static ofOrder(order: number): PageRequestQueue {
    if (!Number.isInteger(order) || order < 0 || order > 7) {
      throw new RangeError(`prqOrder must be an integer in 0..7, got ${order}`);
    }
    return new PageRequestQueue((4096 << order) / 32);
  }

  constructor(entries: number) {
    if (!Number.isInteger(entries) || entries < 2) {
      throw new RangeError(`page request queue needs at least 2 entries, got ${entries}`);
    }
    this.entries = entries;
    this.#ring = new Uint32Array(entries * WORDS);
  }

  /** The ring and its pointers, for snapshots. */
  saveState(): { ring: Uint32Array; head: number; tail: number; pro: boolean; overflows: number } {
    return {
      ring: this.#ring,
      head: this.#head,
      tail: this.#tail,
      pro: this.#pro,
      overflows: this.#overflows,
    };
  }

  loadState(s: ReturnType<PageRequestQueue['saveState']>): void {
    copyInto(this.#ring, s.ring, 'page request queue');
    this.#head = s.head;
    this.#tail = s.tail;
    this.#pro = s.pro;
    this.#overflows = s.overflows;
  }

  get head(): number {
    return this.#head;
  }

  get tail(): number {
    return this.#tail;
  }

  /** PRS.PRO: a request was dropped because the ring was full; cleared by software. */
  get overflow(): boolean {
    return this.#pro;
  }

  /** PRS.PPR: descriptors are waiting between head and tail. */
  get pending(): boolean {
    return this.#head !== this.#tail;
  }

  /** Requests in the ring not yet consumed. */
  get count(): number {
    return (this.#tail - this.#head + this.entries) % this.entries;
  }

  /** Requests dropped by overflow since creation. */
  get overflows(): number {
    return this.#overflows;
  }

  get full(): boolean {
    return (this.#tail + 1) % this.entries === this.#head;
  }

  /** Hardware side: writes a descriptor at the tail, or drops it and sets PRO when full. */
  enqueue(desc: readonly bigint[]): EnqueueResult {
    if (this.full) {
      this.#pro = true;
      this.#overflows++;
      return { queued: false };
    }
    const slot = this.#tail;
    const base = slot * WORDS;
    for (let q = 0; q < 4; q++) {
      const v = desc[q] ?? 0n;
      this.#ring[base + 2 * q] = Number(v & 0xffff_ffffn);
      this.#ring[base + 2 * q + 1] = Number((v >> 32n) & 0xffff_ffffn);
    }
    this.#tail = (slot + 1) % this.entries;
    return { queued: true, slot };
  }

  /** Software side: the descriptor at `slot` (normally the head). */
  read(slot: number): [bigint, bigint, bigint, bigint] {
    const base = (slot % this.entries) * WORDS;
    const r = this.#ring;
    const q = (i: number): bigint => (BigInt(r[base + 2 * i + 1]!) << 32n) | BigInt(r[base + 2 * i]!);
    return [q(0), q(1), q(2), q(3)];
  }

  /** Software side: consumes the head descriptor (writes PQH). */
  advanceHead(): void {
    if (this.#head === this.#tail)
      throw new RangeError('page request queue: advancing the head of an empty ring');
    this.#head = (this.#head + 1) % this.entries;
  }

  /** Software side: writes 1 to PRS.PRO to clear it. */
  clearOverflow(): void {
    this.#pro = false;
  }

  digestState(): { entries: number; head: number; tail: number; pro: boolean; overflows: number } {
    return {
      entries: this.entries,
      head: this.#head,
      tail: this.#tail,
      pro: this.#pro,
      overflows: this.#overflows,
    };
  }
}
