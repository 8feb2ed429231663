/**
 * Sweep progress on stderr: on a terminal, one bar redrawn in place (cells done, elapsed, ETA);
 * otherwise one plain line per finished cell, for CI logs.
 */
import type { CliContext } from '../scenario/context.js';

export class SweepProgress {
  readonly #ctx: CliContext;
  readonly #total: number;
  readonly #tty: boolean;
  readonly #start = performance.now();
  #done = 0;

  constructor(ctx: CliContext, total: number, quiet: boolean) {
    this.#ctx = ctx;
    this.#total = total;
    this.#tty = ctx.progress && !quiet;
    if (quiet) this.cell = () => {};
  }

  cell(id: string, error: string | null): void {
    this.#done++;
    const elapsed = (performance.now() - this.#start) / 1000;
    if (!this.#tty) {
      this.#ctx.err(`cell ${this.#done}/${this.#total} ${error === null ? 'done' : 'FAILED'}: ${id}\n`);
      return;
    }
    const eta = this.#done === 0 ? 0 : (elapsed / this.#done) * (this.#total - this.#done);
    const width = 24;
    const filled = Math.round((this.#done / this.#total) * width);
    this.#ctx.err(
      `\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${this.#done}/${this.#total} cells  ${elapsed.toFixed(1)} s elapsed  ETA ${eta.toFixed(1)} s `,
    );
    if (this.#done === this.#total) this.#ctx.err('\n');
  }

  seconds(): number {
    return (performance.now() - this.#start) / 1000;
  }
}
