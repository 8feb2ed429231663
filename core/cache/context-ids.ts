import { MAX_CONTEXT_ID } from './cache-key.js';

const TWO_POW_32 = 4294967296;

/**
 * Interns a pair of tag values, e.g. (domain id, PASID), (VMID, ASID) or (source-id, PASID), into
 * the small context ids the caches key on. Ids are dense, start at 0, and released ids are reused
 * last-released-first, so the same sequence of calls always gives the same ids.
 *
 * Not for the per-translation path (it uses a Map): intern when a device is attached or a PASID
 * bound, and keep the id in the plugin's state. Before an id is reused for a new pair, every
 * cache holding it must have been told `invalidateContext(id)`; `release` does not do that.
 */
export class ContextIds {
  readonly #ids = new Map<number, number>();
  readonly #a: number[] = [];
  readonly #b: number[] = [];
  readonly #free: number[] = [];
  /** Ids in use per first tag, ascending: what withFirst() answers, without a scan of every id. */
  readonly #byFirst = new Map<number, number[]>();

  /** Id of (a, b), allocating one if needed. a < 2^21, b < 2^32. Throws RangeError when ids run out. */
  intern(a: number, b: number): number {
    const k = pairKey(a, b);
    const found = this.#ids.get(k);
    if (found !== undefined) return found;
    let id = this.#free.pop();
    if (id === undefined) {
      id = this.#a.length;
      if (id > MAX_CONTEXT_ID) throw new RangeError(`cache: more than ${MAX_CONTEXT_ID + 1} contexts`);
      this.#a.push(a);
      this.#b.push(b);
    } else {
      this.#a[id] = a;
      this.#b[id] = b;
    }
    this.#ids.set(k, id);
    this.#index(a, id);
    return id;
  }

  /** Adds `id` to the ascending list of first tag `a`. */
  #index(a: number, id: number): void {
    let list = this.#byFirst.get(a);
    if (list === undefined) {
      list = [];
      this.#byFirst.set(a, list);
    }
    let i = list.length;
    while (i > 0 && list[i - 1]! > id) i--;
    list.splice(i, 0, id);
  }

  /** Id of (a, b), or -1 when not interned. */
  find(a: number, b: number): number {
    return this.#ids.get(pairKey(a, b)) ?? -1;
  }

  /** Forget the pair behind `id`; the id is handed out again later. Returns false if not in use. */
  release(id: number): boolean {
    if (id < 0 || id >= this.#a.length || this.#a[id] < 0) return false;
    this.#ids.delete(pairKey(this.#a[id], this.#b[id]));
    const list = this.#byFirst.get(this.#a[id])!;
    list.splice(list.indexOf(id), 1);
    if (list.length === 0) this.#byFirst.delete(this.#a[id]);
    this.#a[id] = -1;
    this.#b[id] = -1;
    this.#free.push(id);
    return true;
  }

  /** First tag of `id` (-1 when released). */
  first(id: number): number {
    return this.#a[id] ?? -1;
  }

  /** Second tag of `id` (-1 when released). */
  second(id: number): number {
    return this.#b[id] ?? -1;
  }

  /**
   * Ids in use whose first tag is `a` (e.g. every PASID context of a domain), ascending: the
   * index's own list, valid until the next intern or release (do not keep or change it).
   */
  withFirst(a: number): readonly number[] {
    return this.#byFirst.get(a) ?? NONE;
  }

  /** Number of ids in use. */
  get size(): number {
    return this.#ids.size;
  }

  /** The interned pairs by id (-1 = released) and the free list, for snapshots. */
  saveState(): { a: number[]; b: number[]; free: number[] } {
    return { a: this.#a, b: this.#b, free: this.#free };
  }

  loadState(s: { a: readonly number[]; b: readonly number[]; free: readonly number[] }): void {
    this.#ids.clear();
    this.#byFirst.clear();
    this.#a.length = this.#b.length = this.#free.length = 0;
    this.#a.push(...s.a);
    this.#b.push(...s.b);
    this.#free.push(...s.free);
    for (let id = 0; id < s.a.length; id++) {
      if (s.a[id] < 0) continue;
      this.#ids.set(pairKey(s.a[id], s.b[id]), id);
      this.#index(s.a[id], id);
    }
  }
}

const NONE: readonly number[] = [];

function pairKey(a: number, b: number): number {
  if (!Number.isInteger(a) || a < 0 || a >= 2 ** 21 || !Number.isInteger(b) || b < 0 || b >= TWO_POW_32) {
    throw new RangeError(`cache: context tags out of range: (${a}, ${b})`);
  }
  return a * TWO_POW_32 + b;
}
