/** `viommu diff <a> <b>`: the first record where two logs part (either format, headers' volatile fields ignored). */
import type { Command } from 'commander';
import { firstDivergence } from '../../core/events/log/divergence.js';
import type { LogRecord } from '../../core/events/log/records.js';
import { describeDivergence, divergenceJson } from '../../core/replay/describe.js';
import { stableHeader } from '../../core/replay/log-io.js';
import { configOption, pluginContext, pluginOption } from '../config/plugin-options.js';
import { type CliContext, EXIT } from './context.js';
import { reportFatal } from './errors.js';
import { type LogFile, openLogFile, unsealedNotice } from './read-log.js';

export function registerDiff(program: Command, ctx: CliContext): void {
  program
    .command('diff')
    .description('Report the first divergence between two event logs')
    .argument('<a>', 'first (expected) log')
    .argument('<b>', 'second (actual) log')
    .option('--json', 'machine-readable result on stdout')
    // Accepted so one command line serves run, replay, inspect and diff; a diff runs no plugin.
    .addOption(pluginOption())
    .addOption(configOption())
    .action(async (a: string, b: string, flags: { json?: boolean; plugin?: string[]; config?: string }) => {
      if ((await pluginContext(ctx, flags)) === null) return;
      const open: LogFile[] = [];
      try {
        // Both logs are streamed, record by record: memory does not grow with their length.
        const la = openLogFile(a);
        open.push(la);
        const lb = openLogFile(b);
        open.push(lb);
        if (!la.sealed) ctx.err(unsealedNotice(a));
        if (!lb.sealed) ctx.err(unsealedNotice(b));
        const ha = JSON.stringify(stableHeader(la.reader.header));
        const hb = JSON.stringify(stableHeader(lb.reader.header));
        let count = 0;
        const expected: Iterable<LogRecord> = {
          *[Symbol.iterator]() {
            for (let r = la.reader.next(); r !== null; r = la.reader.next()) {
              count++;
              yield r;
            }
          },
        };
        // A binary second log is compared without decoding its equal records.
        const d = firstDivergence(expected, lb.reader);
        // Read the rest too, so a damaged or cut log is reported (exit 4) wherever it is damaged.
        for (const l of [la, lb])
          if (d !== null) for (let r = l.reader.next(); r !== null; r = l.reader.next());
        const same = d === null && ha === hb;
        if (flags.json) {
          ctx.out(
            `${JSON.stringify({ ok: same, headersEqual: ha === hb, divergence: d ? divergenceJson(d) : null }, null, 2)}\n`,
          );
        } else if (same) {
          ctx.out(`identical: ${count} records\n`);
        } else {
          if (ha !== hb) ctx.out(`headers differ:\n  ${a}: ${ha}\n  ${b}: ${hb}\n`);
          if (d) ctx.out(`${describeDivergence(d, a, b)}\n`);
        }
        ctx.exit(same ? EXIT.OK : EXIT.MISMATCH);
      } catch (e) {
        reportFatal(ctx, e, Boolean(flags.json));
      } finally {
        for (const l of open) l.close();
      }
    });
}
