/**
 * Building a simulator the same way for a run and for its replay: the
 * scenario layer's commands (workload generators, state digests) are defined
 * on every simulator, so a log that uses them replays anywhere.
 */
import type { PluginHost } from '../plugin/host.js';
import { DIGEST_COMMAND, WORKLOAD_COMMAND } from '../scenario/compile.js';
import { workloadDmaRun } from '../scenario/workload-command.js';
import type { SimConfig } from '../sim/config.js';
import { type RecordSink, Simulator } from '../sim/simulator.js';
import { stateDigestCommand } from './digest.js';

export function createSimulator(
  host: PluginHost,
  config: SimConfig,
  sinks: readonly RecordSink[] = [],
): Simulator {
  const sim = new Simulator(host, config, sinks);
  sim.defineCommand(WORKLOAD_COMMAND, workloadDmaRun);
  sim.defineCommand(DIGEST_COMMAND, stateDigestCommand);
  return sim;
}
