/**
 * Runs scenario files for `viommu run`: every target of every scenario on a
 * host with the built-in plugins, checks expectations and goldens, writes the
 * logs, and returns one entry per (scenario, target) for the reporters.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Divergence } from '../../core/events/log/divergence.js';
import { PluginHost } from '../../core/plugin/host.js';
import { compareWithGolden, goldenBytes } from '../../core/replay/golden.js';
import { encodeLog, LOG_EXTENSION, type LogFormat } from '../../core/replay/log-io.js';
import { displayPath, loadScenarioFile, SCENARIO_SUFFIX } from '../../core/scenario/load.js';
import { runName, runTarget } from '../../core/scenario/runner.js';
import type { Scenario, TargetSpec } from '../../core/scenario/types.js';
import { HOW_TO_LOAD } from '../config/log-plugins.js';
import type { CliContext } from './context.js';
import { EXIT } from './context.js';
import { errorMessage, exitCodeFor } from './errors.js';
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
  /** Exit code this entry asks for. */
  readonly exit: number;
  /** Wall-clock seconds the run took (JUnit's time; not in --json, which stays byte-identical). */
  readonly seconds?: number;
}

/** What runScenarioFiles did: one entry per run, and every target there was to choose from. */
export interface RunFilesResult {
  readonly entries: RunEntry[];
  /** Each target of each scenario that loaded, whether --target and --only chose it or not. */
  readonly targets: readonly { readonly name: string; readonly plugin: string }[];
}

/** `<scenario dir>/<base>.<target>.events.jsonl`. */
export function goldenPath(scenarioFile: string, target: string): string {
  return join(
    dirname(scenarioFile),
    `${basename(scenarioFile, SCENARIO_SUFFIX)}.${target}${LOG_EXTENSION.jsonl}`,
  );
}

export function runScenarioFiles(
  ctx: CliContext,
  files: readonly string[],
  opts: RunFileOptions,
): RunFilesResult {
  const host = new PluginHost();
  for (const p of ctx.plugins()) host.use(p);
  const loaded = host.names();
  const entries: RunEntry[] = [];
  const targets: { name: string; plugin: string }[] = [];
  const bar = new ProgressBar(ctx, opts.progress);
  const empty = {
    commands: 0,
    events: 0,
    translations: 0,
    iotlbHits: 0,
    iotlbLookups: 0,
    divergence: null,
    log: null,
    snapshots: [],
  } as const;
  files.forEach((path, fi) => {
    const shown = displayPath(path, ctx.cwd);
    let scenario: Scenario;
    try {
      scenario = loadScenarioFile(path, shown);
    } catch (e) {
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
      return;
    }
    for (const target of scenario.targets) {
      targets.push({ name: target.name, plugin: target.plugin });
      if (opts.target && target.name !== opts.target) continue;
      if (opts.only && target.plugin !== opts.only && target.name !== opts.only) continue;
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
        const entry = runOne(ctx, host, path, scenario, target, opts, base);
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
  });
  bar.done();
  return { entries, targets };
}

function runOne(
  ctx: CliContext,
  host: PluginHost,
  path: string,
  scenario: Scenario,
  target: TargetSpec,
  opts: RunFileOptions,
  base: { file: string; scenario: string; target: string; plugin: string },
): RunEntry {
  const saver =
    opts.snapshots === undefined
      ? undefined
      : snapshotSaver(host, opts.snapshots, `${scenario.id}.${target.name}`);
  const run = runTarget(host, scenario, target, {
    ...(opts.simulatorVersion ? { simulatorVersion: opts.simulatorVersion } : {}),
    ...(saver ? { onCheckpoint: saver.onCheckpoint } : {}),
  });
  const failures = run.failures.map((f) => `${f.origin}: ${f.message}`);
  let golden: RunEntry['golden'] = 'not-checked';
  let divergence: Divergence | null = null;
  const gpath = goldenPath(path, target.name);
  if (run.error !== null) {
    // A run cut short by a plugin error is neither compared with nor written as a golden.
  } else if (opts.update) {
    writeFileSync(gpath, goldenBytes(run.header, run.records));
    golden = 'updated';
  } else if (opts.golden) {
    const rerecord = () =>
      opts.updateCommand?.(path, target.name) ??
      `viommu run ${displayPath(path, ctx.cwd)} --target ${target.name} --update`;
    if (!existsSync(gpath)) {
      golden = 'missing';
      if (opts.requireGoldens)
        failures.push(
          `golden ${displayPath(gpath, ctx.cwd)}: missing, and CI is set; record it with: ${rerecord()}`,
        );
    } else {
      const cmp = compareWithGolden(
        run.header,
        run.records,
        readFileSync(gpath),
        displayPath(gpath, ctx.cwd),
      );
      golden = cmp.ok ? 'match' : 'mismatch';
      divergence = cmp.divergence;
      if (!cmp.ok)
        failures.push(
          `golden ${displayPath(gpath, ctx.cwd)}: ${cmp.headerProblem ?? `differs at seq ${cmp.divergence?.seq}`}; if the change is meant, re-record it with: ${rerecord()}`,
        );
    }
  }
  let log: string | null = null;
  if (opts.out) {
    log = join(opts.out, `${scenario.id}.${target.name}${LOG_EXTENSION[opts.format]}`);
    mkdirSync(dirname(log), { recursive: true });
    writeFileSync(log, encodeLog(run.header, run.records, opts.format));
    log = displayPath(log, ctx.cwd);
  }
  const failed = failures.length > 0;
  return {
    ...base,
    status: run.error !== null ? 'error' : failed ? 'failed' : 'passed',
    failures,
    golden,
    divergence,
    log,
    snapshots: (saver?.written ?? []).map((f) => displayPath(f, ctx.cwd)),
    commands: run.commands,
    events: run.events,
    translations: run.stats.translations,
    iotlbHits: run.iotlb.hits,
    iotlbLookups: run.iotlb.lookups,
    exit: run.error !== null ? EXIT.PLUGIN : failed ? EXIT.MISMATCH : EXIT.OK,
  };
}
