/**
 * The naive translation cache the typed one is measured against: a Map keyed by a template
 * string, object values, FIFO eviction through Map insertion order, and invalidation by a scan
 * of the whole map (perf-notes §2 and §6 "designs to avoid"). Same semantics as
 * core/cache for 4 KiB-and-up entries, so both run the same workload.
 */

export interface NaiveEntry {
  readonly ctx: number;
  /** Base VPN of the entry. */
  readonly vpn: number;
  readonly size: number;
  readonly outPage: number;
  readonly perm: number;
}

export class NaiveCache {
  readonly map = new Map<string, NaiveEntry>();
  lookups = 0;
  hits = 0;

  readonly entries: number;
  /** Size code -> log2 of base pages per entry. */
  readonly pageShifts: readonly number[];

  constructor(entries: number, pageShifts: readonly number[] = [0, 9, 18]) {
    this.entries = entries;
    this.pageShifts = pageShifts;
  }

  lookup(ctx: number, vpn: number, size: number): NaiveEntry | undefined {
    this.lookups++;
    const span = 2 ** this.pageShifts[size];
    const e = this.map.get(`${ctx}:${size}:${Math.floor(vpn / span) * span}`);
    if (e !== undefined) this.hits++;
    return e;
  }

  insert(ctx: number, vpn: number, size: number, outPage: number, perm: number): void {
    const span = 2 ** this.pageShifts[size];
    const base = Math.floor(vpn / span) * span;
    const key = `${ctx}:${size}:${base}`;
    if (!this.map.has(key) && this.map.size >= this.entries) {
      const oldest = this.map.keys().next();
      if (oldest.done !== true) this.map.delete(oldest.value);
    }
    this.map.set(key, { ctx, vpn: base, size, outPage, perm });
  }

  /** Full scan: remove every entry of `ctx`. */
  invalidateContext(ctx: number): number {
    let n = 0;
    for (const [k, e] of this.map) {
      if (e.ctx === ctx) {
        this.map.delete(k);
        n++;
      }
    }
    return n;
  }

  /** Full scan: remove the entries of `ctx` overlapping [vpn, vpn + pages). */
  invalidateRange(ctx: number, vpn: number, pages: number): number {
    const end = vpn + pages;
    let n = 0;
    for (const [k, e] of this.map) {
      if (e.ctx === ctx && e.vpn < end && e.vpn + 2 ** this.pageShifts[e.size] > vpn) {
        this.map.delete(k);
        n++;
      }
    }
    return n;
  }

  invalidateAll(): number {
    const n = this.map.size;
    this.map.clear();
    return n;
  }
}
