/**
 * Saving and restoring a run's whole state, for snapshots (core/replay/snapshot.ts).
 *
 * A stateful piece (the simulator, a unit, a cache) has `saveState()` and `loadState()`.
 * `saveState()` returns structured-clone data: primitives, bigint, arrays, plain objects, Map,
 * Set and typed arrays; no functions and no class instances. It may hand out live arrays: the
 * snapshot encoder serialises the state before the run goes on.
 *
 * `loadState()` is called on an object built from the same configuration by the same simulator
 * and plugin versions (the snapshot checks both, and its checksum, first). Afterwards the object
 * must behave exactly as the saved one would have: the same next events, the same cache victims,
 * the same random draws. Anything left out shows as a replay divergence after the snapshot.
 */
/**
 * Copies a saved typed array into a live one that must keep its identity (a cache column other
 * objects hold). Throws when the lengths differ: the snapshot was made with another configuration.
 */
export function copyInto<T extends Int32Array | Uint32Array | Float64Array | Uint8Array>(
  live: T,
  saved: T,
  what: string,
): void {
  if (live.length !== saved.length)
    throw new RangeError(`snapshot: ${what} has ${saved.length} elements, this run has ${live.length}`);
  live.set(saved);
}

/** Replaces a live Map's entries by saved ones, in their saved order (`copy` makes each value fresh). */
export function refillMap<K, V>(live: Map<K, V>, saved: Iterable<readonly [K, V]>, copy?: (v: V) => V): void {
  live.clear();
  for (const [k, v] of saved) live.set(k, copy === undefined ? v : copy(v));
}

/**
 * Copies saved data onto a live object of the same shape, in place: a nested object the live one
 * already holds (a class instance another object may reference) is filled recursively, anything
 * else (primitives, arrays, typed arrays, Maps, null) is assigned. For classes whose state is
 * their own public fields.
 */
export function assignState(live: object, saved: object): void {
  const target = live as Record<string, unknown>;
  for (const [key, value] of Object.entries(saved)) {
    const current = target[key];
    if (isPlainState(current) && isPlainState(value)) assignState(current, value);
    else target[key] = value;
  }
}

function isPlainState(v: unknown): v is object {
  return (
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    !ArrayBuffer.isView(v) &&
    !(v instanceof Map) &&
    !(v instanceof Set)
  );
}
