/**
 * Runs one scenario on one target: builds the simulator from the compiled
 * config, executes every command, checks each step's expectation against the
 * command's result and the events it caused, then the run's expectations
 * against the unit's counters. Records go to the given sinks (a log writer)
 * and are kept for the caller (golden comparison, reports). A plugin that
 * throws ends the target's run there with `error` set (never a failed step
 * an expectation could accept).
 */

import { ERROR_CODES } from '../errors/viommu-error.js';
import type { EventRecord, LogHeader, LogRecord } from '../events/log/records.js';
import { LOG_FORMAT, LOG_FORMAT_VERSION } from '../events/log/records.js';
import type { JsonObject, JsonValue, UnitStats } from '../plugin/contract.js';
import type { PluginHost } from '../plugin/host.js';
import { createSimulator } from '../replay/sim-factory.js';
import { isPluginFailure } from '../sim/plugin-failure.js';
import type { RecordSink, Simulator } from '../sim/simulator.js';
import { checkCommandTypes } from './command-types.js';
import { type CompiledCommand, compileTarget, DIGEST_COMMAND, SETUP_EXPECT } from './compile.js';
import { SCENARIO_ERROR_CODES, ScenarioError } from './errors.js';
import { checkRun, checkStep, iotlbCounters } from './expectations.js';
import { resolveReferences } from './language.js';
import type { Scenario, TargetSpec } from './types.js';

/** Simulator version written in headers when the caller gives none (volatile: goldens ignore it). */
export const DEFAULT_SIMULATOR_VERSION = '0.1.0';

export interface RunOptions {
  readonly sinks?: readonly RecordSink[];
  readonly simulatorVersion?: string;
  /** Called after each command with (commands done, total). */
  readonly onProgress?: (done: number, total: number) => void;
  /** Called after each checkpoint command (`core.state.digest`) with the simulator and the run's header. */
  readonly onCheckpoint?: (sim: Simulator, header: LogHeader) => void;
}

export interface Failure {
  /** Scenario path of the step (`steps[3]`), or `expect` for run expectations. */
  readonly origin: string;
  /** seq of the command record, when the failure is about one command. */
  readonly seq?: number;
  readonly message: string;
}

export interface TargetRun {
  readonly scenario: Scenario;
  readonly target: TargetSpec;
  readonly header: LogHeader;
  readonly records: readonly LogRecord[];
  readonly failures: readonly Failure[];
  /**
   * A plugin threw (never an errno): the run stopped at that command, whose records end with
   * `core.plugin.failed`. The target's result is an error (exit 3), whatever the steps expected.
   */
  readonly error: { readonly plugin: string; readonly seq: number; readonly message: string } | null;
  readonly stats: UnitStats;
  /** Records of each type. */
  readonly counts: ReadonlyMap<string, number>;
  readonly commands: number;
  readonly events: number;
  readonly iotlb: { readonly hits: number; readonly lookups: number };
}

/** `<scenario id>@<target name>`: the header's scenario field. */
export function runName(scenario: Scenario, target: TargetSpec): string {
  return `${scenario.id}@${target.name}`;
}

export function makeHeader(
  host: PluginHost,
  scenario: Scenario,
  target: TargetSpec,
  config: JsonValue,
  simulator: string,
): LogHeader {
  const plugin = host.get(target.plugin);
  return {
    kind: 'header',
    format: LOG_FORMAT,
    formatVersion: LOG_FORMAT_VERSION,
    simulator,
    plugins: { [plugin.meta.name]: plugin.meta.version },
    scenario: runName(scenario, target),
    seed: scenario.seed,
    config,
  };
}

/** Runs `scenario` on `target`. Throws VIOMMU_ERR_PLUGIN_* when the plugin is not loaded or rejects its options. */
export function runTarget(
  host: PluginHost,
  scenario: Scenario,
  target: TargetSpec,
  options: RunOptions = {},
): TargetRun {
  const compiled = compileTarget(scenario, target);
  const header = makeHeader(
    host,
    scenario,
    target,
    compiled.config as unknown as JsonValue,
    options.simulatorVersion ?? DEFAULT_SIMULATOR_VERSION,
  );
  const records: LogRecord[] = [];
  const counts = new Map<string, number>();
  const keep: RecordSink = {
    append(r) {
      records.push(r);
      counts.set(r.type, (counts.get(r.type) ?? 0) + 1);
    },
  };
  const sim = createSimulator(host, compiled.config, [...(options.sinks ?? []), keep]);
  checkCommandTypes(scenario.file, compiled.commands, sim, host.get(target.plugin).meta);
  const failures: Failure[] = [];
  const total = compiled.commands.length;
  let error: TargetRun['error'] = null;
  /** Results of the steps named with `as`, for `${name}` references (language.ts). */
  const named = new Map<string, JsonValue>();
  for (let i = 0; i < total && error === null; i++) {
    const cmd = compiled.commands[i]!;
    const start = records.length;
    const data = cmd.refs ? resolved(scenario.file, cmd, named) : cmd.data;
    let result: ReturnType<Simulator['execute']>;
    try {
      result = sim.execute({ type: cmd.type, data });
    } catch (e) {
      if (!isPluginFailure(e)) throw e;
      // The target stops here whatever the step expected; its records so far are kept.
      error = { plugin: e.plugin, seq: e.seq, message: e.detail };
      failures.push({
        origin: `${scenario.file}: ${stepName(cmd)} (${cmd.type}, seq ${e.seq})`,
        seq: e.seq,
        message: `plugin error: plugin "${e.plugin}" threw: ${e.detail}`,
      });
      break;
    }
    const seq = records[start]!.seq;
    const caused = records.slice(start + 1) as EventRecord[];
    if (cmd.as !== undefined) {
      if (result.ok) named.set(cmd.as, result.value ?? null);
      else named.delete(cmd.as);
    }
    if (cmd.expect === undefined || cmd.expect === SETUP_EXPECT) refuseMalformed(scenario.file, cmd, caused);
    for (const message of checkStep(cmd.expect, result, caused)) {
      failures.push({
        origin: `${stepName(cmd)} (${cmd.type}, seq ${seq})`,
        seq,
        message,
      });
    }
    if (cmd.type === DIGEST_COMMAND) options.onCheckpoint?.(sim, header);
    options.onProgress?.(i + 1, total);
  }
  const unit = sim.units.values().next().value!;
  const stats = unit.stats();
  // After a plugin error the unit's counters describe a run cut short: run expectations are not judged.
  if (error === null) {
    for (const e of [scenario.expect, target.expect]) {
      for (const message of checkRun(e, stats, counts)) failures.push({ origin: 'expect', message });
    }
  }
  const commands = records.filter((r) => r.kind === 'command').length;
  return {
    scenario,
    target,
    header,
    records,
    failures,
    error,
    stats,
    counts,
    commands,
    events: records.length - commands,
    iotlb: iotlbCounters(stats),
  };
}

/**
 * A step without a written expectation (a set-up step or a template's inner command expects
 * success implicitly) whose command the simulator refused as malformed (an unknown
 * type, a missing or misspelled field) makes the scenario invalid: exit 4, naming the file and
 * the step, as a load-time error would. With an expectation, the expectation judges. (A plugin
 * that threw never gets here: see PluginFailure.)
 */
function refuseMalformed(file: string, cmd: CompiledCommand, caused: readonly EventRecord[]): void {
  const failed = caused.find((r) => r.type === 'core.command.failed');
  if (failed === undefined) return;
  const { code, message } = failed.data as { code: string; message: string };
  const where = stepName(cmd);
  if (code !== ERROR_CODES.COMMAND_INVALID && code !== ERROR_CODES.COMMAND_UNKNOWN) return;
  throw new ScenarioError(SCENARIO_ERROR_CODES.INVALID, file, [
    { path: where, message: `${cmd.type}: ${message}` },
  ]);
}

/**
 * `cmd`'s data with its `${name}` references resolved from the named results so far. A name whose
 * step failed (or a path its result does not have) makes the scenario invalid: exit 4, naming the
 * file and the step.
 */
function resolved(file: string, cmd: CompiledCommand, named: ReadonlyMap<string, JsonValue>): JsonObject {
  try {
    return resolveReferences(cmd.data, (n) => named.get(n)) as JsonObject;
  } catch (e) {
    const why = (e as Error).message;
    throw new ScenarioError(SCENARIO_ERROR_CODES.INVALID, file, [
      {
        path: `${stepName(cmd)}.data`,
        message: `${why} (a step named with "as" has a value only if it succeeded)`,
      },
    ]);
  }
}

/** A step as failures name it: its place in the scenario and its label, if any. */
function stepName(cmd: CompiledCommand): string {
  return `${cmd.origin}${cmd.label ? ` "${cmd.label}"` : ''}`;
}
