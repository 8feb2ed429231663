/**
 * `viommu log ...`: tools for log files themselves. `log reseal FILE` re-seals
 * a JSON Lines log edited on purpose (replay, inspect and diff refuse a line
 * whose seal does not match, exit 4).
 */
import type { Command } from 'commander';
import { resealLogFile } from '../../core/events/log/reseal.js';
import { type CliContext, EXIT, processContext } from '../scenario/context.js';
import { reportFatal } from '../scenario/errors.js';

export function registerLogCommands(program: Command, ctx: CliContext = processContext()): void {
  const log = program.command('log').description('Tools for event log files');
  log
    .command('reseal')
    .description(
      'Check every record of a hand-edited JSON Lines log and seal it again (new "sum" fields and end line)',
    )
    .argument('<file>', 'JSON Lines event log (.events.jsonl)')
    .option('-o, --out <file>', 'write the sealed log here instead of replacing <file>')
    .option('--json', 'machine-readable result on stdout')
    .action((file: string, flags: { out?: string; json?: boolean }) => {
      try {
        const r = resealLogFile(file, flags.out ?? file);
        const out = flags.out ?? file;
        if (flags.json) ctx.out(`${JSON.stringify({ ok: true, file, out, ...r })}\n`);
        else
          ctx.out(`sealed ${out}: ${r.records} records${r.wasSealed ? '' : ' (the input had no seals)'}\n`);
        ctx.exit(EXIT.OK);
      } catch (e) {
        reportFatal(ctx, e, Boolean(flags.json));
      }
    });
}
