/**
 * Log files: the stream writers with a file descriptor as the sink. Writes
 * are synchronous, in chunks of at least 64 KiB (perf-notes §5) or when the
 * owner calls flush() (the run flushes every 100 ms), so a run that dies
 * leaves a file holding every chunk written, which reads back up to its last
 * complete record.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { BinaryStreamWriter, type StreamWriterOptions } from './binary-writer.js';
import { JsonlStreamWriter, utf8Chunks } from './jsonl.js';
import type { LogHeader, LogRecord } from './records.js';

function writeAll(fd: number, chunk: Uint8Array): void {
  for (let off = 0; off < chunk.length; ) off += writeSync(fd, chunk, off, chunk.length - off);
}

/** A log being written to a file. */
export interface FileLogWriter {
  readonly path: string;
  append(record: LogRecord): void;
  /** Writes what is buffered now (normally chunks go out as they fill). */
  flush(): void;
  /** Writes the rest (and the binary end marker or JSON Lines end line) and closes the file. */
  close(): void;
  /**
   * Writes what is buffered and closes the file without marking it complete: for a run that
   * failed, whose log must read as cut short, not as a whole run.
   */
  abandon(): void;
}

type StreamLike = Omit<FileLogWriter, 'path' | 'abandon'>;

class FileWriter implements FileLogWriter {
  readonly path: string;
  readonly #fd: number;
  readonly #inner: StreamLike;
  #open = true;

  constructor(path: string, make: (sink: (chunk: Uint8Array) => void) => StreamLike) {
    this.path = path;
    this.#fd = openSync(path, 'w');
    try {
      this.#inner = make((chunk) => writeAll(this.#fd, chunk));
    } catch (e) {
      closeSync(this.#fd);
      throw e;
    }
  }

  append(record: LogRecord): void {
    this.#inner.append(record);
  }

  flush(): void {
    this.#inner.flush();
  }

  close(): void {
    if (!this.#open) return;
    this.#open = false;
    try {
      this.#inner.close();
    } finally {
      closeSync(this.#fd);
    }
  }

  abandon(): void {
    if (!this.#open) return;
    this.#open = false;
    try {
      this.#inner.flush();
    } finally {
      closeSync(this.#fd);
    }
  }
}

/** Creates (or replaces) a binary log file; append records, then close() to mark it complete. */
export function openBinaryLogFile(
  path: string,
  header: LogHeader,
  options: StreamWriterOptions = {},
): FileLogWriter {
  return new FileWriter(path, (sink) => new BinaryStreamWriter(header, sink, { label: path, ...options }));
}

/** Creates (or replaces) a JSON Lines log file. */
export function openJsonlLogFile(
  path: string,
  header: LogHeader,
  options: StreamWriterOptions = {},
): FileLogWriter {
  return new FileWriter(
    path,
    (sink) => new JsonlStreamWriter(header, utf8Chunks(sink), { label: path, ...options }),
  );
}
