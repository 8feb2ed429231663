/**
 * What a driver does after an unmap (landscape.md §3.2 pattern 4), as a workload parameter:
 * - `strict`: invalidate the unmapped pages at once and wait (`flush-pages` then `sync`), then
 *   free the IOVA: no stale entry ever outlives its mapping; one wait per unmap.
 * - `lazy`: Linux's flush queue: the IOVA waits in a queue, and the whole domain is flushed
 *   (`flush-domain`, `sync`) when `batch` unmaps are queued or `flushNs` of simulated time has
 *   passed since the oldest (IOVA_FQ_SIZE / IOVA_FQ_TIMEOUT); only then are the IOVAs freed.
 * - `batched`: `batch` unmaps are gathered and invalidated page by page in one descriptor run
 *   (`flush-pages` each, one `sync`), then freed.
 */
import type { Simulator } from '../sim/simulator.js';
import { type ArchOps, pageHex } from './arch-ops.js';
import type { IovaAllocator } from './iova-allocator.js';

export const STRATEGIES = ['strict', 'lazy', 'batched'] as const;
export type StrategyName = (typeof STRATEGIES)[number];

export class InvalidationStrategy {
  readonly name: StrategyName;
  readonly #ops: ArchOps;
  readonly #sim: Simulator;
  readonly #iovas: IovaAllocator;
  readonly #batch: number;
  readonly #flushNs: number;
  readonly #args: { readonly [k: string]: number | string };
  /** Unmapped ranges not invalidated yet: [first page, pages]. */
  readonly #queue: [number, number][] = [];
  #oldest = 0;

  constructor(
    name: string,
    ops: ArchOps,
    sim: Simulator,
    iovas: IovaAllocator,
    o: { batch: number; flushNs: number; args: { readonly [k: string]: number | string } },
  ) {
    if (!(STRATEGIES as readonly string[]).includes(name))
      throw new RangeError(`strategy: expected one of ${STRATEGIES.join(', ')}, got ${JSON.stringify(name)}`);
    this.name = name as StrategyName;
    this.#ops = ops;
    this.#sim = sim;
    this.#iovas = iovas;
    this.#batch = Math.max(1, o.batch);
    this.#flushNs = o.flushNs;
    this.#args = o.args;
    ops.need('sync');
    if (this.name === 'lazy') ops.need('flush-domain');
    else if (!ops.has('flush-pages')) ops.need('flush-page');
  }

  /** The driver has just unmapped `pages` pages at `pfn` (already cleared in the tables). */
  unmapped(pfn: number, pages: number): void {
    if (this.name === 'strict') {
      this.#flushPages(pfn, pages);
      this.#ops.run('sync', this.#args);
      this.#iovas.free(pfn, pages);
      return;
    }
    if (this.#queue.length === 0) this.#oldest = this.#sim.clock.now();
    this.#queue.push([pfn, pages]);
    if (this.#queue.length >= this.#batch) this.drain();
    else this.tick();
  }

  /** Lazy: flushes when the oldest queued unmap has waited `flushNs` (the flush-queue timer). */
  tick(): void {
    if (
      this.name === 'lazy' &&
      this.#queue.length > 0 &&
      this.#sim.clock.now() - this.#oldest >= this.#flushNs
    )
      this.drain();
  }

  /** Invalidates everything queued and frees the IOVAs. */
  drain(): void {
    if (this.#queue.length === 0) return;
    if (this.name === 'lazy') this.#ops.run('flush-domain', this.#args);
    else for (const [pfn, pages] of this.#queue) this.#flushPages(pfn, pages);
    this.#ops.run('sync', this.#args);
    for (const [pfn, pages] of this.#queue) this.#iovas.free(pfn, pages);
    this.#queue.length = 0;
  }

  /**
   * One range invalidation (`flush-pages`, with `$iova`, `$pages`, `$am` = log2 of the power of two
   * covering the range and `$iovaAm` = the address with AM in its low bits, VT-d's form), or one
   * `flush-page` per page for an architecture without ranges in the model.
   */
  #flushPages(pfn: number, pages: number): void {
    if (this.#ops.has('flush-pages')) {
      let am = 0;
      while (2 ** am < pages) am++;
      const iovaAm = `0x${(BigInt(pfn) * 4096n + BigInt(am)).toString(16)}`;
      this.#ops.run('flush-pages', { ...this.#args, iova: pageHex(pfn), pages, am, iovaAm });
    } else {
      for (let p = 0; p < pages; p++) this.#ops.run('flush-page', { ...this.#args, iova: pageHex(pfn + p) });
    }
  }
}
