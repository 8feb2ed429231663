/**
 * Binary log writers: the preamble and header, then one frame per record,
 * then the end marker on close. BinaryStreamWriter hands out chunks of at
 * least `chunkBytes` (64 KiB by default: perf-notes §5) to a sink, never one
 * write per record.
 */

import { BinaryRecordEncoder } from './binary-encoder.js';
import { BINARY_MAGIC } from './binary-format.js';
import { ByteSink } from './byte-sink.js';
import { frameChecksum } from './checksum.js';
import { LOG_ERROR_CODES, LogError } from './errors.js';
import { endMarker } from './frames.js';
import { headerJson, parseHeader } from './header.js';
import { LOG_FORMAT_VERSION, type LogHeader, type LogRecord } from './records.js';

const utf8 = new TextEncoder();

/** Checks a header given to a writer and returns it with keys in declared order. */
export function checkedHeader(header: LogHeader, label: string): LogHeader {
  return parseHeader(header, { file: label }, LOG_ERROR_CODES.INVALID_RECORD);
}

/** Writes magic, format version and the header frame (seq 0 in the checksum). */
export function writePreamble(out: ByteSink, header: LogHeader): void {
  for (const b of BINARY_MAGIC) out.u8(b);
  out.u32(LOG_FORMAT_VERSION);
  const json = utf8.encode(headerJson(header));
  out.varint(json.length);
  out.u32(frameChecksum(json, 0, json.length, 0));
  out.append(json);
}

export type ChunkSink = (chunk: Uint8Array) => void;

export interface StreamWriterOptions {
  /** Flush threshold in bytes (default 64 KiB). */
  readonly chunkBytes?: number;
  /** Name used in error messages. */
  readonly label?: string;
}

/** Streams a binary log to `sink` in chunks; call close() to write the end marker. */
export class BinaryStreamWriter {
  readonly header: LogHeader;
  readonly #encoder: BinaryRecordEncoder;
  readonly #sink: ChunkSink;
  readonly #buf: ByteSink;
  readonly #chunkBytes: number;
  #closed = false;

  constructor(header: LogHeader, sink: ChunkSink, options: StreamWriterOptions = {}) {
    const label = options.label ?? '<stream>';
    this.header = checkedHeader(header, label);
    this.#encoder = new BinaryRecordEncoder(label);
    this.#sink = sink;
    this.#chunkBytes = options.chunkBytes ?? 65536;
    this.#buf = new ByteSink(this.#chunkBytes + 4096);
    writePreamble(this.#buf, this.header);
  }

  /** Appends one record (validated: see BinaryRecordEncoder). */
  append(record: LogRecord): void {
    if (this.#closed)
      throw new LogError(LOG_ERROR_CODES.INVALID_RECORD, { file: this.#encoder.label }, 'writer is closed');
    this.#encoder.encodeFrame(record, this.#buf);
    if (this.#buf.length >= this.#chunkBytes) this.flush();
  }

  /** seq of the last record appended. */
  get lastSeq(): number {
    return this.#encoder.lastSeq;
  }

  /** Hands the buffered bytes to the sink now (each chunk is a fresh copy the sink may keep). */
  flush(): void {
    if (this.#buf.length === 0) return;
    this.#sink(this.#buf.toBytes());
    this.#buf.clear();
  }

  /** Writes the end marker and flushes. A log without it reads back as a run cut short. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#buf.append(endMarker(this.#encoder.lastSeq));
    this.flush();
  }
}

/** A whole log in binary (with its end marker). Throws VIOMMU_ERR_LOG_INVALID_RECORD for a record it cannot log. */
export function encodeBinary(header: LogHeader, records: Iterable<LogRecord>): Uint8Array {
  const chunks: Uint8Array[] = [];
  const w = new BinaryStreamWriter(header, (c) => chunks.push(c), { chunkBytes: 1 << 20 });
  for (const r of records) w.append(r);
  w.close();
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
