import { PAGE_SIZE, type PhysMemory } from './phys-memory.js';

/**
 * Hands out zeroed 4 KiB physical frames for tables that set-up commands and
 * test builders create (root tables, page tables, queues). A deterministic
 * bump allocator: the same sequence of requests gives the same addresses.
 */
export class FrameAllocator {
  readonly #memory: PhysMemory;
  #next: number;
  readonly #limit: number;

  /** Allocates from [base, limit) of `memory`; by default the upper half of memory. */
  constructor(memory: PhysMemory, base = memory.size / 2, limit = memory.size) {
    if (base % PAGE_SIZE !== 0 || limit > memory.size || base >= limit) {
      throw new RangeError(
        `frame allocator range [0x${base.toString(16)}, 0x${limit.toString(16)}) is not valid`,
      );
    }
    this.#memory = memory;
    this.#next = base;
    this.#limit = limit;
  }

  /** Allocates `pages` contiguous zeroed frames and returns the physical address of the first. */
  alloc(pages = 1, alignPages = 1): number {
    const align = alignPages * PAGE_SIZE;
    const start = Math.ceil(this.#next / align) * align;
    const end = start + pages * PAGE_SIZE;
    if (end > this.#limit)
      throw new RangeError(`out of simulated memory for tables (${pages} pages requested)`);
    for (let pa = start; pa < end; pa += PAGE_SIZE) this.#memory.pageForWrite(pa / PAGE_SIZE).fill(0);
    this.#next = end;
    return start;
  }

  saveState(): number {
    return this.#next;
  }

  loadState(next: number): void {
    this.#next = next;
  }

  /** Next address alloc() would consider; part of the run's state. */
  get next(): number {
    return this.#next;
  }
}
