/**
 * Counts what every unit's stats() reports beside its own counters: page walks and faults by
 * kind. A plugin's unit calls count() after each translation (two integer increments, nothing
 * allocated) and copies walks / faultsByKind() into stats().
 */
import { FAULT_KIND_NAME, type TranslationResult } from '../model/translation.js';

export class TranslationMeter {
  walks = 0;
  readonly #byKind = new Float64Array(FAULT_KIND_NAME.length + 1);

  /** Records one translation's outcome: `kind` is translate()'s return value. */
  count(kind: number, out: TranslationResult): void {
    if (!out.hit) this.walks++;
    if (kind !== 0) this.#byKind[Math.min(kind, FAULT_KIND_NAME.length)]++;
  }

  /** Faults by FAULT_KIND name, in kind order; kinds that did not occur are left out. */
  faultsByKind(): { [kind: string]: number } {
    const out: { [kind: string]: number } = {};
    for (let k = 1; k < this.#byKind.length; k++) {
      if (this.#byKind[k] > 0) out[FAULT_KIND_NAME[k] ?? 'UNKNOWN'] = this.#byKind[k];
    }
    return out;
  }

  saveState(): number[] {
    return [this.walks, ...this.#byKind];
  }

  loadState(s: readonly number[]): void {
    this.walks = s[0] ?? 0;
    for (let k = 0; k < this.#byKind.length; k++) this.#byKind[k] = s[k + 1] ?? 0;
  }
}
