/**
 * Exact replay: rebuild the simulator from a log's header, feed it the log's
 * commands in order, and compare every record it produces (commands and the
 * events they cause) with the log, field by field, key order included. The
 * first difference stops the replay and is reported with its seq, both
 * records, the first differing field and the command that caused it.
 * Checkpoint digests (`core.state.digested`) are compared like any event, so a
 * long replay is verified at each checkpoint and a state drift is caught at
 * the first checkpoint after it even when no event shows it. A replay can also
 * start at a snapshot taken at a checkpoint (snapshot.ts) and compare only the
 * records after it.
 */
import { ERROR_CODES, ViommuError } from '../errors/viommu-error.js';
import { type Divergence, recordDiff } from '../events/log/divergence.js';
import type { LogContents } from '../events/log/read-types.js';
import type { CommandRecord, LogRecord } from '../events/log/records.js';
import type { PluginHost } from '../plugin/host.js';
import { DIGEST_COMMAND } from '../scenario/compile.js';
import type { RecordSink, Simulator } from '../sim/simulator.js';
import { configFromHeader, createSimulator } from './sim-factory.js';
import { checkSnapshotBelongs, restoreSnapshot, SNAPSHOT_ERROR_CODES, type Snapshot } from './snapshot.js';

export interface ReplayOptions {
  /** Extra sinks that see every produced record (e.g. a writer, to compare bytes). */
  readonly sinks?: readonly RecordSink[];
  /** Called after each command with (records replayed, records in the log). */
  readonly onProgress?: (done: number, total: number) => void;
  /** Name of the log, for messages. */
  readonly file?: string;
  /**
   * Start from this snapshot instead of the first command: the simulator is restored from it,
   * and only the records after it are re-executed and compared.
   */
  readonly from?: { readonly snapshot: Snapshot; readonly file: string };
  /** Called after each checkpoint command (`core.state.digest`) with the simulator, e.g. to snapshot it. */
  readonly onCheckpoint?: (sim: Simulator) => void;
}

export interface ReplayResult {
  /** True when every record was reproduced and nothing extra was produced. */
  readonly ok: boolean;
  readonly divergence: Divergence | null;
  readonly commands: number;
  /** Records compared equal. */
  readonly matched: number;
  readonly checkpoints: number;
  /** seq the replay started after: 0, or the snapshot's seq. */
  readonly startSeq: number;
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
  const start = options.from === undefined ? 0 : snapshotStart(log, options.from);
  let next = start;
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
  const sinks = [compare, ...(options.sinks ?? [])];
  const sim =
    options.from === undefined
      ? createSimulator(host, config, sinks)
      : restoreSnapshot(host, options.from.snapshot, options.from.file, sinks);
  let commands = 0;
  for (let i = start; i < expected.length && divergence === null; i++) {
    const r = expected[i];
    if (r.kind !== 'command') continue;
    if (i !== next) {
      // The previous command produced fewer records than the log holds: the log's next record is missing.
      divergence = makeDivergence(expected, expected[next], null, undefined);
      break;
    }
    sim.execute({ type: r.type, data: r.data });
    commands++;
    if (r.type === DIGEST_COMMAND && divergence === null) options.onCheckpoint?.(sim);
    options.onProgress?.(next, expected.length);
  }
  if (divergence === null && next < expected.length)
    divergence = makeDivergence(expected, expected[next], null, undefined);
  return {
    ok: divergence === null,
    divergence,
    commands,
    matched: next - start,
    checkpoints,
    startSeq: start,
  };
}

/**
 * Index of the first record after the snapshot, once the snapshot is known to belong to this log
 * at a checkpoint that recorded the same digest. Throws VIOMMU_ERR_SNAPSHOT_MISMATCH otherwise.
 */
function snapshotStart(log: LogContents, from: { snapshot: Snapshot; file: string }): number {
  const { meta } = from.snapshot;
  checkSnapshotBelongs(from.snapshot, log.header, from.file);
  const mismatch = (problem: string): never => {
    throw new ViommuError(SNAPSHOT_ERROR_CODES.MISMATCH, `${from.file}: ${problem}`);
  };
  const digested = log.records[meta.checkpointSeq - 1];
  if (
    digested === undefined ||
    digested.seq !== meta.checkpointSeq ||
    digested.type !== 'core.state.digested'
  )
    mismatch(`taken at seq ${meta.seq}, but the log has no checkpoint at seq ${meta.checkpointSeq}`);
  const logged = (digested.data as { digest?: unknown }).digest;
  if (logged !== meta.digest)
    mismatch(`digest ${meta.digest} at seq ${meta.checkpointSeq}, the log recorded ${String(logged)}`);
  const after = log.records[meta.seq];
  if (after !== undefined && after.kind !== 'command')
    mismatch(`seq ${meta.seq} does not end a command in the log`);
  return meta.seq;
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
