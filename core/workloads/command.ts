/**
 * `workload.generator.run`: one of the design-separating generators of this folder, declared in
 * the command catalog like every other command. Its parameters are checked here before anything
 * runs; `ops` (the target's templates) is checked when the generator uses them.
 */
import { type DataOf, defineCommand } from '../command/catalog.js';
import { device, fraction, int, jsonObject, list, oneOf, pasid, str, u32 } from '../command/field.js';
import { ERROR_CODES, ViommuError } from '../errors/viommu-error.js';
import type { JsonValue } from '../plugin/contract.js';
import type { Simulator } from '../sim/simulator.js';
import { GENERATORS, runGenerator } from './index.js';
import { STRATEGIES } from './invalidation-strategy.js';

export const GENERATOR_COMMAND = 'workload.generator.run';

const count = () => int(0, Number.MAX_SAFE_INTEGER);

declare module '../command/catalog.js' {
  interface CommandMap {
    'workload.generator.run': DataOf<typeof workloadGeneratorRun>;
  }
}

export const workloadGeneratorRun = defineCommand(GENERATOR_COMMAND, {
  doc: 'A workload generator with a real footprint (nic-ring, nvme, random-access, shared-domain, sva), driving the target through its templates.',
  fields: {
    kind: oneOf([...GENERATORS.keys()]).describe('the generator'),
    seed: u32().describe("the generator's own seed").def(0),
    ops: jsonObject().describe("the target's templates (map, unmap, flush-pages, flush-domain, sync...)"),
    device: device().opt(),
    devices: list(device(), { min: 1 }).describe('shared-domain, sva: the devices').opt(),
    iova: str().describe('first IOVA ("0x..." hex, page aligned)').opt(),
    pa: str().describe('first output address ("0x..." hex, page aligned)').opt(),
    direction: oneOf(['rx', 'tx', 'read', 'write'] as const).opt(),
    strategy: oneOf(STRATEGIES).describe('how unmaps are invalidated').opt(),
    pasid: pasid().opt(),
    pasids: list(int(0, 0xfffff), { min: 1 }).opt(),
    hotShare: fraction().opt(),
    hugeShare: fraction().opt(),
    bufPages: count().opt(),
    burst: count().opt(),
    count: count().opt(),
    depth: count().opt(),
    hotPages: count().opt(),
    ioNs: count().opt(),
    ioPages: count().opt(),
    ios: count().opt(),
    packetNs: count().opt(),
    packets: count().opt(),
    pages: count().opt(),
    queues: count().opt(),
    ring: count().opt(),
    batch: count().opt(),
    flushNs: count().opt(),
    lazyBatch: count().opt(),
  },
  handler: (sim: Simulator, d) => {
    // The generators read their parameters by name (params.ts); absent ones take their defaults.
    const data: { [k: string]: JsonValue } = {};
    for (const [k, v] of Object.entries(d)) if (v !== undefined) data[k] = v as JsonValue;
    try {
      return runGenerator(sim, data);
    } catch (e) {
      // A parameter the generator refuses (a bad combination, a missing template) is the
      // command's fault, not a plugin's.
      if (e instanceof RangeError) throw new ViommuError(ERROR_CODES.COMMAND_INVALID, e.message);
      throw e;
    }
  },
});
