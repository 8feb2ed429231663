/**
 * Flat `name -> number` form of UnitMetrics, as gem5 writes stats: `caches.iotlb.hitRate`,
 * `invalidations.iotlb.page`, `faultsByKind.TRANSLATION`. `tlb.*` repeats the counters of the
 * cache named as the unit's translation cache, so designs with different cache names line up;
 * `ops.<template>` counts a generator's template runs (maps, unmaps, flushes, waits).
 */
import type { UnitMetrics } from './unit-metrics.js';

export type FlatMetrics = { [name: string]: number };

export function flattenMetrics(
  m: UnitMetrics,
  tlbCache: string | null,
  ops: { readonly [template: string]: number } = {},
): FlatMetrics {
  const out: FlatMetrics = {
    translations: m.translations,
    walks: m.walks,
    memReads: m.memReads,
    readsPerTranslation: m.readsPerTranslation,
    faults: m.faults,
    invalidationsTotal: m.invalidationsTotal,
    simTimeNs: m.simTimeNs,
  };
  const tlb = tlbCache === null ? undefined : m.caches[tlbCache];
  if (tlb !== undefined) for (const [k, v] of Object.entries(tlb)) out[`tlb.${k}`] = v;
  for (const [scope, n] of Object.entries(m.invalidations)) out[`invalidations.${scope}`] = n;
  for (const [kind, n] of Object.entries(m.faultsByKind)) out[`faultsByKind.${kind}`] = n;
  for (const name of Object.keys(ops).sort()) out[`ops.${name}`] = ops[name]!;
  for (const [name, c] of Object.entries(m.caches))
    for (const [k, v] of Object.entries(c)) out[`caches.${name}.${k}`] = v;
  return out;
}

/** The metrics whose name is one of `wanted` or starts with one of them and a dot; all when empty. */
export function selectMetrics(all: FlatMetrics, wanted: readonly string[]): FlatMetrics {
  if (wanted.length === 0) return { ...all };
  const out: FlatMetrics = {};
  for (const [k, v] of Object.entries(all)) {
    if (wanted.some((w) => k === w || k.startsWith(`${w}.`))) out[k] = v;
  }
  return out;
}
