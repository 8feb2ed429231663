/**
 * The records of an event log: one header, then commands and the events they
 * caused, in one gap-free sequence. Both encodings (JSON Lines and binary)
 * carry exactly these fields; readers return exactly these shapes, with the
 * keys in the order declared here.
 */
import type { JsonObject, JsonValue } from '../../plugin/contract.js';

/** The `format` field of every log header. */
export const LOG_FORMAT = 'viommu-events';
/** The newest log format this code reads and the one it writes. */
export const LOG_FORMAT_VERSION = 1;

/** First line (JSONL) or first frame (binary) of a log: what is needed to rebuild the run for replay. */
export interface LogHeader {
  readonly kind: 'header';
  readonly format: 'viommu-events';
  readonly formatVersion: 1;
  /** Simulator version (semver). */
  readonly simulator: string;
  /** Plugin name → plugin version. */
  readonly plugins: { readonly [name: string]: string };
  /** Scenario id. */
  readonly scenario: string;
  /** Seed of the run's SeededRng. */
  readonly seed: number;
  /** The scenario's set-up, enough to rebuild the simulator for replay. */
  readonly config: JsonValue;
}

/** An input to the simulator. */
export interface CommandRecord {
  readonly kind: 'command';
  /** Position in the log: 1 for the first record after the header, then +1 per record, no gaps. */
  readonly seq: number;
  /** Virtual time in ns (a safe integer); never decreases along the log. */
  readonly t: number;
  /** `<scope>.<subject>.<verb>` (imperative for commands). */
  readonly type: string;
  /** Schema version of this type's payload. */
  readonly v: number;
  readonly data: JsonObject;
}

/** Something that happened because of a command. */
export interface EventRecord {
  readonly kind: 'event';
  readonly seq: number;
  readonly t: number;
  /** `<scope>.<subject>.<verb-past>`. */
  readonly type: string;
  readonly v: number;
  /** seq of the command that produced this event (always an earlier command record). */
  readonly cause: number;
  readonly data: JsonObject;
}

export type LogRecord = CommandRecord | EventRecord;

/** Anything with `has(type)`, e.g. a `Set<string>` of known command and event types. */
export interface TypeRegistry {
  has(type: string): boolean;
}

/**
 * The event that ends the log of a run stopped by a signal (SIGINT, SIGTERM): its cause is the
 * last command that ran, its data `{ signal, commands, of }` (`of` is -1 when the run's length
 * was not known: steps read from a stepsFile). Replay stops there and says so.
 */
export const RUN_INTERRUPTED = 'core.run.interrupted';

/** Follows a run's records to make its interruption record. */
export class RunTail {
  seq = 0;
  t = 0;
  command = 0;

  append(r: LogRecord): void {
    this.seq = r.seq;
    this.t = r.t;
    if (r.kind === 'command') this.command = r.seq;
  }

  /** The interruption record to append next, or null before the first command (nothing to cause it). */
  interrupted(signal: string, commands: number, of: number): EventRecord | null {
    if (this.command === 0) return null;
    return {
      kind: 'event',
      seq: this.seq + 1,
      t: this.t,
      type: RUN_INTERRUPTED,
      v: 1,
      cause: this.command,
      data: { signal, commands, of },
    };
  }
}
