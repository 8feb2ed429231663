import type { SeededRng } from '../sim/rng.js';
import { refillMap } from '../state/stateful.js';
import { MAX_CONTEXT_ID } from './cache-key.js';
import type { ReplacementPolicy } from './cache-options.js';
import { createTranslationCache } from './create-cache.js';
import type { CacheCounters } from './stats.js';
import type { CacheState, TranslationCache } from './translation-cache.js';

export interface KeyedCacheOptions {
  /** Capacity in entries; use a large number for QEMU's unbounded config cache. */
  readonly entries: number;
  readonly ways?: number | 'full';
  readonly policy: ReplacementPolicy;
  readonly rng?: SeededRng;
}

/**
 * A small keyed cache for the low-volume caches: VT-d context cache (group 0, key = source-id),
 * VT-d PASID cache (group = DID, key = PASID), SMMUv3 config cache (group 0, key = StreamID, or
 * group = StreamID, key = SSID for CDs), AMD-Vi DTE cache (group 0, key = DeviceID).
 *
 * Values are any objects (the decoded entry). It is the translation cache underneath, with one
 * page size, so it has the same policies, counters and O(1) generation-based invalidation;
 * groups map to context ids through a Map (at most 32767 distinct groups), keys are < 2^45.
 */
export class KeyedCache<T> {
  /** The underlying table (exposed for its counters and snapshot). */
  readonly table: TranslationCache;
  readonly #values: (T | undefined)[];
  readonly #groups = new Map<number, number>();

  constructor(options: KeyedCacheOptions) {
    this.table = createTranslationCache({ ...options, pageShifts: [0], contexts: 4 });
    this.#values = new Array<T | undefined>(this.table.slotCount).fill(undefined);
  }

  /** The cached value, or undefined on a miss. Counts a lookup. */
  get(group: number, key: number): T | undefined {
    const ctx = this.#groups.get(group);
    if (ctx === undefined) {
      this.table.lookup(MAX_CONTEXT_ID + 1, 0, 0); // counts the miss; no such context
      return undefined;
    }
    const s = this.table.lookup(ctx, key, 0);
    return s >= 0 ? this.#values[s] : undefined;
  }

  /** Insert or replace; evicts by policy when full. Throws RangeError on a key outside [0, 2^45). */
  set(group: number, key: number, value: T): void {
    const s = this.table.insert(this.#groupId(group), key, 0, 0, 0);
    this.#values[s] = value;
  }

  /** Drop one key. Returns 1 if it was cached, else 0. */
  invalidateKey(group: number, key: number): number {
    return this.invalidateKeys(group, key, 1);
  }

  /** Drop keys [first, first + count) of a group (e.g. SMMUv3 CFGI_STE_RANGE). */
  invalidateKeys(group: number, first: number, count: number): number {
    const ctx = this.#groups.get(group);
    return ctx === undefined ? 0 : this.table.invalidateRange(ctx, first, count);
  }

  /** Drop every key of a group in O(1) (e.g. VT-d PASID-cache domain-selective). */
  invalidateGroup(group: number): number {
    const ctx = this.#groups.get(group);
    return ctx === undefined ? 0 : this.table.invalidateContext(ctx);
  }

  /** Drop everything (O(groups), not O(entries): TranslationCache.invalidateAll). */
  invalidateAll(): number {
    return this.table.invalidateAll();
  }

  /** Live entries. */
  get size(): number {
    return this.table.liveCount();
  }

  counters(): CacheCounters {
    return this.table.counters();
  }

  /** The table, the groups and the values (each through `save`), for snapshots. */
  saveState(save: (value: T) => unknown): {
    table: CacheState;
    groups: Map<number, number>;
    values: Map<number, unknown>;
  } {
    const values = new Map<number, unknown>();
    this.#values.forEach((v, slot) => {
      if (v !== undefined) values.set(slot, save(v));
    });
    return { table: this.table.saveState(), groups: this.#groups, values };
  }

  loadState(
    s: { table: CacheState; groups: ReadonlyMap<number, number>; values: ReadonlyMap<number, unknown> },
    load: (saved: unknown) => T,
  ): void {
    this.table.loadState(s.table);
    refillMap(this.#groups, s.groups);
    this.#values.fill(undefined);
    for (const [slot, v] of s.values) this.#values[slot] = load(v);
  }

  #groupId(group: number): number {
    let ctx = this.#groups.get(group);
    if (ctx === undefined) {
      ctx = this.#groups.size;
      if (ctx > MAX_CONTEXT_ID) throw new RangeError(`cache: more than ${MAX_CONTEXT_ID + 1} groups`);
      this.#groups.set(group, ctx);
    }
    return ctx;
  }
}
