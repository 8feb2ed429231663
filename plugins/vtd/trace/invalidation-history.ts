/**
 * The last invalidations of a trace (QEMU's `vtd_inv_desc_*` lines), kept in a
 * fixed ring so memory does not grow with the trace, and the question a
 * disagreement asks of them: which was the last one to touch this page, and
 * how — inside its range, only through QEMU 7.2's 8-bit mask alias, as a
 * domain-wide or a global one.
 */
import type { TraceInvalidation } from './qemu-vtd-importer.js';

/** How an invalidation touched a page. */
export type TouchKind = 'range' | 'alias-8bit' | 'domain' | 'global';

export interface PageTouch {
  readonly line: number;
  readonly event: string;
  readonly did: number | null;
  readonly addr: string | null;
  readonly am: number | null;
  readonly touch: TouchKind;
}

/** How many invalidations before a lookup it searches for the one that touched its page. */
export const HISTORY_WINDOW = 4096;
/**
 * The ring holds two windows: a replay judges held lookups after it has recorded up to one
 * window of later invalidations (compare-trace.ts flushes when one window is held).
 */
const SIZE = 2 * HISTORY_WINDOW;
const K_GLOBAL = 0;
const K_DOMAIN = 1;
const K_PAGES = 2;

export class InvalidationHistory {
  readonly #line = new Float64Array(SIZE);
  readonly #kind = new Int8Array(SIZE);
  readonly #did = new Int32Array(SIZE);
  readonly #vpn = new Float64Array(SIZE);
  readonly #am = new Int8Array(SIZE);
  readonly #event: string[] = new Array<string>(SIZE).fill('');
  #next = 0;
  #count = 0;

  /** Records one IOTLB invalidation (context-cache ones touch no IOTLB page and are skipped). */
  add(inv: TraceInvalidation): void {
    if (inv.event.startsWith('vtd_inv_desc_cc_')) return;
    const i = this.#next;
    this.#line[i] = inv.line;
    this.#event[i] = inv.event;
    this.#did[i] = inv.did ?? -1;
    if (inv.addr !== null && inv.am !== null) {
      this.#kind[i] = K_PAGES;
      this.#vpn[i] = Math.floor(inv.addr / 4096);
      this.#am[i] = inv.am;
    } else {
      this.#kind[i] = inv.did === null ? K_GLOBAL : K_DOMAIN;
      this.#vpn[i] = -1;
      this.#am[i] = -1;
    }
    this.#next = (i + 1) % SIZE;
    if (this.#count < SIZE) this.#count++;
  }

  /**
   * The newest invalidation that touched page `vpn` of domain `did`, among the last
   * HISTORY_WINDOW recorded before trace line `line` (later ones are skipped), if any.
   */
  lastTouching(did: number, vpn: number, line: number): PageTouch | null {
    let n = 0;
    while (n < this.#count && this.#line[(this.#next - 1 - n + SIZE) % SIZE]! > line) n++;
    const end = Math.min(this.#count, n + HISTORY_WINDOW);
    for (; n < end; n++) {
      const i = (this.#next - 1 - n + SIZE) % SIZE;
      const kind = this.#kind[i]!;
      let touch: TouchKind | null = null;
      if (kind === K_GLOBAL) touch = 'global';
      else if (this.#did[i] !== did) continue;
      else if (kind === K_DOMAIN) touch = 'domain';
      else {
        const pages = 2 ** this.#am[i]!;
        const base = Math.floor(this.#vpn[i]! / pages) * pages;
        if (vpn >= base && vpn < base + pages) touch = 'range';
        else {
          const mask8 = ~(pages - 1) & 0xff;
          if ((vpn & mask8) === (base & mask8)) touch = 'alias-8bit';
        }
      }
      if (touch === null) continue;
      return {
        line: this.#line[i]!,
        event: this.#event[i]!,
        did: this.#did[i]! < 0 ? null : this.#did[i]!,
        addr: this.#vpn[i]! < 0 ? null : `0x${(this.#vpn[i]! * 4096).toString(16)}`,
        am: this.#am[i]! < 0 ? null : this.#am[i]!,
        touch,
      };
    }
    return null;
  }
}
