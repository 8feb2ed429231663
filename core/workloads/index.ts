/**
 * Workload generators with real footprints (landscape.md §3.2), run by `workload.dma.run` when
 * its `kind` names one: the arch's own map/unmap/invalidate commands come from the target's
 * templates (`ops`), so one generator runs on every plugin. Each closes with the same
 * `workload.dma.completed` summary as the simple patterns.
 */
import type { JsonObject, JsonValue } from '../plugin/contract.js';
import type { Simulator } from '../sim/simulator.js';
import { ok, type UapiResult } from '../uapi/errno.js';
import { GenContext } from './context.js';
import { nicRing } from './nic-ring.js';
import { nvmeQueues } from './nvme-queues.js';
import { randomAccess } from './random-access.js';
import { sharedDomain } from './shared-domain.js';
import { svaPasids } from './sva-pasids.js';

declare module '../events/event-map.js' {
  interface SimEventMap {
    /** Template runs of a generator workload (map, unmap, flush-pages, sync...), before its summary. */
    'workload.ops.issued': { ops: { [template: string]: number } };
  }
}

export const GENERATORS: ReadonlyMap<string, (g: GenContext) => void> = new Map([
  ['nic-ring', nicRing],
  ['nvme', nvmeQueues],
  ['random-access', randomAccess],
  ['shared-domain', sharedDomain],
  ['sva', svaPasids],
]);

/** Runs the generator `data.kind`; throws a RangeError naming a bad parameter or template. */
export function runGenerator(sim: Simulator, data: JsonObject): UapiResult<JsonValue> {
  const kind = String(data.kind);
  const gen = GENERATORS.get(kind)!;
  const g = new GenContext(sim, data);
  gen(g);
  sim.emit('workload.ops.issued', { ops: { ...g.ops.issued } });
  const { accesses, hits, faults, firstFault } = g.dma;
  sim.emit('workload.dma.completed', { kind, accesses, hits, faults, firstFault, outDigest: g.dma.digest() });
  return ok({ accesses, hits, faults });
}
