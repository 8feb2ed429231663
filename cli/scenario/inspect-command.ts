/** `viommu inspect <log>`: what a log holds — header, counts by type, faults — and the records matching filters. */
import type { Command } from 'commander';
import { RECENT_COMMANDS } from '../../core/events/log/divergence.js';
import type { LogRecord } from '../../core/events/log/records.js';
import { hexCodes } from '../../core/scenario/expectations.js';
import { configOption, pluginContext, pluginOption } from '../config/plugin-options.js';
import { usage } from '../usage.js';
import type { CliContext } from './context.js';
import { EXIT } from './context.js';
import { reportFatal } from './errors.js';
import { type LogFile, openLogFile, unsealedNotice } from './read-log.js';
import { readSnapshotFile, SNAPSHOT_EXTENSION } from './snapshot-files.js';

interface InspectFlags {
  type?: string[];
  device?: string;
  limit: string;
  json?: boolean;
  lenient?: boolean;
  plugin?: string[];
  config?: string;
}

/** "vtd.iotlb.*" or "vtd.iotlb" (prefix) or an exact type. */
function typeMatcher(patterns: readonly string[] | undefined): (t: string) => boolean {
  if (!patterns || patterns.length === 0) return () => true;
  return (t) =>
    patterns.some((p) => (p.endsWith('*') ? t.startsWith(p.slice(0, -1)) : t === p || t.startsWith(`${p}.`)));
}

export function registerInspect(program: Command, ctx: CliContext): void {
  program
    .command('inspect')
    .description('Summarise a log and list records by type and device, or say what a snapshot holds')
    .argument('<log>', 'event log (.events.jsonl or .events.bin), or a snapshot (.snap)')
    .option('--type <type...>', 'only records of these types (exact, a prefix like "vtd.iotlb", or "core.*")')
    .option('--device <name>', 'only commands naming this device and the events they caused')
    .option('--limit <n>', 'records to list when filtering (0 = all)', '50')
    .option('--lenient', 'read a log cut short up to its last complete record')
    .option('--json', 'machine-readable result on stdout')
    // Accepted so one command line serves run, replay, inspect and diff; inspecting runs no plugin.
    .addOption(pluginOption())
    .addOption(configOption())
    .action(async (file: string, flags: InspectFlags, cmd: Command) => {
      if ((await pluginContext(ctx, flags)) === null) return;
      // Digits only, as --readable of `uapi check`: "abc", "-2" or "1.5" is a typo, not "all".
      if (!/^\d+$/.test(flags.limit))
        usage(cmd, `--limit must be a whole number of records (0 = all), got ${JSON.stringify(flags.limit)}`);
      const limit = Number(flags.limit) || Number.POSITIVE_INFINITY;
      try {
        if (file.endsWith(SNAPSHOT_EXTENSION)) {
          inspectSnapshot(ctx, file, Boolean(flags.json));
          return;
        }
        // Streamed, one record at a time: memory does not grow with the log (--limit 0 aside).
        const log = openLogFile(file, Boolean(flags.lenient));
        let reader: LogFile['reader'];
        const byType = new Map<string, number>();
        // Device of each recent command: an event's cause is a recent command.
        const deviceOf = new Map<number, string | undefined>();
        const matchType = typeMatcher(flags.type);
        const filtering = Boolean(flags.type?.length || flags.device);
        const selected: LogRecord[] = [];
        let records = 0;
        let commands = 0;
        let faults = 0;
        let failed = 0;
        let matching = 0;
        let lastT = 0;
        try {
          reader = log.reader;
          if (!log.sealed) ctx.err(unsealedNotice(file));
          for (let r = reader.next(); r !== null; r = reader.next()) {
            records++;
            lastT = r.t;
            byType.set(r.type, (byType.get(r.type) ?? 0) + 1);
            if (r.kind === 'command') {
              commands++;
              deviceOf.set(r.seq, typeof r.data.device === 'string' ? r.data.device : undefined);
              if (deviceOf.size > RECENT_COMMANDS) deviceOf.delete(deviceOf.keys().next().value!);
            } else {
              if (/fault/.test(r.type)) faults++;
              if (r.type === 'core.command.completed' && r.data.ok === false) failed++;
            }
            if (!filtering || !matchType(r.type)) continue;
            if (flags.device && deviceOf.get(r.kind === 'command' ? r.seq : r.cause) !== flags.device)
              continue;
            matching++;
            if (selected.length < limit) selected.push(r);
          }
        } finally {
          log.close();
        }
        const summary = {
          file,
          format: log.format,
          scenario: reader.header.scenario,
          seed: reader.header.seed,
          simulator: reader.header.simulator,
          plugins: reader.header.plugins,
          records,
          commands,
          events: records - commands,
          failedCommands: failed,
          faultEvents: faults,
          virtualTimeNs: lastT,
          truncated: reader.truncated,
          types: Object.fromEntries(
            [...byType.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)),
          ),
        };
        if (flags.json) {
          ctx.out(
            `${JSON.stringify({ ok: true, summary, ...(filtering ? { matching, records: selected } : {}) }, null, 2)}\n`,
          );
        } else {
          ctx.out(
            `${file} (${log.format}): scenario ${summary.scenario}, seed ${summary.seed}, simulator ${summary.simulator}\n`,
          );
          ctx.out(
            `plugins: ${
              Object.entries(summary.plugins)
                .map(([n, v]) => `${n} ${v}`)
                .join(', ') || 'none'
            }\n`,
          );
          ctx.out(
            `${summary.records} records: ${commands} commands (${failed} failed), ${summary.events} events, ${faults} fault events, ${summary.virtualTimeNs} ns virtual time\n`,
          );
          if (reader.truncated)
            ctx.out(
              `truncated after seq ${reader.truncated.lastSeq} at byte ${reader.truncated.truncatedAt}\n`,
            );
          ctx.out('\ncount  type\n');
          for (const [t, n] of Object.entries(summary.types)) ctx.out(`${String(n).padStart(5)}  ${t}\n`);
          if (filtering) {
            ctx.out(
              `\n${matching} matching records${matching > selected.length ? ` (first ${selected.length})` : ''}:\n`,
            );
            // Architectural codes in hex, as the specs write them; --json keeps numbers.
            for (const r of selected) ctx.out(`${JSON.stringify(r, hexCodes)}\n`);
          }
        }
        ctx.exit(EXIT.OK);
      } catch (e) {
        reportFatal(ctx, e, Boolean(flags.json));
      }
    });
}

/** What a snapshot holds: the run and checkpoint it belongs to, and how big its parts are. */
function inspectSnapshot(ctx: CliContext, file: string, json: boolean): void {
  const { meta, state } = readSnapshotFile(file);
  const summary = {
    file,
    run: meta.header.scenario,
    seed: meta.header.seed,
    seq: meta.seq,
    checkpointSeq: meta.checkpointSeq,
    digest: meta.digest,
    plugins: meta.plugins,
    units: [...state.units.keys()],
    memoryPages: state.memory.pfns.length,
    virtualTimeNs: state.time,
  };
  if (json) ctx.out(`${JSON.stringify(summary, null, 2)}\n`);
  else {
    const plugins = Object.entries(meta.plugins).map(([n, v]) => `${n} ${v}`);
    ctx.out(
      `${file}: snapshot of run ${summary.run} (seed ${summary.seed}) after seq ${meta.seq}, ` +
        `checkpoint digest ${meta.digest} at seq ${meta.checkpointSeq}\n` +
        `  units: ${summary.units.join(', ')} (${plugins.join(', ')}); ${summary.memoryPages} memory pages; ` +
        `virtual time ${state.time} ns\n` +
        `  replay from it: viommu replay <its log> --from ${file}\n`,
    );
  }
  ctx.exit(EXIT.OK);
}
