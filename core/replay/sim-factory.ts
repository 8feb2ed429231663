/**
 * Building a simulator the same way for a run and for its replay: the
 * scenario layer's commands (workload generators, state digests) are defined
 * on every simulator, so a log that uses them replays anywhere.
 */
import { LOG_ERROR_CODES, LogError } from '../events/log/errors.js';
import type { LogHeader } from '../events/log/records.js';
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

/** The SimConfig recorded in a header; throws VIOMMU_ERR_LOG_CORRUPT naming the field when it is not one. */
export function configFromHeader(header: LogHeader, file = '<log>'): SimConfig {
  const c = header.config as { [k: string]: unknown } | null;
  const bad = (field: string, what: string): never => {
    throw new LogError(
      LOG_ERROR_CODES.CORRUPT,
      { file, line: 1, field: `config.${field}` },
      `expected ${what} to rebuild the run`,
    );
  };
  if (typeof c !== 'object' || c === null || Array.isArray(c)) return bad('', 'an object');
  if (typeof c.seed !== 'number') bad('seed', 'a number');
  if (typeof c.kernel !== 'string') bad('kernel', 'a string');
  if (typeof c.memoryBytes !== 'number') bad('memoryBytes', 'a number');
  if (!Array.isArray(c.units)) bad('units', 'an array');
  if (!Array.isArray(c.devices)) bad('devices', 'an array');
  return c as unknown as SimConfig;
}
