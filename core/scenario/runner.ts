/**
 * Runs one scenario on one target: builds the simulator from the compiled
 * config, executes every command, checks each step's expectation against the
 * command's result and the events it caused, then the run's expectations
 * against the unit's counters. Records go to the given sinks (a log writer,
 * a golden check) as they are made; the runner keeps counts, never the
 * records, so a run's memory does not grow with its length. TargetRunner runs
 * one command per step(), so a caller can yield between steps (signals, flush
 * timers); runTarget runs them all. A plugin that throws ends the target's run
 * there with `error` set (never a failed step an expectation could accept).
 */

import { ERROR_CODES } from '../errors/viommu-error.js';
import type { EventRecord, LogHeader, LogRecord } from '../events/log/records.js';
import { LOG_FORMAT, LOG_FORMAT_VERSION } from '../events/log/records.js';
import type { JsonObject, JsonValue, UnitStats } from '../plugin/contract.js';
import type { PluginHost } from '../plugin/host.js';
import { createSimulator } from '../replay/sim-factory.js';
import { isPluginFailure } from '../sim/plugin-failure.js';
import type { RecordSink, Simulator } from '../sim/simulator.js';
import { checkScenarioCommands } from './command-types.js';
import { type CompiledCommand, DIGEST_COMMAND, planTarget, SETUP_EXPECT } from './compile.js';
import { SCENARIO_ERROR_CODES, ScenarioError } from './errors.js';
import { checkRun, checkStep, iotlbCounters } from './expectations.js';
import { resolveReferences } from './language.js';
import { streamedCommands } from './step-stream.js';
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

/**
 * A run of `scenario` on `target`, one command per step(). Throws VIOMMU_ERR_PLUGIN_* when the
 * plugin is not loaded or rejects its options. Add sinks (addSink) before the first step.
 */
export class TargetRunner {
  readonly header: LogHeader;
  /** Commands to run, or -1 when some come from a stepsFile (counted as they are read). */
  readonly total: number;
  readonly #scenario: Scenario;
  readonly #target: TargetSpec;
  readonly #options: RunOptions;
  /** The commands of setup and steps[], made as the run reaches them (compile.ts keeps few). */
  readonly #commands: Iterator<CompiledCommand>;
  readonly #inline: number;
  /** Commands of the stepsFile, read as the run reaches them (null: none, or all read). */
  #streamed: Iterator<CompiledCommand> | null;
  readonly #sim: Simulator;
  readonly #counts = new Map<string, number>();
  readonly #failures: Failure[] = [];
  /** Results of the steps named with `as`, for `${name}` references (language.ts). */
  readonly #named = new Map<string, JsonValue>();
  /** Events of the current command, kept only when its step has an expectation. */
  readonly #caused: EventRecord[] = [];
  #keepCaused = false;
  #failed: EventRecord | null = null;
  #commandSeq = 0;
  #records = 0;
  #commandRecords = 0;
  #next = 0;
  #finished = false;
  #error: TargetRun['error'] = null;

  constructor(host: PluginHost, scenario: Scenario, target: TargetSpec, options: RunOptions = {}) {
    if (!checked.get(scenario)?.has(host)) checkScenarioCommands(scenario, host);
    const compiled = planTarget(scenario, target);
    this.#scenario = scenario;
    this.#target = target;
    this.#options = options;
    this.#commands = compiled.commands();
    this.#inline = compiled.count;
    this.#streamed = scenario.stepsFile === undefined ? null : streamedCommands(scenario, target, host);
    this.total = this.#streamed === null ? compiled.count : -1;
    this.header = makeHeader(
      host,
      scenario,
      target,
      compiled.config as unknown as JsonValue,
      options.simulatorVersion ?? DEFAULT_SIMULATOR_VERSION,
    );
    const keep: RecordSink = { append: (r) => this.#see(r) };
    this.#sim = createSimulator(host, compiled.config, [keep, ...(options.sinks ?? [])]);
    // The host is frozen now (its catalog can no longer change): the check holds for its other targets.
    const hosts = checked.get(scenario) ?? new WeakSet<PluginHost>();
    checked.set(scenario, hosts.add(host));
  }

  addSink(sink: RecordSink): void {
    this.#sim.addSink(sink);
  }

  /** Commands run so far. */
  get done(): number {
    return this.#next;
  }

  /** Whether the run has ended: every command ran, or a plugin error stopped it. */
  get finished(): boolean {
    return this.#finished;
  }

  #see(r: LogRecord): void {
    this.#records++;
    this.#counts.set(r.type, (this.#counts.get(r.type) ?? 0) + 1);
    if (r.kind === 'command') {
      this.#commandRecords++;
      if (this.#commandSeq === 0) this.#commandSeq = r.seq;
      return;
    }
    if (this.#keepCaused) this.#caused.push(r);
    if (this.#failed === null && r.type === 'core.command.failed') this.#failed = r;
  }

  #nextCommand(): CompiledCommand | null {
    if (this.#next < this.#inline) return this.#commands.next().value as CompiledCommand;
    const n = this.#streamed?.next();
    if (n === undefined || n.done) {
      this.#streamed = null;
      return null;
    }
    return n.value;
  }

  /** Runs the next command and checks its expectation; false when the run has ended. */
  step(): boolean {
    if (this.#finished) return false;
    const cmd = this.#nextCommand();
    if (cmd === null) {
      this.#finished = true;
      return false;
    }
    this.#next++;
    const scenario = this.#scenario;
    this.#caused.length = 0;
    this.#failed = null;
    this.#commandSeq = 0;
    this.#keepCaused = cmd.expect !== undefined;
    const data = cmd.refs ? resolved(scenario.file, cmd, this.#named) : cmd.data;
    let result: ReturnType<Simulator['execute']>;
    try {
      result = this.#sim.execute({ type: cmd.type, data });
    } catch (e) {
      if (!isPluginFailure(e)) throw e;
      // The target stops here whatever the step expected; its records so far went to the sinks.
      this.#error = { plugin: e.plugin, seq: e.seq, message: e.detail };
      this.#failures.push({
        origin: `${scenario.file}: ${stepName(cmd)} (${cmd.type}, seq ${e.seq})`,
        seq: e.seq,
        message: `plugin error: plugin "${e.plugin}" threw: ${e.detail}`,
      });
      this.#finished = true;
      return false;
    }
    const seq = this.#commandSeq;
    if (cmd.as !== undefined) {
      if (result.ok) this.#named.set(cmd.as, result.value ?? null);
      else this.#named.delete(cmd.as);
    }
    if (cmd.expect === undefined || cmd.expect === SETUP_EXPECT)
      refuseMalformed(scenario.file, cmd, this.#failed);
    // Without an expectation no event was kept (#keepCaused), so there is nothing to judge.
    if (this.#keepCaused) {
      for (const message of checkStep(cmd.expect, result, this.#caused)) {
        this.#failures.push({ origin: `${stepName(cmd)} (${cmd.type}, seq ${seq})`, seq, message });
      }
      this.#caused.length = 0;
    }
    if (cmd.type === DIGEST_COMMAND) this.#options.onCheckpoint?.(this.#sim, this.header);
    this.#options.onProgress?.(this.#next, this.total);
    if (this.#next < this.#inline || this.#streamed !== null) return true;
    this.#finished = true;
    return false;
  }

  /** Checks the run's expectations (after the last step, or where the run was stopped) and returns the result. */
  finish(): TargetRun {
    const unit = this.#sim.units.values().next().value!;
    const stats = unit.stats();
    const failures = this.#failures;
    // After a plugin error the unit's counters describe a run cut short: run expectations are not judged.
    if (this.#error === null) {
      for (const e of [this.#scenario.expect, this.#target.expect]) {
        for (const message of checkRun(e, stats, this.#counts)) failures.push({ origin: 'expect', message });
      }
    }
    return {
      scenario: this.#scenario,
      target: this.#target,
      header: this.header,
      failures,
      error: this.#error,
      stats,
      counts: this.#counts,
      commands: this.#commandRecords,
      events: this.#records - this.#commandRecords,
      iotlb: iotlbCounters(stats),
    };
  }
}

/**
 * Scenarios whose commands (every target's) passed checkScenarioCommands with a frozen host: the
 * runs of their other targets skip the check. A loaded Scenario is not changed after validation.
 */
const checked = new WeakMap<Scenario, WeakSet<PluginHost>>();

/** Runs `scenario` on `target`. Throws VIOMMU_ERR_PLUGIN_* when the plugin is not loaded or rejects its options. */
export function runTarget(
  host: PluginHost,
  scenario: Scenario,
  target: TargetSpec,
  options: RunOptions = {},
): TargetRun {
  const runner = new TargetRunner(host, scenario, target, options);
  while (runner.step());
  return runner.finish();
}

/**
 * A step without a written expectation (a set-up step or a template's inner command expects
 * success implicitly) whose command the simulator refused as malformed (an unknown
 * type, a missing or misspelled field) makes the scenario invalid: exit 4, naming the file and
 * the step, as a load-time error would. With an expectation, the expectation judges. (A plugin
 * that threw never gets here: see PluginFailure.)
 */
function refuseMalformed(file: string, cmd: CompiledCommand, failed: EventRecord | null): void {
  if (failed === null) return;
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
