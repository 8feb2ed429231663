/**
 * `viommu sweep FILE [--workers N] [--shard I/N] [--out DIR]`: runs every cell of a sweep (or of
 * one shard) and writes DIR/results.json plus DIR/cells/NNNN/{config,stats}.json. The output is
 * the same bytes whatever --workers; merged shards equal the unsharded run.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { displayPath } from '../../core/scenario/load.js';
import { type CellJob, cellJob } from '../../core/sweep/cell-job.js';
import type { CellOutcome } from '../../core/sweep/cell-run.js';
import { expandCells, parseShard, type Shard, shardCells } from '../../core/sweep/matrix.js';
import { buildResults, encodeResults } from '../../core/sweep/results.js';
import { loadSweepFile, type Sweep, type SweepWorkload } from '../../core/sweep/sweep-file.js';
import { importTrace } from '../../plugins/vtd/trace/import-trace.js';
import { configOption, pluginContext, pluginOption } from '../config/plugin-options.js';
import { packageVersion } from '../package-root.js';
import { type CliContext, EXIT } from '../scenario/context.js';
import { reportFatal } from '../scenario/errors.js';
import { runJobs, workerFile } from './cell-pool.js';
import { SweepProgress } from './progress.js';

interface SweepFlags {
  plugin?: string[];
  config?: string;
  workers?: string;
  shard?: string;
  out: string;
  json?: boolean;
  quiet?: boolean;
}

/** cells/0007: the folder of a cell's config.json and stats.json. */
export function cellDir(out: string, index: number): string {
  return join(out, 'cells', String(index).padStart(4, '0'));
}

export function registerSweep(program: Command, ctx: CliContext): void {
  program
    .command('sweep')
    .description(
      'Run every cell of a design sweep (*.sweep.json) and write results.json and per-cell config/stats',
    )
    .argument('<file>', 'the sweep file')
    .option('-w, --workers <n>', 'worker threads (default: the number of cores; 1 runs in this thread)')
    .option(
      '-s, --shard <i/n>',
      'run only shard i of n (every n-th cell from the i-th); merge with `viommu merge`',
    )
    .option('-o, --out <dir>', 'output folder', 'sweep-out')
    .option('--json', 'machine-readable summary on stdout')
    .option('-q, --quiet', 'no progress output')
    .addOption(pluginOption())
    .addOption(configOption())
    .addHelpText(
      'after',
      '\nExit codes: 0 every cell ran, 2 usage error, 3 a cell failed (its record has "error"), 4 invalid sweep file.\nFormat: docs/compare.md and sweeps/sweep.schema.json.',
    )
    .action(async (file: string, flags: SweepFlags) => {
      const loaded = await pluginContext(ctx, flags);
      if (loaded === null) return;
      const pluginFlags = {
        ...(flags.config ? { config: flags.config } : {}),
        ...(flags.plugin ? { plugin: flags.plugin } : {}),
      };
      let shard: Shard | null = null;
      let workers = availableParallelism();
      try {
        if (flags.shard !== undefined) shard = parseShard(flags.shard);
        if (flags.workers !== undefined) {
          if (!/^[1-9]\d*$/.test(flags.workers))
            throw new RangeError(`--workers: expected a count, got ${flags.workers}`);
          workers = Number(flags.workers);
          if (workers > 1 && workerFile() === null)
            throw new RangeError(
              '--workers above 1 needs the built CLI (npm run build): dist/sweep-worker.js is missing',
            );
        }
      } catch (e) {
        ctx.err(`viommu sweep: ${(e as Error).message}\n`);
        ctx.exit(EXIT.USAGE);
        return;
      }
      try {
        const sweep = await importTraces(loadSweepFile(file, displayPath(file, ctx.cwd)), flags.out);
        const all = expandCells(sweep);
        const jobs: CellJob[] = shardCells(all, shard).map((c) => cellJob(sweep, c));
        const progress = new SweepProgress(ctx, jobs.length, Boolean(flags.quiet || flags.json));
        const outcomes: CellOutcome[] = await runJobs(
          jobs,
          sweep.metrics,
          workers,
          loaded.ctx.plugins(),
          { cwd: ctx.cwd, flags: pluginFlags },
          (o) => progress.cell(o.record.id, o.record.error),
        );
        mkdirSync(flags.out, { recursive: true });
        for (const o of outcomes) {
          const dir = cellDir(flags.out, o.record.cell);
          mkdirSync(dir, { recursive: true });
          writeFileSync(join(dir, 'config.json'), `${JSON.stringify(o.record.config, null, 2)}\n`);
          writeFileSync(join(dir, 'stats.json'), `${JSON.stringify(o.stats, null, 2)}\n`);
        }
        const results = buildResults(
          sweep,
          packageVersion(),
          all.length,
          shard,
          outcomes.map((o) => o.record),
        );
        const out = join(flags.out, 'results.json');
        writeFileSync(out, encodeResults(results));
        const failed = results.records.filter((r) => r.error !== null);
        const summary = {
          ok: failed.length === 0,
          sweep: sweep.id,
          cells: all.length,
          ran: jobs.length,
          shard,
          failed: failed.map((r) => ({ cell: r.cell, id: r.id, error: r.error })),
          results: displayPath(out, ctx.cwd),
        };
        if (flags.json) ctx.out(`${JSON.stringify(summary, null, 2)}\n`);
        else {
          const where = shard ? ` (shard ${shard.index}/${shard.count})` : '';
          ctx.out(
            `${sweep.id}: ${jobs.length} of ${all.length} cells${where} in ${progress.seconds().toFixed(1)} s -> ${summary.results}\n`,
          );
          for (const f of failed) ctx.out(`FAILED cell ${f.cell} (${f.id}): ${f.error}\n`);
        }
        ctx.exit(failed.length === 0 ? EXIT.OK : EXIT.PLUGIN);
      } catch (e) {
        reportFatal(ctx, e, Boolean(flags.json));
      }
    });
}

/** Imports each trace workload into OUT/workloads/NAME.scenario.json (+ NAME.steps.jsonl), as `viommu trace import` does. */
async function importTraces(sweep: Sweep, out: string): Promise<Sweep> {
  const workloads: { [name: string]: SweepWorkload } = {};
  for (const [name, w] of Object.entries(sweep.workloads)) {
    if (!('trace' in w)) {
      workloads[name] = w;
      continue;
    }
    const dir = resolve(out, 'workloads');
    mkdirSync(dir, { recursive: true });
    const r = await importTrace(resolve(sweep.dir, w.trace), join(dir, `${name}.scenario.json`));
    workloads[name] = { ...w, imported: r.scenario };
  }
  return { ...sweep, workloads };
}
