/** `viommu report DIR [--html FILE] [--md FILE] [--csv FILE] [--baseline CELL]`: tables and charts of a sweep's results. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { displayPath } from '../../core/scenario/load.js';
import { type CliContext, EXIT } from '../scenario/context.js';
import { reportFatal } from '../scenario/errors.js';
import { renderHtml } from './html.js';
import { buildModel, readResults } from './report-model.js';
import { renderCsv, renderMarkdown } from './text-formats.js';

interface ReportFlags {
  html?: string;
  md?: string;
  csv?: string;
  baseline?: string;
}

export function registerReport(program: Command, ctx: CliContext): void {
  program
    .command('report')
    .description(
      'Tables of every metric per cell with deltas to a baseline, and charts, from a sweep output folder',
    )
    .argument('<dir>', 'a `viommu sweep` (or `viommu merge`) output folder with results.json')
    .option(
      '--html <file>',
      'self-contained HTML page with charts (default: DIR/report.html when no format is given)',
    )
    .option('--md <file>', 'Markdown tables (- for stdout)')
    .option('--csv <file>', 'CSV, one row per cell (- for stdout)')
    .option(
      '-b, --baseline <cell>',
      'the cell deltas are measured from: its number or its id (default: cell 0)',
    )
    .addHelpText(
      'after',
      '\nExit codes: 0 written, 2 usage error (unknown baseline), 4 unreadable results or a shard not merged.',
    )
    .action((dir: string, flags: ReportFlags) => {
      try {
        let model: ReturnType<typeof buildModel>;
        try {
          model = buildModel(readResults(dir), flags.baseline);
        } catch (e) {
          if ((e as { code?: string }).code === 'VIOMMU_USAGE') {
            ctx.err(`viommu report: ${(e as Error).message}\n`);
            ctx.exit(EXIT.USAGE);
            return;
          }
          throw e;
        }
        const html =
          flags.html ??
          (flags.md === undefined && flags.csv === undefined ? join(dir, 'report.html') : undefined);
        const write = (file: string, text: string): void => {
          if (file === '-') ctx.out(text);
          else {
            writeFileSync(file, text);
            ctx.err(`wrote ${displayPath(file, ctx.cwd)}\n`);
          }
        };
        if (html !== undefined) write(html, renderHtml(model));
        if (flags.md !== undefined) write(flags.md, renderMarkdown(model));
        if (flags.csv !== undefined) write(flags.csv, renderCsv(model));
        ctx.exit(EXIT.OK);
      } catch (e) {
        reportFatal(ctx, e, false);
      }
    });
}
