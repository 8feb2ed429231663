/**
 * Runs scenario files for `viommu run`: every target of every scenario on a
 * host with the built-in plugins, checks expectations and goldens, writes the
 * logs, and returns one entry per (scenario, target) for the reporters.
 */
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { type ByteSource, fileSource } from '../../core/events/log/byte-source.js';
import type { Divergence } from '../../core/events/log/divergence.js';
import {
  type FileLogWriter,
  openBinaryLogFile,
  openJsonlLogFile,
} from '../../core/events/log/file-writers.js';
import { RunTail } from '../../core/events/log/records.js';
import { MetricsSink } from '../../core/metrics/metrics-sink.js';
import type { UnitMetrics } from '../../core/metrics/unit-metrics.js';
import { PluginHost } from '../../core/plugin/host.js';
import { GoldenCheck } from '../../core/replay/golden.js';
import { LOG_EXTENSION, type LogFormat, stableHeader } from '../../core/replay/log-io.js';
import { displayPath, loadScenarioFile, SCENARIO_SUFFIX } from '../../core/scenario/load.js';
import { runName, type TargetRun, TargetRunner } from '../../core/scenario/runner.js';
import type { Scenario, TargetSpec } from '../../core/scenario/types.js';
import { inShard, type Shard } from '../../core/sweep/matrix.js';
import { HOW_TO_LOAD } from '../config/log-plugins.js';
import type { CliContext } from './context.js';
import { EXIT } from './context.js';
import { errorMessage, exitCodeFor } from './errors.js';
import { driveRunner, type SignalWatch, signalExitCode, watchSignals } from './interrupt.js';
import { ProgressBar } from './progress.js';
import { snapshotSaver } from './snapshot-files.js';

export interface RunFileOptions {
  readonly out?: string;
  readonly format: LogFormat;
  readonly update: boolean;
  readonly golden: boolean;
  readonly target?: string;
  /** Only targets of this plugin or of this name. */
  readonly only?: string;
  readonly progress: boolean;
  /** Only the runs of this shard (by position in the run list; `viommu merge` joins the shards). */
  readonly shard?: Shard | null;
  readonly simulatorVersion?: string;
  /** Write a snapshot at each checkpoint under this directory. */
  readonly snapshots?: string;
  /** A missing golden fails (CI is set), as vitest treats a missing snapshot in CI. */
  readonly requireGoldens?: boolean;
  /** The command that re-records one target's golden, ending a golden failure's message. */
  readonly updateCommand?: (scenarioFile: string, target: string) => string;
}

export type RunStatus = 'passed' | 'failed' | 'skipped' | 'invalid' | 'error';

export interface RunEntry {
  readonly file: string;
  readonly scenario: string;
  readonly target: string;
  readonly plugin: string;
  readonly status: RunStatus;
  readonly failures: readonly string[];
  readonly golden: 'match' | 'mismatch' | 'missing' | 'updated' | 'not-checked';
  readonly divergence: Divergence | null;
  readonly log: string | null;
  /** Snapshot files written at the run's checkpoints (with --snapshots). */
  readonly snapshots: readonly string[];
  readonly commands: number;
  readonly events: number;
  readonly translations: number;
  readonly iotlbHits: number;
  readonly iotlbLookups: number;
  /** The common metrics of the target's unit (core/metrics), null when it did not run. */
  readonly metrics: UnitMetrics | null;
  /** Exit code this entry asks for. */
  readonly exit: number;
  /** Wall-clock seconds the run took (JUnit's time; not in --json, which stays byte-identical). */
  readonly seconds?: number;
  /** The plugin exception that stopped the run (status 'error'), for the text reporters. */
  readonly pluginError?: TargetRun['error'];
}

/** What runScenarioFiles did: one entry per run, and every target there was to choose from. */
export interface RunFilesResult {
  readonly entries: RunEntry[];
  /** Each target of each scenario that loaded, whether --target and --only chose it or not. */
  readonly targets: readonly { readonly name: string; readonly plugin: string }[];
  /**
   * Every run there is to do after --target and --only (`file@target`, `file@-` for a file that
   * did not load), in order, whichever shard ran: a shard's runs are its positions in this list.
   */
  readonly runs: readonly string[];
}

/** `<scenario dir>/<base>.<target>.events.jsonl`. */
export function goldenPath(scenarioFile: string, target: string): string {
  return join(
    dirname(scenarioFile),
    `${basename(scenarioFile, SCENARIO_SUFFIX)}.${target}${LOG_EXTENSION.jsonl}`,
  );
}

/** A log is flushed at least this often while a run goes (and every 64 KiB): a killed run loses at most this much. */
const FLUSH_MS = 100;

export async function runScenarioFiles(
  ctx: CliContext,
  files: readonly string[],
  opts: RunFileOptions,
): Promise<RunFilesResult> {
  const signals = watchSignals();
  try {
    return await runFiles(ctx, files, opts, signals);
  } finally {
    signals.dispose();
  }
}

async function runFiles(
  ctx: CliContext,
  files: readonly string[],
  opts: RunFileOptions,
  signals: SignalWatch,
): Promise<RunFilesResult> {
  const host = new PluginHost();
  for (const p of ctx.plugins()) host.use(p);
  const loaded = host.names();
  const entries: RunEntry[] = [];
  const targets: { name: string; plugin: string }[] = [];
  const runs: string[] = [];
  // Lists the run and says whether this shard does it.
  const take = (name: string): boolean => {
    runs.push(name);
    return inShard(runs.length - 1, opts.shard ?? null);
  };
  const bar = new ProgressBar(ctx, opts.progress);
  const empty = {
    commands: 0,
    events: 0,
    translations: 0,
    iotlbHits: 0,
    iotlbLookups: 0,
    metrics: null,
    divergence: null,
    log: null,
    snapshots: [],
  } as const;
  for (const [fi, path] of files.entries()) {
    // After a signal, the runs left are not started.
    if (signals.received !== null) break;
    const shown = displayPath(path, ctx.cwd);
    let scenario: Scenario;
    try {
      scenario = loadScenarioFile(path, shown);
    } catch (e) {
      if (!take(`${shown}@-`)) continue;
      entries.push({
        file: shown,
        scenario: shown,
        target: '-',
        plugin: '-',
        status: 'invalid',
        failures: [errorMessage(e)],
        golden: 'not-checked',
        exit: exitCodeFor(e),
        ...empty,
      });
      continue;
    }
    for (const target of scenario.targets) {
      if (signals.received !== null) break;
      targets.push({ name: target.name, plugin: target.plugin });
      if (opts.target && target.name !== opts.target) continue;
      if (opts.only && target.plugin !== opts.only && target.name !== opts.only) continue;
      if (!take(`${shown}@${target.name}`)) continue;
      const base = { file: shown, scenario: scenario.id, target: target.name, plugin: target.plugin };
      if (!loaded.includes(target.plugin)) {
        entries.push({
          ...base,
          status: 'skipped',
          failures: [`plugin "${target.plugin}" is not loaded (${HOW_TO_LOAD})`],
          golden: 'not-checked',
          exit: EXIT.OK,
          ...empty,
        });
        continue;
      }
      bar.update(fi, files.length, runName(scenario, target));
      try {
        const start = performance.now();
        const entry = await runOne(ctx, host, path, scenario, target, opts, base, signals);
        entries.push({ ...entry, seconds: (performance.now() - start) / 1000 });
      } catch (e) {
        const failures = [errorMessage(e)];
        entries.push({
          ...base,
          status: 'error',
          failures,
          golden: 'not-checked',
          exit: exitCodeFor(e),
          ...empty,
        });
      }
    }
  }
  bar.done();
  return { entries, targets, runs };
}

/**
 * One run, streamed: its records go to the --out log, to the golden being written (--update, to
 * a temporary file renamed at the end) or to the golden check as they are made, and nothing
 * keeps them. Logs are flushed every 64 KiB and every FLUSH_MS. A signal stops the run between
 * two commands: the log gets a core.run.interrupted record and is closed, the golden is left
 * as it was.
 */
async function runOne(
  ctx: CliContext,
  host: PluginHost,
  path: string,
  scenario: Scenario,
  target: TargetSpec,
  opts: RunFileOptions,
  base: { file: string; scenario: string; target: string; plugin: string },
  signals: SignalWatch,
): Promise<RunEntry> {
  const saver =
    opts.snapshots === undefined
      ? undefined
      : snapshotSaver(host, opts.snapshots, `${scenario.id}.${target.name}`);
  const meter = new MetricsSink(host.get(target.plugin));
  const runner = new TargetRunner(host, scenario, target, {
    sinks: [meter],
    ...(opts.simulatorVersion ? { simulatorVersion: opts.simulatorVersion } : {}),
    ...(saver ? { onCheckpoint: saver.onCheckpoint } : {}),
  });
  const gpath = goldenPath(path, target.name);
  const shownGolden = displayPath(gpath, ctx.cwd);
  const tail = new RunTail();
  runner.addSink(tail);
  let outLog: FileLogWriter | null = null;
  let goldenOut: FileLogWriter | null = null;
  let goldenSource: ByteSource | null = null;
  let check: GoldenCheck | null = null;
  let flusher: NodeJS.Timeout | undefined;
  const goldenTmp = `${gpath}.update-${process.pid}.tmp`;
  let log: string | null = null;
  let interrupted: NodeJS.Signals | null = null;
  let cmp: ReturnType<GoldenCheck['finish']> | null = null;
  let finished: TargetRun | null = null;
  try {
    if (opts.out) {
      const file = join(opts.out, `${scenario.id}.${target.name}${LOG_EXTENSION[opts.format]}`);
      mkdirSync(dirname(file), { recursive: true });
      outLog = (opts.format === 'binary' ? openBinaryLogFile : openJsonlLogFile)(file, runner.header);
      runner.addSink(outLog);
      log = displayPath(file, ctx.cwd);
    }
    if (opts.update) {
      goldenOut = openJsonlLogFile(goldenTmp, stableHeader(runner.header), { label: shownGolden });
      runner.addSink(goldenOut);
    } else if (opts.golden && existsSync(gpath)) {
      goldenSource = fileSource(gpath);
      check = new GoldenCheck(runner.header, goldenSource, shownGolden);
      runner.addSink(check);
    }
    const writers = [outLog, goldenOut].filter((w) => w !== null);
    flusher = setInterval(() => {
      for (const w of writers) w.flush();
    }, FLUSH_MS);
    flusher.unref();
    await driveRunner(runner, signals);
    clearInterval(flusher);
    interrupted = runner.finished ? null : signals.received;
    finished = runner.finish();
    if (interrupted !== null && outLog !== null) {
      const record = tail.interrupted(interrupted, runner.done, runner.total);
      if (record !== null) outLog.append(record);
    }
    outLog?.close();
    if (goldenOut !== null) {
      goldenOut.close();
      // A run stopped by a signal or cut short by a plugin error is not written as a golden.
      if (interrupted === null && finished.error === null) renameSync(goldenTmp, gpath);
    }
    if (interrupted === null && finished.error === null) cmp = check?.finish() ?? null;
  } finally {
    clearInterval(flusher);
    // A run that threw leaves its log as a run cut short: the records up to the failure, no end.
    outLog?.abandon();
    goldenOut?.abandon();
    if (existsSync(goldenTmp)) rmSync(goldenTmp, { force: true });
    goldenSource?.close();
  }
  const run = finished!;
  const failures = run.failures.map((f) => `${f.origin}: ${f.message}`);
  let golden: RunEntry['golden'] = 'not-checked';
  let divergence: Divergence | null = null;
  const rerecord = () =>
    opts.updateCommand?.(path, target.name) ??
    `viommu run ${displayPath(path, ctx.cwd)} --target ${target.name} --update`;
  if (interrupted !== null) {
    failures.unshift(
      `interrupted by ${interrupted} after ${runner.done}${runner.total < 0 ? '' : ` of ${runner.total}`} commands` +
        (log ? `; ${log} holds the records up to there, ending in core.run.interrupted` : ''),
    );
  } else if (run.error !== null) {
    // A run cut short by a plugin error is neither compared with nor written as a golden.
  } else if (opts.update) golden = 'updated';
  else if (opts.golden) {
    if (cmp === null) {
      golden = 'missing';
      if (opts.requireGoldens)
        failures.push(`golden ${shownGolden}: missing, and CI is set; record it with: ${rerecord()}`);
    } else {
      golden = cmp.ok ? 'match' : 'mismatch';
      divergence = cmp.divergence;
      if (!cmp.ok)
        failures.push(
          `golden ${shownGolden}: ${cmp.headerProblem ?? `differs at seq ${cmp.divergence?.seq}`}; if the change is meant, re-record it with: ${rerecord()}`,
        );
    }
  }
  const failed = failures.length > 0;
  return {
    ...base,
    status: interrupted !== null || run.error !== null ? 'error' : failed ? 'failed' : 'passed',
    failures,
    ...(run.error !== null ? { pluginError: run.error } : {}),
    golden,
    divergence,
    log,
    snapshots: (saver?.written ?? []).map((f) => displayPath(f, ctx.cwd)),
    commands: run.commands,
    events: run.events,
    translations: run.stats.translations,
    iotlbHits: run.iotlb.hits,
    iotlbLookups: run.iotlb.lookups,
    metrics: meter.metrics(run.stats),
    exit:
      interrupted !== null
        ? signalExitCode(interrupted)
        : run.error !== null
          ? EXIT.PLUGIN
          : failed
            ? EXIT.MISMATCH
            : EXIT.OK,
  };
}
