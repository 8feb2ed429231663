/**
 * The host's IOASID (PASID) allocator, as drivers/iommu/ioasid.c behaved in
 * v5.10: ids come from one global space, the lowest free id in [min, max]
 * wins, and each id can carry private data (VT-d attaches its per-PASID svm
 * state there). Deterministic by construction: no randomness, no hashing order.
 */
import { INVALID_IOASID, PASID_MAX, PASID_MIN } from './uapi-constants.js';

export type IoasidAllocResult = { ok: true; pasid: number } | { ok: false; errno: 'EINVAL' | 'ENOSPC' };

export class IoasidAllocator<Data> {
  /** Allocated ids, ascending, with their private data (null until set). */
  readonly #ids = new Map<number, Data | null>();
  readonly #limit: number;

  /** `limit` is one past the highest id ever handed out (the driver's PASID_MAX). */
  constructor(limit = PASID_MAX) {
    this.#limit = limit;
  }

  /** Allocates the lowest free id in [min, max] (defaults PASID_MIN .. PASID_MAX-1). */
  alloc(min = PASID_MIN, max = this.#limit - 1): IoasidAllocResult {
    if (!Number.isInteger(min) || !Number.isInteger(max) || min < 0 || min > max || max >= this.#limit) {
      return { ok: false, errno: 'EINVAL' };
    }
    for (let id = min; id <= max; id++) {
      if (!this.#ids.has(id)) {
        this.#ids.set(id, null);
        return { ok: true, pasid: id };
      }
    }
    return { ok: false, errno: 'ENOSPC' };
  }

  /** Frees an id; false when it was not allocated (the kernel only logs that). */
  free(pasid: number): boolean {
    return this.#ids.delete(pasid);
  }

  isAllocated(pasid: number): boolean {
    return this.#ids.has(pasid);
  }

  /**
   * ioasid_find: the private data of an allocated id. 'ENOENT' when the id is
   * not allocated, 'EINVAL' for INVALID_IOASID; null when allocated without data.
   */
  find(pasid: number): Data | null | 'ENOENT' | 'EINVAL' {
    if (pasid === INVALID_IOASID) return 'EINVAL';
    const d = this.#ids.get(pasid);
    return d === undefined ? 'ENOENT' : d;
  }

  /** ioasid_set_data: attaches (or with null detaches) private data; false if not allocated. */
  setData(pasid: number, data: Data | null): boolean {
    if (!this.#ids.has(pasid)) return false;
    this.#ids.set(pasid, data);
    return true;
  }

  /** Every allocated id with its data (through `save`), in allocation order, for snapshots. */
  saveState<S>(save: (data: Data) => S): [number, S | null][] {
    return [...this.#ids].map(([id, d]) => [id, d === null ? null : save(d)]);
  }

  loadState<S>(ids: readonly (readonly [number, S | null])[], load: (saved: S) => Data): void {
    this.#ids.clear();
    for (const [id, d] of ids) this.#ids.set(id, d === null ? null : load(d));
  }

  /** Allocated ids in ascending order, for snapshots. */
  allocated(): number[] {
    return [...this.#ids.keys()].sort((a, b) => a - b);
  }

  get size(): number {
    return this.#ids.size;
  }
}
