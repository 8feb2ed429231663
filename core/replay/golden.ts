/**
 * Golden logs: a run's JSON Lines log kept beside its scenario. A run matches
 * its golden when the bytes are identical after the header's volatile fields
 * (simulator and plugin versions) are blanked on both sides. GoldenCheck is a
 * record sink: it compares the run with the golden while the run goes, record
 * by record and byte by byte, reading the golden a window at a time, so a
 * check keeps neither log in memory. The first divergent record is reported.
 */
import { type ByteSource, memorySource } from '../events/log/byte-source.js';
import { type Divergence, divergenceAt, recordDiff, rememberCommand } from '../events/log/divergence.js';
import { JsonlStreamWriter } from '../events/log/jsonl.js';
import { JsonlLogReader } from '../events/log/jsonl-reader.js';
import type { CommandRecord, LogHeader, LogRecord } from '../events/log/records.js';
import type { RecordSink } from '../sim/simulator.js';
import { encodeLog, stableHeader } from './log-io.js';

export interface GoldenComparison {
  readonly ok: boolean;
  /** The first differing record, when the records differ. */
  readonly divergence: Divergence | null;
  /** Set when only the (stable part of the) header differs. */
  readonly headerProblem: string | null;
}

/** The golden form of a run: JSON Lines with volatile header fields blanked. */
export function goldenBytes(header: LogHeader, records: readonly LogRecord[]): Uint8Array {
  return encodeLog(stableHeader(header), records, 'jsonl');
}

function remember(commands: Map<number, CommandRecord>, r: LogRecord): void {
  if (r.kind === 'command') rememberCommand(commands, r);
}

/**
 * Compares a run, as it is made, with a golden log. Append every record of the run (it is a
 * RecordSink), then call finish(). Reading errors of the golden are kept and thrown by
 * finish() (a sink must not fail the simulator mid-command): a LogError naming the line.
 */
export class GoldenCheck implements RecordSink {
  readonly #header: LogHeader;
  readonly #file: string;
  readonly #source: ByteSource;
  readonly #reader: JsonlLogReader;
  readonly #writer: JsonlStreamWriter;
  readonly #enc = new TextEncoder();
  #scratch = new Uint8Array(1 << 16);
  #rawPos = 0;
  #rawSame = true;
  #divergence: Divergence | null = null;
  #error: { error: unknown } | null = null;
  readonly #expectedCommands = new Map<number, CommandRecord>();
  readonly #actualCommands = new Map<number, CommandRecord>();

  /** Reads the golden's header; throws a LogError if it is unreadable. */
  constructor(header: LogHeader, golden: ByteSource, goldenFile: string) {
    this.#header = header;
    this.#file = goldenFile;
    this.#source = golden;
    this.#reader = new JsonlLogReader(golden, goldenFile);
    this.#writer = new JsonlStreamWriter(stableHeader(header), (chunk) => this.#compareBytes(chunk));
  }

  append(a: LogRecord): void {
    if (this.#error !== null) return;
    try {
      if (this.#rawSame) this.#writer.append(a);
      if (this.#divergence !== null) return;
      remember(this.#actualCommands, a);
      const e = this.#reader.next();
      if (e !== null) remember(this.#expectedCommands, e);
      const field = e === null ? undefined : recordDiff(e, a);
      if (e !== null && field === undefined) return;
      this.#divergence = this.#diverged(e, a, field);
    } catch (error) {
      this.#error = { error };
    }
  }

  /** The verdict, once every record was appended. Throws the golden's reading error, if any. */
  finish(): GoldenComparison {
    if (this.#error === null) {
      try {
        if (this.#rawSame) this.#writer.close();
        if (this.#divergence === null) {
          const e = this.#reader.next();
          if (e !== null) this.#divergence = this.#diverged(e, null, undefined);
        }
        // The rest of the golden is read too, so damage anywhere in it is reported (exit 4).
        for (let r = this.#reader.next(); r !== null; r = this.#reader.next());
      } catch (error) {
        this.#error = { error };
      }
    }
    if (this.#error !== null) throw this.#error.error;
    if (this.#divergence !== null) return { ok: false, divergence: this.#divergence, headerProblem: null };
    if (this.#rawSame && this.#rawPos === this.#source.size)
      return { ok: true, divergence: null, headerProblem: null };
    const a = JSON.stringify(stableHeader(this.#reader.header));
    const b = JSON.stringify(stableHeader(this.#header));
    return {
      ok: false,
      divergence: null,
      headerProblem:
        a !== b
          ? `header differs: golden ${a.slice(0, 300)}, run ${b.slice(0, 300)}`
          : `${this.#file} is not in canonical form (rewrite it with --update)`,
    };
  }

  #diverged(e: LogRecord | null, a: LogRecord | null, field: string | undefined): Divergence {
    return divergenceAt(
      e,
      a,
      field,
      (seq) => this.#expectedCommands.get(seq) ?? this.#actualCommands.get(seq) ?? null,
    );
  }

  /** Compares the run's next JSON Lines chunk with the golden's bytes at the same place. */
  #compareBytes(chunk: string): void {
    const mine = this.#enc.encode(chunk);
    if (this.#scratch.length < mine.length) this.#scratch = new Uint8Array(mine.length);
    const got = this.#source.readAt(this.#rawPos, this.#scratch, 0, mine.length);
    this.#rawPos += got;
    if (got !== mine.length) {
      this.#rawSame = false;
      return;
    }
    const theirs = this.#scratch;
    for (let i = 0; i < mine.length; i++) {
      if (mine[i] !== theirs[i]) {
        this.#rawSame = false;
        return;
      }
    }
  }
}

/** Compares a run's records with a golden file's bytes (GoldenCheck over records in memory). Throws a LogError when the golden is unreadable. */
export function compareWithGolden(
  header: LogHeader,
  records: Iterable<LogRecord>,
  golden: Uint8Array,
  goldenFile: string,
): GoldenComparison {
  const check = new GoldenCheck(header, memorySource(golden), goldenFile);
  for (const r of records) check.append(r);
  return check.finish();
}
