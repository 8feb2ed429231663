/**
 * Where a log reader gets its bytes: all of them in memory, or a file read in
 * windows of about 1 MiB, so a reader's memory does not grow with the log.
 * A ByteWindow keeps the bytes of [base, end) of the source in `bytes`;
 * ensure() slides and refills it so that a range is inside.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/** A read-only run of bytes of known size. */
export interface ByteSource {
  readonly size: number;
  /** Copies up to `length` bytes from `position` into `into[offset..]`; returns how many. */
  readAt(position: number, into: Uint8Array, offset: number, length: number): number;
  /** The bytes themselves, when they are all in memory (readers then use them in place). */
  readonly whole?: Uint8Array;
  /** Window size readers should use (default about 1 MiB; tests use tiny ones). */
  readonly windowBytes?: number;
  close(): void;
}

export function memorySource(bytes: Uint8Array): ByteSource {
  return {
    size: bytes.length,
    whole: bytes,
    readAt(position, into, offset, length) {
      const n = Math.max(0, Math.min(length, bytes.length - position));
      into.set(bytes.subarray(position, position + n), offset);
      return n;
    },
    close() {},
  };
}

/** A file read on demand; its size is taken when it is opened. Throws the fs error if it cannot be opened. */
export function fileSource(path: string): ByteSource {
  const fd = openSync(path, 'r');
  let open = true;
  let size: number;
  try {
    size = fstatSync(fd).size;
  } catch (e) {
    closeSync(fd);
    throw e;
  }
  return {
    size,
    readAt(position, into, offset, length) {
      let done = 0;
      while (done < length && position + done < size) {
        const n = readSync(fd, into, offset + done, length - done, position + done);
        if (n === 0) break;
        done += n;
      }
      return done;
    },
    close() {
      if (open) closeSync(fd);
      open = false;
    },
  };
}

/** Default window: large enough that refills cost nothing next to decoding (perf-notes §5: 64 KiB chunks). */
const WINDOW_BYTES = 1 << 20;

export class ByteWindow {
  readonly source: ByteSource;
  bytes: Uint8Array;
  /** How much a reader asks for at a time. */
  readonly windowBytes: number;
  /** Source offset of bytes[0]. */
  base = 0;
  /** Source offset just after the last valid byte of the window. */
  end = 0;

  constructor(source: ByteSource) {
    this.source = source;
    const windowBytes = source.windowBytes ?? WINDOW_BYTES;
    this.windowBytes = windowBytes;
    if (source.whole !== undefined) {
      this.bytes = source.whole;
      this.end = source.size;
    } else {
      this.bytes = new Uint8Array(Math.min(windowBytes, Math.max(16, source.size)));
    }
  }

  get size(): number {
    return this.source.size;
  }

  /**
   * Makes [pos, pos + n) available in the window (clipped at the source's end); returns whether
   * all n bytes are there. Bytes before `pos` may be dropped.
   */
  ensure(pos: number, n: number): boolean {
    const want = Math.min(pos + n, this.source.size);
    if (pos >= this.base && want <= this.end) return pos + n <= this.end;
    if (this.source.whole !== undefined) return false;
    // Readers move forward only: keep what is left from pos on, drop what is before it.
    const keepFrom = pos >= this.end ? pos : Math.max(this.base, pos);
    const kept = Math.max(0, this.end - keepFrom);
    if (want - pos > this.bytes.length) {
      const next = new Uint8Array(Math.max(want - pos, this.bytes.length * 2));
      next.set(this.bytes.subarray(keepFrom - this.base, this.end - this.base));
      this.bytes = next;
    } else if (kept > 0) {
      this.bytes.copyWithin(0, keepFrom - this.base, this.end - this.base);
    }
    this.base = keepFrom;
    this.end = keepFrom + kept;
    const got = this.source.readAt(this.end, this.bytes, kept, this.bytes.length - kept);
    this.end += got;
    return pos + n <= this.end;
  }
}
