/** A one-line progress bar on stderr, redrawn in place; silent unless the context allows it. */
import type { CliContext } from './context.js';

export class ProgressBar {
  readonly #ctx: CliContext;
  readonly #on: boolean;
  #last = -1;

  constructor(ctx: CliContext, enabled: boolean) {
    this.#ctx = ctx;
    this.#on = enabled && ctx.progress;
  }

  update(done: number, total: number, label: string): void {
    if (!this.#on || total <= 0) return;
    const width = 30;
    const filled = Math.round((done / total) * width);
    // Redraw at most once per filled cell or label change, so long runs do not flood the terminal.
    const key = filled * 1e6 + done;
    if (key === this.#last && done !== total) return;
    this.#last = key;
    this.#ctx.err(
      `\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total} ${label.slice(0, 50).padEnd(50)}`,
    );
  }

  done(): void {
    if (this.#on && this.#last !== -1) this.#ctx.err(`\r${' '.repeat(95)}\r`);
  }
}
