/** `viommu run <scenario|dir>...`: run scenarios, check expectations and goldens, write logs, summarise. */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { describeDivergence } from '../../core/replay/describe.js';
import { displayPath, findScenarioFiles } from '../../core/scenario/load.js';
import { parseShard, type Shard } from '../../core/sweep/matrix.js';
import type { RunDefaults } from '../config/define-config.js';
import { configOption, pluginContext, pluginOption } from '../config/plugin-options.js';
import { packageVersion } from '../package-root.js';
import { usage } from '../usage.js';
import { type CliContext, EXIT } from './context.js';
import { reportFatal } from './errors.js';
import {
  chooseReporters,
  dotReport,
  junitReport,
  REPORTER_NAMES,
  type ReporterChoice,
  ReporterUsageError,
  RUN_MARK,
  runCounts,
} from './reporters.js';
import { encodeRunReport, runRecord, runsExitCode, summarise } from './run-report.js';
import { type RunEntry, type RunFilesResult, runScenarioFiles } from './run-scenarios.js';
import { buildRunShard, RUN_SHARD_FILE } from './run-shard.js';

interface RunFlags {
  out?: string;
  format: 'jsonl' | 'binary';
  update?: boolean;
  updateGoldens?: boolean;
  golden: boolean;
  target?: string;
  only?: string;
  plugin?: string[];
  config?: string;
  json?: boolean;
  junit?: string;
  reporter?: string[];
  outputFile?: string[];
  quiet?: boolean;
  snapshots?: string;
  shard?: string;
}

export function registerRun(program: Command, outer: CliContext): void {
  program
    .command('run')
    .description(
      'Run scenarios (files or directories) on every target, check expectations and golden logs, write logs',
    )
    .argument('<paths...>', 'scenario files (*.scenario.json) or directories searched recursively')
    .option('-o, --out <dir>', "write each run's event log under this directory", 'out')
    .addOption(
      new Option('-f, --format <format>', 'log format for --out')
        .choices(['jsonl', 'binary'])
        .default('jsonl'),
    )
    .option('-u, --update', 'rewrite the golden logs beside the scenarios instead of comparing')
    .option('--update-goldens', 'same as --update')
    .option('--no-golden', 'do not compare with golden logs')
    .option('-t, --target <name>', 'only this target of each scenario (matching none: exit 2)')
    .option('--only <name>', 'only targets of this plugin or with this name (matching none: exit 2)')
    .addOption(
      new Option(
        '--reporter <name>',
        'how to report: default (text and a table), json, junit (XML), dot (one character per run); repeatable',
      )
        .choices(REPORTER_NAMES)
        .argParser(collect),
    )
    .option(
      '--output-file <[name=]file>',
      'write a reporter to a file instead of stdout: json=out.json, junit=report.xml, or a path when one reporter is chosen; repeatable',
      collect,
    )
    .option('--json', 'machine-readable result on stdout (same as --reporter json)')
    .option(
      '--junit <file>',
      'also write a JUnit XML report (same as --reporter junit --output-file junit=FILE)',
    )
    .option('-q, --quiet', 'print only failures and the summary')
    .option(
      '--snapshots <dir>',
      'write a snapshot at each checkpoint (core.state.digest), for `viommu replay --from`',
    )
    .option(
      '-s, --shard <i/n>',
      'run only shard i of n (every n-th run from the i-th) and write DIR/run-shard.json for `viommu merge`',
    )
    .addOption(pluginOption())
    .addOption(configOption())
    .addHelpText('after', RUN_HELP)
    .action(async (paths: string[], flags: RunFlags, cmd: Command) => {
      let reporters: ReporterChoice[];
      let shard: Shard | null = null;
      try {
        reporters = chooseReporters(flags);
        if (flags.shard !== undefined) shard = parseShard(flags.shard);
      } catch (e) {
        if (!(e instanceof ReporterUsageError) && !(e instanceof RangeError)) throw e;
        usage(cmd, e.message);
      }
      // JSON on stdout: errors that end the command are JSON too, and no progress bar.
      let jsonOut = reporters.some((r) => r.name === 'json' && r.file === null);
      const loaded = await pluginContext(outer, { ...flags, json: jsonOut });
      if (loaded === null) return;
      const { ctx } = loaded;
      // The config's defaults apply where the command line left commander's default.
      const defaults = loaded.config?.config.run ?? {};
      if (defaults.reporters !== undefined || defaults.outputFile !== undefined) {
        try {
          reporters = configReporters(flags, defaults, dirname(loaded.config!.file));
        } catch (e) {
          if (!(e instanceof ReporterUsageError)) throw e;
          ctx.err(`viommu: ${displayPath(loaded.config!.file, ctx.cwd)}: run: ${e.message}\n`);
          ctx.exit(EXIT.INPUT);
          return;
        }
        jsonOut = reporters.some((r) => r.name === 'json' && r.file === null);
      }
      if (cmd.getOptionValueSource('out') === 'default' && defaults.out !== undefined)
        flags.out = resolve(dirname(loaded.config!.file), defaults.out);
      if (cmd.getOptionValueSource('format') === 'default' && defaults.format !== undefined)
        flags.format = defaults.format;
      try {
        const files: string[] = [];
        for (const p of paths) {
          if (!existsSync(resolve(ctx.cwd, p)))
            throw Object.assign(new Error(`${p}: no such file or directory`), { code: 'ENOENT' });
          files.push(...findScenarioFiles(resolve(ctx.cwd, p)));
        }
        const { entries, targets, runs } = await runScenarioFiles(ctx, files, {
          ...(flags.out ? { out: flags.out } : {}),
          format: flags.format,
          update: Boolean(flags.update || flags.updateGoldens),
          golden: flags.golden,
          ...(flags.target ? { target: flags.target } : {}),
          ...(flags.only ? { only: flags.only } : {}),
          progress: !jsonOut,
          ...(flags.snapshots ? { snapshots: flags.snapshots } : {}),
          requireGoldens: ctx.ci === true,
          shard,
          updateCommand: (file, target) => updateCommand(ctx.cwd, file, target, flags),
        });
        const unmatched = unmatchedFilter(flags, targets);
        const floor = Math.max(
          files.length === 0 ? EXIT.INPUT : EXIT.OK,
          unmatched === null ? EXIT.OK : EXIT.USAGE,
        );
        // A shard's exit follows its own runs.
        const code = runsExitCode(entries, floor);
        if (shard !== null) {
          const out = flags.out ?? 'out';
          const records = entries.map((e) => ({ exit: e.exit, run: runRecord(e) }));
          const file = buildRunShard(packageVersion(), shard, runs, floor, records, out, ctx.cwd);
          mkdirSync(out, { recursive: true });
          writeFileSync(join(out, RUN_SHARD_FILE), `${JSON.stringify(file, null, 2)}\n`);
        }
        for (const r of reporters) {
          const text =
            r.name === 'json'
              ? encodeRunReport(entries.map(runRecord), flags.out ?? null, code)
              : r.name === 'junit'
                ? junitReport(entries)
                : r.name === 'dot'
                  ? dotReport(entries)
                  : defaultReport(entries, flags);
          if (r.file === null) ctx.out(text);
          else {
            mkdirSync(dirname(resolve(ctx.cwd, r.file)), { recursive: true });
            writeFileSync(resolve(ctx.cwd, r.file), text);
          }
        }
        if (files.length === 0) ctx.err('viommu: no *.scenario.json files found\n');
        if (unmatched !== null) ctx.err(`viommu: ${unmatched}\n`);
        ctx.exit(code);
      } catch (e) {
        reportFatal(ctx, e, jsonOut);
      }
    });
}

/** The reporters with the config's defaults: its reporters unless the command line names some, its files for those chosen. */
function configReporters(flags: RunFlags, defaults: RunDefaults, base: string): ReporterChoice[] {
  const fromFlags = Boolean(flags.reporter?.length || flags.json);
  const names = fromFlags ? chooseReporters(flags).map((r) => r.name) : [...(defaults.reporters ?? [])];
  const of = defaults.outputFile;
  let outputFile = flags.outputFile ?? [];
  if (outputFile.length === 0 && of !== undefined) {
    outputFile =
      typeof of === 'string'
        ? [resolve(base, of)]
        : Object.entries(of)
            .filter(([name]) => names.includes(name as ReporterChoice['name']))
            .map(([name, file]) => `${name}=${resolve(base, file!)}`);
  }
  return chooseReporters({ ...flags, outputFile }, fromFlags ? [] : names);
}

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

const RUN_HELP = `
Reporters (vitest's spelling): the human summary on the terminal and a machine file for CI in one run:
  viommu run scenarios --reporter default --reporter junit --output-file junit=reports/viommu.xml
  viommu run scenarios --reporter json --output-file out.json

Golden logs: each target's log is compared with <scenario>.<target>.events.jsonl beside the scenario.
With the CI environment variable set, a missing golden fails (as vitest treats a missing snapshot);
record it with --update. A mismatch ends with the command that re-records it.`;

/** The shell words of `viommu run` that re-record one target's golden, with the plugins of this run. */
function updateCommand(cwd: string, file: string, target: string, flags: RunFlags): string {
  const words = ['viommu', 'run', displayPath(file, cwd), '--target', target, '--update'];
  if (flags.config) words.push('--config', flags.config);
  for (const p of flags.plugin ?? []) words.push('--plugin', p);
  return words.map((w) => (/^[\w./@=:+-]+$/.test(w) ? w : `'${w.replaceAll("'", "'\\''")}'`)).join(' ');
}

/**
 * An --only or --target that chooses none of the targets there are is a typo (usage, exit 2), not
 * a green run of nothing: the message names the filter and what the scenarios have. When no
 * scenario loaded there is nothing to name, and the files are reported as invalid (exit 4).
 */
function unmatchedFilter(flags: RunFlags, targets: RunFilesResult['targets']): string | null {
  const { only, target } = flags;
  if ((!only && !target) || targets.length === 0) return null;
  if (targets.some((t) => (!only || t.plugin === only || t.name === only) && (!target || t.name === target)))
    return null;
  const distinct = (names: string[]) => [...new Set(names)].sort().join(', ');
  const given: string[] = [];
  if (only) given.push(`--only ${only}`);
  if (target) given.push(`--target ${target}`);
  const have = [`targets: ${distinct(targets.map((t) => t.name))}`];
  if (only) have.unshift(`plugins: ${distinct(targets.map((t) => t.plugin))}`);
  return `no target matches ${given.join(' and ')}; the scenarios have ${have.join('; ')}`;
}

/** The default reporter: a line per run (failures and divergence under it), a table per plugin, the counts. */
function defaultReport(entries: readonly RunEntry[], flags: RunFlags): string {
  let text = '';
  const ctx = {
    out: (t: string) => {
      text += t;
    },
  };
  for (const e of entries) {
    const mark = RUN_MARK[e.status];
    if (!flags.quiet || (e.status !== 'passed' && e.status !== 'skipped')) {
      const golden = e.golden === 'not-checked' ? '' : ` golden:${e.golden}`;
      // A plugin error is not a failed expectation: the run stopped there, and the plugin is named.
      const stopped = e.pluginError
        ? `; plugin "${e.pluginError.plugin}" threw at seq ${e.pluginError.seq}`
        : '';
      ctx.out(
        `${mark} ${e.scenario}@${e.target} (${e.commands} commands, ${e.events} events${golden}${stopped})\n`,
      );
    }
    if (e.status === 'passed') continue;
    if (e.divergence)
      ctx.out(`     ${describeDivergence(e.divergence, 'golden', 'run').split('\n').join('\n     ')}\n`);
    // The first nine and the last (a golden's, if any: it ends with the command that re-records it).
    const shown = e.failures.length > 10 ? [...e.failures.slice(0, 9), e.failures.at(-1)!] : e.failures;
    shown.forEach((f, i) => {
      if (i === 9 && e.failures.length > 10) ctx.out(`     ... ${e.failures.length - 10} more\n`);
      ctx.out(`     ${f.split('\n').join('\n     ')}\n`);
    });
  }
  const rows = summarise(entries).map((s) => [
    s.plugin,
    String(s.scenarios),
    String(s.passed),
    String(s.failed),
    String(s.skipped),
    String(s.events),
    String(s.translations),
    s.iotlbHitRate === null ? '-' : `${(s.iotlbHitRate * 100).toFixed(1)}%`,
  ]);
  const head = [
    'plugin',
    'scenarios',
    'passed',
    'failed',
    'skipped',
    'events',
    'translations',
    'IOTLB hit rate',
  ];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) =>
    `${r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ')}\n`;
  ctx.out(`\n${line(head)}`);
  for (const r of rows) ctx.out(line(r));
  ctx.out(`\n${runCounts(entries)}\n`);
  ctx.out(flags.out ? `logs: ${flags.out}\n` : 'logs: not written (use --out DIR)\n');
  if (flags.snapshots) {
    const n = entries.reduce((sum, e) => sum + e.snapshots.length, 0);
    ctx.out(`snapshots: ${n} written under ${flags.snapshots}\n`);
  }
  return text;
}
