/**
 * Exact replay: rebuild the simulator from a log's header, feed it the log's
 * commands in order, and compare every record it produces (commands and the
 * events they cause) with the log, field by field, key order included. The
 * first difference stops the replay and is reported with its seq, both
 * records, the first differing field and the command that caused it.
 * Checkpoint digests (`core.state.digested`) are compared like any event, so a
 * long replay is verified at each checkpoint and a state drift is caught at
 * the first checkpoint after it even when no event shows it.
 */
import { ERROR_CODES, ViommuError } from '../errors/viommu-error.js';
import { type Divergence, recordDiff } from '../events/log/divergence.js';
import { LOG_ERROR_CODES, LogError } from '../events/log/errors.js';
import type { LogContents } from '../events/log/read-types.js';
import type { CommandRecord, LogHeader, LogRecord } from '../events/log/records.js';
import type { PluginHost } from '../plugin/host.js';
import type { SimConfig } from '../sim/config.js';
import type { RecordSink } from '../sim/simulator.js';
import { createSimulator } from './sim-factory.js';

export interface ReplayOptions {
  /** Extra sinks that see every produced record (e.g. a writer, to compare bytes). */
  readonly sinks?: readonly RecordSink[];
  /** Called after each command with (records replayed, records in the log). */
  readonly onProgress?: (done: number, total: number) => void;
  /** Name of the log, for messages. */
  readonly file?: string;
}

export interface ReplayResult {
  /** True when every record was reproduced and nothing extra was produced. */
  readonly ok: boolean;
  readonly divergence: Divergence | null;
  readonly commands: number;
  /** Records compared equal. */
  readonly matched: number;
  readonly checkpoints: number;
}

/** The SimConfig recorded in a header; throws VIOMMU_ERR_LOG_CORRUPT naming the field when it is not one. */
export function configFromHeader(header: LogHeader, file = '<log>'): SimConfig {
  const c = header.config as { [k: string]: unknown } | null;
  const bad = (field: string, what: string): never => {
    throw new LogError(
      LOG_ERROR_CODES.CORRUPT,
      { file, line: 1, field: `config.${field}` },
      `expected ${what} to rebuild the run`,
    );
  };
  if (typeof c !== 'object' || c === null || Array.isArray(c)) return bad('', 'an object');
  if (typeof c.seed !== 'number') bad('seed', 'a number');
  if (typeof c.kernel !== 'string') bad('kernel', 'a string');
  if (typeof c.memoryBytes !== 'number') bad('memoryBytes', 'a number');
  if (!Array.isArray(c.units)) bad('units', 'an array');
  if (!Array.isArray(c.devices)) bad('devices', 'an array');
  return c as unknown as SimConfig;
}

/** Replays `log` on a fresh simulator. Throws VIOMMU_ERR_PLUGIN_* when a plugin it names is not loaded. */
export function replayLog(host: PluginHost, log: LogContents, options: ReplayOptions = {}): ReplayResult {
  const file = options.file ?? '<log>';
  const config = configFromHeader(log.header, file);
  for (const u of config.units) {
    if (!host.names().includes(u.plugin)) {
      throw new ViommuError(
        ERROR_CODES.PLUGIN_UNKNOWN,
        `${file}: the log needs plugin "${u.plugin}" (loaded: ${host.names().join(', ')})`,
      );
    }
  }
  const expected = log.records;
  let next = 0;
  let divergence: Divergence | null = null;
  let checkpoints = 0;
  const compare: RecordSink = {
    append(a: LogRecord) {
      if (divergence !== null) return;
      const e = next < expected.length ? expected[next] : null;
      const field = e === null ? undefined : recordDiff(e, a);
      if (e !== null && field === undefined) {
        next++;
        if (a.type === 'core.state.digested') checkpoints++;
        return;
      }
      divergence = makeDivergence(expected, e, a, field);
    },
  };
  const sim = createSimulator(host, config, [compare, ...(options.sinks ?? [])]);
  let commands = 0;
  for (let i = 0; i < expected.length && divergence === null; i++) {
    const r = expected[i];
    if (r.kind !== 'command') continue;
    if (i !== next) {
      // The previous command produced fewer records than the log holds: the log's next record is missing.
      divergence = makeDivergence(expected, expected[next], null, undefined);
      break;
    }
    sim.execute({ type: r.type, data: r.data });
    commands++;
    options.onProgress?.(next, expected.length);
  }
  if (divergence === null && next < expected.length)
    divergence = makeDivergence(expected, expected[next], null, undefined);
  return { ok: divergence === null, divergence, commands, matched: next, checkpoints };
}

function makeDivergence(
  expected: readonly LogRecord[],
  e: LogRecord | null,
  a: LogRecord | null,
  field: string | undefined,
): Divergence {
  const ev = e?.kind === 'event' ? e : a?.kind === 'event' ? a : null;
  let cause: CommandRecord | null = null;
  if (ev !== null && ev.kind === 'event') {
    const c = expected[ev.cause - 1];
    if (c !== undefined && c.kind === 'command' && c.seq === ev.cause) cause = c;
  }
  const seq = e?.seq ?? a?.seq ?? 0;
  return field === undefined
    ? { seq, expected: e, actual: a, cause }
    : { seq, expected: e, actual: a, cause, field };
}
