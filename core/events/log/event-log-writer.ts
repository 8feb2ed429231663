/**
 * The in-memory event log of a run: the simulator's record sink. append()
 * encodes each record straight into a doubling buffer (no JSON.stringify, no
 * object kept), so the log costs its binary size; the records come back by
 * decoding, as binary or as JSON Lines.
 */

import { BinaryRecordEncoder } from './binary-encoder.js';
import { BinaryLogReader } from './binary-reader.js';
import { checkedHeader, writePreamble } from './binary-writer.js';
import { ByteSink } from './byte-sink.js';
import { endMarker } from './frames.js';
import { JsonlStreamWriter } from './jsonl.js';
import type { LogHeader, LogRecord } from './records.js';

export interface EventLogWriterOptions {
  /** Initial buffer size in bytes (it doubles as needed). */
  readonly initialBytes?: number;
  /** Name used in error messages. */
  readonly label?: string;
}

export class EventLogWriter {
  readonly header: LogHeader;
  readonly #encoder: BinaryRecordEncoder;
  readonly #buf: ByteSink;
  readonly #label: string;

  /** Throws VIOMMU_ERR_LOG_INVALID_RECORD naming the field if the header is not a valid LogHeader. */
  constructor(header: LogHeader, options: EventLogWriterOptions = {}) {
    this.#label = options.label ?? '<memory>';
    this.header = checkedHeader(header, this.#label);
    this.#encoder = new BinaryRecordEncoder(this.#label);
    this.#buf = new ByteSink(options.initialBytes ?? 1 << 16);
    writePreamble(this.#buf, this.header);
  }

  /**
   * Appends the next record. Throws VIOMMU_ERR_LOG_INVALID_RECORD (and keeps
   * the log as it was) for a seq that is not last + 1, t going back, a cause
   * that is not an earlier command, or a payload JSON cannot carry exactly.
   */
  append(record: LogRecord): void {
    this.#encoder.encodeFrame(record, this.#buf);
  }

  /** Number of records (= seq of the last one). */
  get count(): number {
    return this.#encoder.lastSeq;
  }

  /** Size of the binary log so far, without the end marker. */
  get byteLength(): number {
    return this.#buf.length;
  }

  /** The complete binary log (a copy, with its end marker). Canonical: the same records give the same bytes. */
  toBinary(): Uint8Array {
    const marker = endMarker(this.#encoder.lastSeq);
    const out = new Uint8Array(this.#buf.length + marker.length);
    out.set(this.#buf.bytes.subarray(0, this.#buf.length));
    out.set(marker, this.#buf.length);
    return out;
  }

  /** The log as JSON Lines. */
  toJsonl(): string {
    const parts: string[] = [];
    const w = new JsonlStreamWriter(this.header, (chunk) => parts.push(chunk), {
      chunkBytes: 1 << 20,
      label: this.#label,
    });
    for (const r of this.records()) w.append(r);
    w.close();
    return parts.join('');
  }

  /** The records appended so far, decoded from the buffer (later appends are not seen by a running iterator). */
  *records(): IterableIterator<LogRecord> {
    const bytes = this.toBinary();
    yield* new BinaryLogReader(bytes, this.#label);
  }
}
