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
import { checkSimConfig } from '../sim/config-check.js';
import { type RecordSink, Simulator } from '../sim/simulator.js';
import { GENERATOR_COMMAND, workloadGeneratorRun } from '../workloads/command.js';
import { stateDigestCommand } from './digest.js';

export function createSimulator(
  host: PluginHost,
  config: SimConfig,
  sinks: readonly RecordSink[] = [],
): Simulator {
  const sim = new Simulator(host, config, sinks);
  sim.defineCommand(WORKLOAD_COMMAND, workloadDmaRun);
  sim.defineCommand(DIGEST_COMMAND, stateDigestCommand);
  sim.defineCommand(GENERATOR_COMMAND, workloadGeneratorRun);
  return sim;
}

/**
 * The SimConfig recorded in a header. Throws VIOMMU_ERR_LOG_CORRUPT (exit 4) naming the file,
 * the line and the field when it does not describe a valid run: an unknown or misspelled key, a
 * device naming no unit, a bad value, or (given the host) options a loaded plugin refuses.
 */
export function configFromHeader(header: LogHeader, file = '<log>', host?: PluginHost): SimConfig {
  const parserOf = (name: string) => {
    if (!host?.names().includes(name)) return undefined;
    const plugin = host.get(name);
    return (raw: Parameters<typeof plugin.parseOptions>[0]) => plugin.parseOptions(raw);
  };
  const found = checkSimConfig(header.config, parserOf);
  if (found !== null) {
    const field = found.path ? `config.${found.path}` : 'config';
    throw new LogError(
      LOG_ERROR_CODES.CORRUPT,
      { file, line: 1, field },
      `header: ${field}: ${found.problem}`,
    );
  }
  return header.config as unknown as SimConfig;
}
