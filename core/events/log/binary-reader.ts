/**
 * Reads a binary log (layout in binary-format.ts): checks every frame's
 * checksum, decodes and validates the records, and tells a run cut short
 * (no end marker: the complete records, then a report or a TRUNCATED error)
 * from damage (a checksum, a length or a value that is wrong: CORRUPT, naming
 * the record seq and byte offset).
 */

import { BinaryRecordDecoder, DecodeFailure } from './binary-decoder.js';
import { BINARY_MAGIC, BINARY_PREAMBLE_BYTES, END_MARKER_BYTES, END_MARKER_TAG } from './binary-format.js';
import { type ByteSource, ByteWindow, memorySource } from './byte-source.js';
import { frameChecksum } from './checksum.js';
import { LOG_ERROR_CODES, LogError } from './errors.js';
import {
  type FrameSpan,
  hasBinaryMagic,
  isEndMarkerPrefix,
  locateFrame,
  readEndMarker,
  storedChecksum,
} from './frames.js';
import { parseHeader } from './header.js';
import type { LogContents, ReadOptions, TruncationReport } from './read-types.js';
import { LOG_FORMAT_VERSION, type LogHeader, type LogRecord } from './records.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A cursor over the records of a binary log; `readBinary` collects them all. */
export class BinaryLogReader implements Iterable<LogRecord> {
  readonly file: string;
  readonly header: LogHeader;
  /** Byte offset of the first record frame. */
  readonly recordsStart: number;
  /** Whether the file ends with a valid end marker (it was closed by its writer). */
  readonly closed: boolean;
  /** Set at the end of a lenient read of a log cut short. */
  truncated: TruncationReport | null = null;
  readonly #win: ByteWindow;
  readonly #strict: boolean;
  readonly #recordsEnd: number;
  readonly #markerSeq: number;
  readonly #decoder: BinaryRecordDecoder;
  readonly #span: FrameSpan = { checksumAt: 0, payloadStart: 0, payloadEnd: 0 };
  #offset: number;
  #done = false;

  /**
   * Reads the preamble and header; throws a LogError if they are unreadable. Bytes may be a
   * ByteSource over a file: frames are then read a window (about 1 MiB) at a time.
   */
  constructor(input: Uint8Array | ByteSource, file: string, options: ReadOptions = {}) {
    this.file = file;
    const win = new ByteWindow(input instanceof Uint8Array ? memorySource(input) : input);
    this.#win = win;
    this.#strict = options.mode !== 'lenient';
    this.#decoder = new BinaryRecordDecoder(options.types);
    const size = win.size;
    win.ensure(0, BINARY_PREAMBLE_BYTES);
    const head = win.bytes.subarray(0, Math.min(size, BINARY_PREAMBLE_BYTES));
    if (!hasBinaryMagic(head)) {
      if (hasBinaryMagic(head, true))
        this.#fail(LOG_ERROR_CODES.TRUNCATED, 0, undefined, 'file cut short inside the preamble');
      this.#fail(LOG_ERROR_CODES.CORRUPT, 0, undefined, 'not a viommu binary event log (bad magic bytes)');
    }
    if (size < BINARY_PREAMBLE_BYTES)
      this.#fail(LOG_ERROR_CODES.TRUNCATED, 0, undefined, 'file cut short inside the preamble');
    const version = storedChecksum(head, BINARY_MAGIC.length);
    if (version > LOG_FORMAT_VERSION) {
      this.#fail(
        LOG_ERROR_CODES.VERSION,
        8,
        undefined,
        `format version ${version} is newer than this reader (${LOG_FORMAT_VERSION}); use a newer viommu`,
      );
    }
    if (version < 1)
      this.#fail(LOG_ERROR_CODES.CORRUPT, 8, undefined, `format version ${version} does not exist`);

    const markerAt = size - END_MARKER_BYTES;
    this.#markerSeq = markerAt < BINARY_PREAMBLE_BYTES ? -1 : tailMarkerSeq(win.source, markerAt);
    this.closed = this.#markerSeq >= 0;
    this.#recordsEnd = this.closed ? markerAt : size;

    const s = this.#span;
    const status = this.#locate(BINARY_PREAMBLE_BYTES);
    if (status === 'incomplete' && !this.closed)
      this.#fail(
        LOG_ERROR_CODES.TRUNCATED,
        BINARY_PREAMBLE_BYTES,
        undefined,
        'file cut short inside the header',
      );
    if (status !== 'ok')
      this.#fail(LOG_ERROR_CODES.CORRUPT, BINARY_PREAMBLE_BYTES, undefined, 'header frame is damaged');
    const bytes = win.bytes;
    if (frameChecksum(bytes, s.payloadStart, s.payloadEnd, 0) !== storedChecksum(bytes, s.checksumAt)) {
      this.#fail(LOG_ERROR_CODES.CORRUPT, BINARY_PREAMBLE_BYTES, undefined, 'header checksum mismatch');
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(utf8.decode(bytes.subarray(s.payloadStart, s.payloadEnd)));
    } catch {
      this.#fail(LOG_ERROR_CODES.CORRUPT, BINARY_PREAMBLE_BYTES, undefined, 'header is not UTF-8 JSON');
    }
    this.header = parseHeader(parsed, { file, byteOffset: BINARY_PREAMBLE_BYTES });
    this.recordsStart = win.base + s.payloadEnd;
    this.#offset = this.recordsStart;
  }

  /**
   * Locates the frame at source offset `o` (before #recordsEnd), reading more of the source as
   * needed. The span's offsets are into the window's bytes (valid until the next call).
   */
  #locate(o: number): 'ok' | 'incomplete' | 'end' | 'bad' {
    const w = this.#win;
    const s = this.#span;
    const limit = this.#recordsEnd;
    // A frame header is at most 4 varint bytes and a 4-byte checksum.
    w.ensure(o, 8);
    s.payloadEnd = -1;
    let status = locateFrame(w.bytes, o - w.base, Math.min(limit, w.end) - w.base, s);
    if (status === 'incomplete' && w.end < limit && s.payloadEnd >= 0) {
      w.ensure(o, s.payloadEnd + w.base - o);
      status = locateFrame(w.bytes, o - w.base, Math.min(limit, w.end) - w.base, s);
    }
    return status;
  }

  /** Byte offset of the next frame. */
  get offset(): number {
    return this.#offset;
  }

  /** How far the reader is, and how far it can go, in bytes (for progress). */
  get position(): number {
    return this.#offset;
  }
  get size(): number {
    return this.#win.size;
  }

  /** seq of the last record returned. */
  get lastSeq(): number {
    return this.#decoder.lastSeq;
  }

  /** The next record, or null at the end of the log (where a strict read of a log cut short throws). */
  next(): LogRecord | null {
    if (this.#done) return null;
    const o = this.#offset;
    const s = this.#span;
    const seq = this.#decoder.lastSeq + 1;
    if (o >= this.#recordsEnd) return this.#finish(o);
    const status = this.#locate(o);
    const w = this.#win;
    const bytes = w.bytes;
    if (status !== 'ok') {
      if (
        !this.closed &&
        (status === 'incomplete' ||
          (status === 'end' && isEndMarkerPrefix(bytes, o - w.base, this.#recordsEnd - w.base)))
      ) {
        return this.#finish(o);
      }
      if (status === 'end')
        this.#fail(LOG_ERROR_CODES.CORRUPT, o, undefined, `damaged end marker after record seq ${seq - 1}`);
      this.#fail(LOG_ERROR_CODES.CORRUPT, o, seq, 'frame length is damaged');
    }
    if (frameChecksum(bytes, s.payloadStart, s.payloadEnd, seq) !== storedChecksum(bytes, s.checksumAt)) {
      this.#fail(LOG_ERROR_CODES.CORRUPT, o, seq, 'checksum mismatch (the record is damaged)');
    }
    let r: LogRecord;
    try {
      r = this.#decoder.decode(bytes, s.payloadStart, s.payloadEnd);
    } catch (e) {
      if (!(e instanceof DecodeFailure)) throw e;
      const code = e.unknownType ? LOG_ERROR_CODES.UNKNOWN_TYPE : LOG_ERROR_CODES.CORRUPT;
      throw new LogError(
        code,
        { file: this.file, seq, byteOffset: o, field: e.field },
        e.unknownType ? e.message : `${e.field}: ${e.message}`,
      );
    }
    this.#offset = w.base + s.payloadEnd;
    return r;
  }

  /**
   * Consumes the next record and returns true if it equals `expected` (as recordDiff decides:
   * every field, key order included). Checks the frame and its checksum like next(), then
   * compares the encoded record with `expected` in one pass, without building it. Otherwise it
   * consumes nothing and returns false: next() then returns the record that differs, or null at
   * the end of the log, or throws for damage, so a check loop gets the same answers and errors
   * as one built on next() and recordDiff.
   */
  skipIfEqual(expected: LogRecord): boolean {
    if (this.#done) return false;
    const o = this.#offset;
    const s = this.#span;
    if (o >= this.#recordsEnd || this.#locate(o) !== 'ok') return false;
    const w = this.#win;
    const bytes = w.bytes;
    const seq = this.#decoder.lastSeq + 1;
    if (frameChecksum(bytes, s.payloadStart, s.payloadEnd, seq) !== storedChecksum(bytes, s.checksumAt))
      return false;
    if (!this.#decoder.matches(bytes, s.payloadStart, s.payloadEnd, expected)) return false;
    this.#offset = w.base + s.payloadEnd;
    return true;
  }

  *[Symbol.iterator](): Iterator<LogRecord> {
    for (let r = this.next(); r !== null; r = this.next()) yield r;
  }

  #finish(o: number): null {
    this.#done = true;
    const last = this.#decoder.lastSeq;
    if (this.closed) {
      if (last !== this.#markerSeq) {
        this.#fail(
          LOG_ERROR_CODES.CORRUPT,
          o,
          undefined,
          `end marker says the last record is seq ${this.#markerSeq}, the log has ${last}`,
        );
      }
      return null;
    }
    if (looksLikeDamagedEndMarker(this.#win.source, o)) {
      this.#fail(LOG_ERROR_CODES.CORRUPT, o, undefined, `damaged end marker after record seq ${last}`);
    }
    if (this.#strict) {
      if (o < this.#win.size)
        this.#fail(LOG_ERROR_CODES.TRUNCATED, o, last + 1, 'record is cut short (a run cut short?)');
      this.#fail(
        LOG_ERROR_CODES.TRUNCATED,
        o,
        undefined,
        `log ends after record seq ${last} without its end marker (a run cut short?)`,
      );
    }
    this.truncated = { truncatedAt: o, lastSeq: last };
    return null;
  }

  #fail(code: LogError['code'], byteOffset: number, seq: number | undefined, problem: string): never {
    throw new LogError(
      code,
      seq === undefined ? { file: this.file, byteOffset } : { file: this.file, seq, byteOffset },
      problem,
    );
  }
}

/**
 * An end marker with one byte changed (its checksum fails, or its length byte no
 * longer reads as zero): exactly END_MARKER_BYTES left and at most one tag byte off.
 * A run cut short cannot leave this: a frame never starts with a zero byte, and
 * "END" after a non-zero length byte is a 1 in 2^24 accident.
 */
function looksLikeDamagedEndMarker(source: ByteSource, o: number): boolean {
  if (source.size - o !== END_MARKER_BYTES) return false;
  const tag = new Uint8Array(END_MARKER_TAG.length);
  source.readAt(o, tag, 0, tag.length);
  let off = 0;
  for (let i = 0; i < END_MARKER_TAG.length; i++) if (tag[i] !== END_MARKER_TAG[i]) off++;
  return off <= 1;
}

/** lastSeq from a valid end marker at the end of the source, or -1. */
function tailMarkerSeq(source: ByteSource, at: number): number {
  const tail = new Uint8Array(END_MARKER_BYTES);
  source.readAt(at, tail, 0, END_MARKER_BYTES);
  // readEndMarker checks a marker that ends its buffer after a preamble: give it that shape.
  const shaped = new Uint8Array(BINARY_PREAMBLE_BYTES + END_MARKER_BYTES);
  shaped.set(tail, BINARY_PREAMBLE_BYTES);
  return readEndMarker(shaped, BINARY_PREAMBLE_BYTES);
}

/** Reads a whole binary log. Throws a LogError (CORRUPT, VERSION, TRUNCATED, UNKNOWN_TYPE) naming the record and byte. */
export function readBinary(
  bytes: Uint8Array | ByteSource,
  file: string,
  options: ReadOptions = {},
): LogContents {
  const reader = new BinaryLogReader(bytes, file, options);
  const records: LogRecord[] = [];
  for (let r = reader.next(); r !== null; r = reader.next()) records.push(r);
  return { format: 'binary', header: reader.header, records, truncated: reader.truncated, sealed: true };
}
