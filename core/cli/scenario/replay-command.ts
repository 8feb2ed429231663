/** `viommu replay <log>...`: re-execute each log's commands and check that every record reproduces. */
import type { Command } from 'commander';
import { PluginHost } from '../../plugin/host.js';
import { describeDivergence, divergenceJson } from '../../replay/describe.js';
import { replayLog } from '../../replay/replay.js';
import { type CliContext, EXIT } from './context.js';
import { errorCode, errorMessage, exitCodeFor } from './errors.js';
import { ProgressBar } from './progress.js';
import { readLogFile } from './read-log.js';

export function registerReplay(program: Command, ctx: CliContext): void {
  program
    .command('replay')
    .description('Replay logs on a fresh simulator and report the first record that does not reproduce')
    .argument('<logs...>', 'event logs (.events.jsonl or .events.bin)')
    .option('--json', 'machine-readable result on stdout')
    .action((logs: string[], flags: { json?: boolean }) => {
      const host = new PluginHost();
      const results: object[] = [];
      let code: number = EXIT.OK;
      for (const file of logs) {
        try {
          if (host.names().length === 0) for (const p of ctx.plugins()) host.use(p);
          const log = readLogFile(file);
          const bar = new ProgressBar(ctx, !flags.json && log.records.length > 100_000);
          const r = replayLog(host, log, { file, onProgress: (d, t) => bar.update(d, t, file) });
          bar.done();
          if (!r.ok) code = Math.max(code, EXIT.MISMATCH);
          results.push({
            file,
            ok: r.ok,
            records: log.records.length,
            commands: r.commands,
            checkpoints: r.checkpoints,
            divergence: r.divergence ? divergenceJson(r.divergence) : null,
          });
          if (!flags.json) {
            if (r.ok) {
              ctx.out(
                `ok ${file}: ${log.records.length} records reproduced (${r.commands} commands, ${r.checkpoints} checkpoints verified)\n`,
              );
            } else {
              ctx.out(
                `MISMATCH ${file}: ${r.matched} records reproduced, then\n${describeDivergence(r.divergence!, 'log', 'replay')}\n`,
              );
            }
          }
        } catch (e) {
          code = Math.max(code, exitCodeFor(e));
          results.push({ file, ok: false, error: { code: errorCode(e), message: errorMessage(e) } });
          if (!flags.json) ctx.err(`viommu: ${errorMessage(e)}\n`);
        }
      }
      if (flags.json) ctx.out(`${JSON.stringify({ ok: code === EXIT.OK, results }, null, 2)}\n`);
      ctx.exit(code);
    });
}
