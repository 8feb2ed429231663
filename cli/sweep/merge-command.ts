/**
 * `viommu merge DIR... --out DIR`: joins the outputs of `viommu sweep --shard i/n` into the
 * output an unsharded run writes (results.json byte for byte, and every cell's folder). Refuses
 * shards of different sweeps or simulator versions, and missing or repeated shards, naming them.
 */
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { displayPath } from '../../core/scenario/load.js';
import { checkResults, encodeResults, MergeError, mergeResults } from '../../core/sweep/results.js';
import { type CliContext, EXIT } from '../scenario/context.js';
import { reportFatal } from '../scenario/errors.js';
import { encodeRunReport, runsExitCode } from '../scenario/run-report.js';
import { checkRunShard, mergeRunShards, RUN_SHARD_FILE } from '../scenario/run-shard.js';
import { cellDir } from './sweep-command.js';

export function registerMerge(program: Command, ctx: CliContext): void {
  program
    .command('merge')
    .description('Merge the outputs of sharded `viommu sweep` or `viommu run` (--shard i/n) into one')
    .argument('<dirs...>', 'the shard output folders')
    .requiredOption('-o, --out <dir>', 'output folder')
    .option('--json', 'machine-readable summary on stdout')
    .addHelpText(
      'after',
      "\nShards of `viommu run --shard i/n --out DIR` merge the same way: DIR/run-shard.json of each gives OUT/report.json,\nthe --reporter json report of the unsharded run with --out OUT, and the logs are copied into OUT; the exit code is that run's.\nExit codes: 0 merged, 2 usage error, 4 a shard is unreadable, of another sweep, run set or version, missing or repeated.",
    )
    .action((dirs: string[], flags: { out: string; json?: boolean }) => {
      try {
        if (dirs.some((d) => existsSync(join(d, RUN_SHARD_FILE)))) {
          mergeRuns(ctx, dirs, flags);
          return;
        }
        const parts = dirs.map((d) => {
          const where = displayPath(d, ctx.cwd);
          const file = join(d, 'results.json');
          if (!existsSync(file)) throw new MergeError(`${where}: no results.json`);
          let raw: unknown;
          try {
            raw = JSON.parse(readFileSync(file, 'utf8'));
          } catch (e) {
            throw new MergeError(`${where}/results.json: not valid JSON: ${(e as Error).message}`);
          }
          return { where, dir: d, results: checkResults(raw, `${where}/results.json`) };
        });
        const merged = mergeResults(parts);
        mkdirSync(flags.out, { recursive: true });
        for (const p of parts)
          for (const r of p.results.records)
            cpSync(cellDir(p.dir, r.cell), cellDir(flags.out, r.cell), { recursive: true });
        // Imported trace workloads: every shard imported the same ones.
        if (existsSync(join(parts[0]!.dir, 'workloads')))
          cpSync(join(parts[0]!.dir, 'workloads'), join(flags.out, 'workloads'), { recursive: true });
        writeFileSync(join(flags.out, 'results.json'), encodeResults(merged));
        const summary = {
          ok: true,
          sweep: merged.sweep.id,
          cells: merged.cells,
          shards: parts.length,
          out: displayPath(flags.out, ctx.cwd),
        };
        if (flags.json) ctx.out(`${JSON.stringify(summary, null, 2)}\n`);
        else
          ctx.out(
            `${merged.sweep.id}: ${parts.length} shards, ${merged.cells} cells -> ${summary.out}/results.json\n`,
          );
        ctx.exit(EXIT.OK);
      } catch (e) {
        reportFatal(ctx, e, Boolean(flags.json));
      }
    });
}

/** Run shards: OUT/report.json as the unsharded `viommu run --out OUT --reporter json` reports, and every log. */
function mergeRuns(ctx: CliContext, dirs: readonly string[], flags: { out: string; json?: boolean }): void {
  const parts = dirs.map((d) => {
    const where = displayPath(d, ctx.cwd);
    const file = join(d, RUN_SHARD_FILE);
    if (!existsSync(file)) throw new MergeError(`${where}: no ${RUN_SHARD_FILE} (not a shard of viommu run)`);
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      throw new MergeError(`${where}/${RUN_SHARD_FILE}: not valid JSON: ${(e as Error).message}`);
    }
    return { where, dir: d, shard: checkRunShard(raw, `${where}/${RUN_SHARD_FILE}`) };
  });
  const { floor, records } = mergeRunShards(parts);
  mkdirSync(flags.out, { recursive: true });
  const from = new Map(parts.flatMap((p) => p.shard.records.map((r) => [r.index, p.dir] as const)));
  const runs = records.map((r) => {
    if (r.log === null) return r.run;
    mkdirSync(dirname(join(flags.out, r.log)), { recursive: true });
    cpSync(join(from.get(r.index)!, r.log), join(flags.out, r.log));
    return { ...r.run, log: displayPath(join(flags.out, r.log), ctx.cwd) };
  });
  const code = runsExitCode(
    records.map((r) => ({ exit: r.exit, status: r.run.status })),
    floor,
  );
  const report = join(flags.out, 'report.json');
  writeFileSync(report, encodeRunReport(runs, flags.out, code));
  const summary = {
    ok: code === EXIT.OK,
    runs: runs.length,
    shards: parts.length,
    report: displayPath(report, ctx.cwd),
  };
  if (flags.json) ctx.out(`${JSON.stringify(summary, null, 2)}\n`);
  else ctx.out(`${parts.length} run shards, ${runs.length} runs -> ${summary.report}\n`);
  ctx.exit(code);
}
