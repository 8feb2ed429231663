/**
 * `viommu merge DIR... --out DIR`: joins the outputs of `viommu sweep --shard i/n` into the
 * output an unsharded run writes (results.json byte for byte, and every cell's folder). Refuses
 * shards of different sweeps or simulator versions, and missing or repeated shards, naming them.
 */
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { displayPath } from '../../core/scenario/load.js';
import { checkResults, encodeResults, MergeError, mergeResults } from '../../core/sweep/results.js';
import { type CliContext, EXIT } from '../scenario/context.js';
import { reportFatal } from '../scenario/errors.js';
import { cellDir } from './sweep-command.js';

export function registerMerge(program: Command, ctx: CliContext): void {
  program
    .command('merge')
    .description('Merge the outputs of sharded `viommu sweep --shard i/n` runs into one')
    .argument('<dirs...>', 'the shard output folders')
    .requiredOption('-o, --out <dir>', 'output folder')
    .option('--json', 'machine-readable summary on stdout')
    .addHelpText(
      'after',
      '\nExit codes: 0 merged, 2 usage error, 4 a shard is unreadable, of another sweep or version, missing or repeated.',
    )
    .action((dirs: string[], flags: { out: string; json?: boolean }) => {
      try {
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
