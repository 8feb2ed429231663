/**
 * JSON Lines encoding: line 1 the header, then one record per line, then an
 * end line (`{"kind":"end","records":N,...}`), every line ending in "\n" and
 * sealed with a chained sum (line-seal.ts) as its last field, envelope keys in
 * declared order (kind, seq, t, type, v, cause, data) and payload keys in the
 * order they were made, so golden logs diff line by line. The export and
 * debugging format: the binary one is the fast path (perf-notes §5).
 */
import { BinaryRecordEncoder } from './binary-encoder.js';
import type { ChunkSink, StreamWriterOptions } from './binary-writer.js';
import { checkedHeader } from './binary-writer.js';
import { ByteSink } from './byte-sink.js';
import { headerJson } from './header.js';
import { endLineBody, SEAL_START, sealLine } from './line-seal.js';
import type { LogHeader, LogRecord } from './records.js';

/** One record as JSON without its closing brace (the line's body, before its seal). Not checked. */
export function recordBody(r: LogRecord): string {
  const head = `{"kind":"${r.kind}","seq":${r.seq},"t":${r.t},"type":${JSON.stringify(r.type)},"v":${r.v}`;
  return r.kind === 'event'
    ? `${head},"cause":${r.cause},"data":${JSON.stringify(r.data)}`
    : `${head},"data":${JSON.stringify(r.data)}`;
}

/** One record as unsealed JSON (without the "\n"). The record is not checked: see JsonlStreamWriter. */
export function recordLine(r: LogRecord): string {
  return `${recordBody(r)}}`;
}

/** A whole log as JSON Lines. Checks the records as the writers do (throws VIOMMU_ERR_LOG_INVALID_RECORD). */
export function encodeJsonl(header: LogHeader, records: Iterable<LogRecord>): string {
  const parts: string[] = [];
  const w = new JsonlStreamWriter(header, (chunk) => parts.push(chunk), { chunkBytes: 1 << 20 });
  for (const r of records) w.append(r);
  w.close();
  return parts.join('');
}

/**
 * Streams JSON Lines to `sink` in chunks of at least `chunkBytes` characters
 * (64 Ki by default), never one write per line. Records are validated with
 * the binary encoder's rules, so a JSONL log always converts to binary.
 */
export class JsonlStreamWriter {
  readonly header: LogHeader;
  readonly #check: BinaryRecordEncoder;
  readonly #scratch = new ByteSink(1024);
  readonly #sink: (chunk: string) => void;
  readonly #chunkChars: number;
  #lines: string[] = [];
  #chars = 0;
  #closed = false;
  #sum = SEAL_START;

  constructor(header: LogHeader, sink: (chunk: string) => void, options: StreamWriterOptions = {}) {
    const label = options.label ?? '<stream>';
    this.header = checkedHeader(header, label);
    this.#check = new BinaryRecordEncoder(label);
    this.#sink = sink;
    this.#chunkChars = options.chunkBytes ?? 65536;
    const h = headerJson(this.header);
    this.#push(h.slice(0, -1));
  }

  append(record: LogRecord): void {
    this.#scratch.clear();
    this.#check.encodeFrame(record, this.#scratch);
    this.#push(recordBody(record));
  }

  /** seq of the last record appended. */
  get lastSeq(): number {
    return this.#check.lastSeq;
  }

  /** Seals `body` (a JSON object without its closing brace) after the previous line and buffers it. */
  #push(body: string): void {
    if (this.#closed) throw new Error('JsonlStreamWriter: append after close');
    const { line, sum } = sealLine(this.#sum, body);
    this.#sum = sum;
    this.#lines.push(line);
    this.#chars += line.length + 1;
    if (this.#chars >= this.#chunkChars) this.flush();
  }

  flush(): void {
    if (this.#lines.length === 0) return;
    this.#lines.push('');
    this.#sink(this.#lines.join('\n'));
    this.#lines = [];
    this.#chars = 0;
  }

  /** Writes the end line and flushes. A log without it reads back as a run cut short. */
  close(): void {
    if (this.#closed) return;
    this.#push(endLineBody(this.#check.lastSeq));
    this.flush();
    this.#closed = true;
  }
}

/** Adapts a byte sink (a file) to the string chunks of JsonlStreamWriter. */
export function utf8Chunks(sink: ChunkSink): (chunk: string) => void {
  const enc = new TextEncoder();
  return (chunk) => sink(enc.encode(chunk));
}
