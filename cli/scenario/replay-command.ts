/**
 * `viommu replay <log>...`: re-execute each log's commands and check that every record
 * reproduces; `--from` starts one log's replay at a snapshot, `--snapshots` writes them.
 */
import { basename } from 'node:path';
import type { Command } from 'commander';
import { PluginHost } from '../../core/plugin/host.js';
import { describeDivergence, divergenceJson } from '../../core/replay/describe.js';
import { replayRecords } from '../../core/replay/replay.js';
import { checkLogPlugins } from '../config/log-plugins.js';
import { configOption, pluginContext, pluginOption } from '../config/plugin-options.js';
import { type CliContext, EXIT } from './context.js';
import { errorCode, errorMessage, exitCodeFor } from './errors.js';
import { ProgressBar } from './progress.js';
import { openLogFile, unsealedNotice } from './read-log.js';
import { readSnapshotFile, snapshotSaver } from './snapshot-files.js';

/** Logs above this size (bytes or characters) get a progress bar on a terminal. */
const LARGE_LOG = 8 << 20;

interface ReplayFlags {
  json?: boolean;
  lenient?: boolean;
  from?: string;
  snapshots?: string;
  plugin?: string[];
  config?: string;
}

export function registerReplay(program: Command, outer: CliContext): void {
  program
    .command('replay')
    .description('Replay logs on a fresh simulator and report the first record that does not reproduce')
    .argument('<logs...>', 'event logs (.events.jsonl or .events.bin)')
    .option('--json', 'machine-readable result on stdout')
    .option('--lenient', 'replay a log cut short (a killed run) up to its last complete record')
    .option('--from <snapshot>', 'start at this snapshot (one log only): restore it, replay what follows')
    .option('--snapshots <dir>', 'write a snapshot at each checkpoint the replay verifies')
    .addOption(pluginOption())
    .addOption(configOption())
    .action(async (logs: string[], flags: ReplayFlags) => {
      const ctx = (await pluginContext(outer, flags))?.ctx;
      if (ctx === undefined) return;
      if (flags.from !== undefined && logs.length !== 1) {
        ctx.err('viommu: --from takes exactly one log (the one the snapshot was taken from)\n');
        ctx.exit(EXIT.USAGE);
        return;
      }
      const host = new PluginHost();
      const results: object[] = [];
      let code: number = EXIT.OK;
      for (const file of logs) {
        let closeLog = () => {};
        try {
          if (host.names().length === 0) for (const p of ctx.plugins()) host.use(p);
          // Read record by record: a binary log's equal records are compared without being decoded.
          const log = openLogFile(file, Boolean(flags.lenient));
          closeLog = log.close;
          const reader = log.reader;
          if (!log.sealed) ctx.err(unsealedNotice(file));
          for (const w of checkLogPlugins(host, reader.header, file)) ctx.err(`viommu: warning: ${w}\n`);
          const from =
            flags.from === undefined
              ? undefined
              : { snapshot: readSnapshotFile(flags.from), file: flags.from };
          const saver =
            flags.snapshots === undefined
              ? undefined
              : snapshotSaver(host, flags.snapshots, basename(file).replace(/\.events\.(jsonl|bin)$/, ''));
          const bar = new ProgressBar(ctx, !flags.json && reader.size > LARGE_LOG);
          const r = replayRecords(host, reader.header, reader, {
            file,
            onProgress: (d, t) => bar.update(d, t, file),
            ...(from ? { from } : {}),
            ...(saver ? { onCheckpoint: (sim) => saver.onCheckpoint(sim, reader.header) } : {}),
          });
          // The rest of a log that diverged is still read, so damage anywhere in it is reported (exit 4).
          for (let rec = reader.next(); rec !== null; rec = reader.next());
          bar.done();
          const cut = reader.truncated;
          // A log cut short (lenient) ends inside the run: the replay producing more than it holds is expected.
          const ok = r.ok || (cut !== null && r.divergence?.expected === null);
          const divergence = ok ? null : r.divergence;
          if (!ok) code = Math.max(code, EXIT.MISMATCH);
          results.push({
            file,
            ok,
            // As the text says: records reproduced (after the snapshot, with --from; before the divergence)
            // and commands re-executed, not what the log holds.
            records: r.matched,
            commands: r.commands,
            checkpoints: r.checkpoints,
            startSeq: r.startSeq,
            snapshots: saver?.written ?? [],
            divergence: divergence ? divergenceJson(divergence) : null,
            interrupted: r.interrupted?.data ?? null,
            pluginError: r.pluginError,
            truncated: cut,
          });
          if (!flags.json) {
            if (ok) {
              const start = r.startSeq > 0 ? ` after the snapshot at seq ${r.startSeq}` : '';
              const stop = r.interrupted
                ? `; the run was interrupted by ${String(r.interrupted.data.signal)} after ${String(r.interrupted.data.commands)}${Number(r.interrupted.data.of) >= 0 ? ` of ${String(r.interrupted.data.of)}` : ''} commands`
                : '';
              // The run itself exited 3 and said so; replay's question is whether the log reproduces.
              const failed = r.pluginError
                ? `; the recorded run ended in a plugin error, reproduced: plugin "${r.pluginError.plugin}" threw at seq ${r.pluginError.seq}: ${r.pluginError.message}`
                : '';
              const until = cut
                ? `; the log is cut short after seq ${cut.lastSeq} at byte ${cut.truncatedAt}`
                : '';
              ctx.out(
                `ok ${file}: ${r.matched} records reproduced${start} (${r.commands} commands, ${r.checkpoints} checkpoints verified)${stop}${failed}${until}\n`,
              );
            } else {
              ctx.out(
                `MISMATCH ${file}: ${r.matched} records reproduced, then\n${describeDivergence(divergence!, 'log', 'replay')}\n`,
              );
            }
          }
        } catch (e) {
          code = Math.max(code, exitCodeFor(e));
          results.push({ file, ok: false, error: { code: errorCode(e), message: errorMessage(e) } });
          if (!flags.json) ctx.err(`viommu: ${errorMessage(e)}\n`);
        } finally {
          closeLog();
        }
      }
      if (flags.json) ctx.out(`${JSON.stringify({ ok: code === EXIT.OK, results }, null, 2)}\n`);
      ctx.exit(code);
    });
}
