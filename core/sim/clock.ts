/** Virtual time in nanoseconds. Nothing in a run reads the wall clock. */
export class SimClock {
  #now = 0;

  /** Current virtual time (ns), a safe integer. */
  now(): number {
    return this.#now;
  }

  saveState(): number {
    return this.#now;
  }

  loadState(now: number): void {
    this.#now = now;
  }

  /** Moves time forward; time never goes back. */
  advance(ns: number): void {
    if (!(ns >= 0) || !Number.isSafeInteger(ns)) throw new RangeError(`clock: cannot advance by ${ns} ns`);
    this.#now += ns;
  }
}
