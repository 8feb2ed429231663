/**
 * Exact replay: rebuild the simulator from a log's header, feed it the log's
 * commands in order, and compare every record it produces (commands and the
 * events they cause) with the log, field by field, key order included. The
 * first difference stops the replay and is reported with its seq, both
 * records, the first differing field and the command that caused it.
 * Checkpoint digests (`core.state.digested`) are compared like any event, so a
 * long replay is verified at each checkpoint and a state drift is caught at
 * the first checkpoint after it even when no event shows it. A log whose run ended in a plugin
 * error replays to the same error: that is agreement, reported in pluginError. A replay can also
 * start at a snapshot taken at a checkpoint (snapshot.ts) and compare only the
 * records after it.
 */
import { ERROR_CODES, ViommuError } from '../errors/viommu-error.js';
import { type Divergence, divergenceAt, recordDiff, rememberCommand } from '../events/log/divergence.js';
import type { LogContents } from '../events/log/read-types.js';
import {
  type CommandRecord,
  type EventRecord,
  type LogHeader,
  type LogRecord,
  RUN_INTERRUPTED,
} from '../events/log/records.js';
import type { PluginHost } from '../plugin/host.js';
import { DIGEST_COMMAND } from '../scenario/compile.js';
import { isPluginFailure } from '../sim/plugin-failure.js';
import type { RecordSink, Simulator } from '../sim/simulator.js';
import { configFromHeader, createSimulator } from './sim-factory.js';
import { checkSnapshotBelongs, restoreSnapshot, SNAPSHOT_ERROR_CODES, type Snapshot } from './snapshot.js';

export interface ReplayOptions {
  /** Extra sinks that see every produced record (e.g. a writer, to compare bytes). */
  readonly sinks?: readonly RecordSink[];
  /** Called after each command with how far the log has been read and its size, in the source's units (records for a log in memory). */
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
  /** The log's core.run.interrupted record (the run was stopped by a signal), or null. */
  readonly interrupted: EventRecord | null;
  /**
   * The plugin error the recorded run ended in, reproduced: the replayed command threw again and
   * its `core.plugin.failed` record matched the log's last one. Null when the run did not end so.
   * A plugin that no longer throws there (or throws differently) is a divergence instead.
   */
  readonly pluginError: { readonly plugin: string; readonly seq: number; readonly message: string } | null;
}

/**
 * Where a replay reads the log's records: in order, each once. A BinaryLogReader also
 * compares a record in its encoded form (skipIfEqual), so equal records are never decoded.
 */
export interface RecordSource {
  next(): LogRecord | null;
  /** Consumes the next record and returns true if it equals `r`; else consumes nothing. */
  skipIfEqual?(r: LogRecord): boolean;
  /** Progress, in the source's own units (records, characters or bytes). */
  readonly position: number;
  readonly size: number;
}

/** A source over records already in memory. */
export function arraySource(records: readonly LogRecord[]): RecordSource {
  let i = 0;
  return {
    next: () => (i < records.length ? records[i++] : null),
    get position() {
      return i;
    },
    size: records.length,
  };
}

/** Replays `log` on a fresh simulator. Throws VIOMMU_ERR_PLUGIN_* when a plugin it names is not loaded. */
export function replayLog(host: PluginHost, log: LogContents, options: ReplayOptions = {}): ReplayResult {
  return replayRecords(host, log.header, arraySource(log.records), options);
}

/**
 * Replays the records of `source` (a log with this header) on a fresh simulator, reading
 * each record once: a log read record by record (openLog) is never held whole in memory.
 * A read error (a damaged or cut log) is thrown as the reader's LogError, wherever it is.
 */
export function replayRecords(
  host: PluginHost,
  header: LogHeader,
  source: RecordSource,
  options: ReplayOptions = {},
): ReplayResult {
  const file = options.file ?? '<log>';
  const config = configFromHeader(header, file, host);
  for (const u of config.units) {
    if (!host.names().includes(u.plugin)) {
      throw new ViommuError(
        ERROR_CODES.PLUGIN_UNKNOWN,
        `${file}: the log needs plugin "${u.plugin}" (loaded: ${host.names().join(', ')})`,
      );
    }
  }
  const log = new Lookahead(source);
  const start = options.from === undefined ? 0 : snapshotStart(log, header, options.from);
  let matched = 0;
  let divergence: Divergence | null = null;
  let readError: { error: unknown } | null = null;
  let checkpoints = 0;
  const compare: RecordSink = {
    append(a: LogRecord) {
      if (divergence !== null || readError !== null) return;
      try {
        const field = log.match(a);
        if (field === undefined) {
          matched++;
          if (a.type === 'core.state.digested') checkpoints++;
          return;
        }
        divergence = log.divergence(field === null ? null : log.last, a, field ?? undefined);
      } catch (error) {
        // Thrown after the command returns: a sink must not fail the simulator mid-command.
        readError = { error };
      }
    },
  };
  const sinks = [compare, ...(options.sinks ?? [])];
  const sim =
    options.from === undefined
      ? createSimulator(host, config, sinks)
      : restoreSnapshot(host, options.from.snapshot, options.from.file, sinks);
  let commands = 0;
  let interrupted: EventRecord | null = null;
  let pluginError: ReplayResult['pluginError'] = null;
  while (divergence === null && readError === null) {
    const r = log.peek();
    if (r === null) break;
    if (r.kind === 'event' && r.type === RUN_INTERRUPTED) {
      // The run was stopped here by a signal: the log ends with this record, nothing to re-execute.
      interrupted = r;
      log.take();
      matched++;
      const after = log.peek();
      if (after !== null) divergence = log.divergence(after, null, undefined);
      break;
    }
    if (r.kind !== 'command') {
      // The previous command produced fewer records than the log holds: the log's next record is missing.
      divergence = log.divergence(r, null, undefined);
      break;
    }
    try {
      sim.execute({ type: r.type, data: r.data });
    } catch (e) {
      if (!isPluginFailure(e)) throw e;
      // The simulator recorded core.plugin.failed before throwing, and the compare sink judged it:
      // matched, and nothing after it in the log, the replay reproduced the run's plugin error.
      commands++;
      if (divergence === null && readError === null) {
        const after = log.peek();
        if (after !== null) divergence = log.divergence(after, null, undefined);
        else pluginError = { plugin: e.plugin, seq: e.seq, message: e.detail };
      }
      break;
    }
    commands++;
    if (divergence === null && readError === null && log.peeked() === r) {
      // The simulator did not even record the command.
      divergence = log.divergence(r, null, undefined);
    }
    if (r.type === DIGEST_COMMAND && divergence === null) options.onCheckpoint?.(sim);
    options.onProgress?.(source.position, source.size);
  }
  if (readError !== null) throw (readError as { error: unknown }).error;
  return {
    ok: divergence === null,
    divergence,
    commands,
    matched,
    checkpoints,
    startSeq: start,
    interrupted,
    pluginError,
  };
}

/**
 * The log side of a replay: one record of lookahead (the command about to run), the commands
 * seen so far (to name the cause of a divergence), and the comparison of a produced record
 * with the log's next one, in encoded form where the source allows it.
 */
class Lookahead {
  readonly #source: RecordSource;
  #ahead: LogRecord | null | undefined = undefined;
  readonly #commands = new Map<number, CommandRecord>();
  /** The record the last failed match read from the log (null: the log had ended). */
  last: LogRecord | null = null;

  constructor(source: RecordSource) {
    this.#source = source;
  }

  /** The log's next record, read but not consumed. */
  peek(): LogRecord | null {
    if (this.#ahead === undefined) this.#ahead = this.#read();
    return this.#ahead;
  }

  /** The record peek() holds, if it was not consumed since. */
  peeked(): LogRecord | null | undefined {
    return this.#ahead;
  }

  /** Consumes and returns the next record. */
  take(): LogRecord | null {
    const r = this.peek();
    this.#ahead = undefined;
    return r;
  }

  /**
   * Compares produced record `a` with the log's next one, consuming it: undefined when equal,
   * else the first differing field, or null when the log has ended.
   */
  match(a: LogRecord): string | null | undefined {
    if (this.#ahead === undefined && this.#source.skipIfEqual?.(a)) {
      if (a.kind === 'command') rememberCommand(this.#commands, a);
      return undefined;
    }
    const e = this.take();
    this.last = e;
    if (e === null) return null;
    return recordDiff(e, a);
  }

  /** The divergence of `e` (from the log) and `a` (produced), its cause named from the commands seen. */
  divergence(e: LogRecord | null, a: LogRecord | null, field: string | undefined): Divergence {
    return divergenceAt(e, a, field, (seq) => this.#commands.get(seq) ?? null);
  }

  #read(): LogRecord | null {
    const r = this.#source.next();
    if (r !== null && r.kind === 'command') rememberCommand(this.#commands, r);
    return r;
  }
}

/**
 * Reads the log up to the snapshot's seq, once the snapshot is known to belong to this log
 * at a checkpoint that recorded the same digest, and returns that seq. Throws
 * VIOMMU_ERR_SNAPSHOT_MISMATCH otherwise.
 */
function snapshotStart(
  log: Lookahead,
  header: LogHeader,
  from: { snapshot: Snapshot; file: string },
): number {
  const { meta } = from.snapshot;
  checkSnapshotBelongs(from.snapshot, header, from.file);
  const mismatch = (problem: string): never => {
    throw new ViommuError(SNAPSHOT_ERROR_CODES.MISMATCH, `${from.file}: ${problem}`);
  };
  let digested: LogRecord | null = null;
  for (let seq = 1; seq <= meta.seq; seq++) {
    const r = log.take();
    if (r === null) break;
    if (seq === meta.checkpointSeq) digested = r;
  }
  if (digested === null || digested.seq !== meta.checkpointSeq || digested.type !== 'core.state.digested')
    mismatch(`taken at seq ${meta.seq}, but the log has no checkpoint at seq ${meta.checkpointSeq}`);
  const logged = (digested!.data as { digest?: unknown }).digest;
  if (logged !== meta.digest)
    mismatch(`digest ${meta.digest} at seq ${meta.checkpointSeq}, the log recorded ${String(logged)}`);
  const after = log.peek();
  if (after !== null && after.kind !== 'command')
    mismatch(`seq ${meta.seq} does not end a command in the log`);
  return meta.seq;
}
