/**
 * Reads a binary log (layout in binary-format.ts): checks every frame's
 * checksum, decodes and validates the records, and tells a run cut short
 * (no end marker: the complete records, then a report or a TRUNCATED error)
 * from damage (a checksum, a length or a value that is wrong: CORRUPT, naming
 * the record seq and byte offset).
 */

import { BinaryRecordDecoder, DecodeFailure } from './binary-decoder.js';
import { BINARY_MAGIC, BINARY_PREAMBLE_BYTES, END_MARKER_BYTES, END_MARKER_TAG } from './binary-format.js';
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
  readonly #bytes: Uint8Array;
  readonly #strict: boolean;
  readonly #recordsEnd: number;
  readonly #markerSeq: number;
  readonly #decoder: BinaryRecordDecoder;
  readonly #span: FrameSpan = { checksumAt: 0, payloadStart: 0, payloadEnd: 0 };
  #offset: number;
  #done = false;

  /** Reads the preamble and header; throws a LogError if they are unreadable. */
  constructor(bytes: Uint8Array, file: string, options: ReadOptions = {}) {
    this.file = file;
    this.#bytes = bytes;
    this.#strict = options.mode !== 'lenient';
    this.#decoder = new BinaryRecordDecoder(options.types);
    if (!hasBinaryMagic(bytes)) {
      if (hasBinaryMagic(bytes, true))
        this.#fail(LOG_ERROR_CODES.TRUNCATED, 0, undefined, 'file cut short inside the preamble');
      this.#fail(LOG_ERROR_CODES.CORRUPT, 0, undefined, 'not a viommu binary event log (bad magic bytes)');
    }
    if (bytes.length < BINARY_PREAMBLE_BYTES)
      this.#fail(LOG_ERROR_CODES.TRUNCATED, 0, undefined, 'file cut short inside the preamble');
    const version = storedChecksum(bytes, BINARY_MAGIC.length);
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

    const markerAt = bytes.length - END_MARKER_BYTES;
    this.#markerSeq = readEndMarker(bytes, markerAt);
    this.closed = this.#markerSeq >= 0;
    this.#recordsEnd = this.closed ? markerAt : bytes.length;

    const s = this.#span;
    const status = locateFrame(bytes, BINARY_PREAMBLE_BYTES, this.#recordsEnd, s);
    if (status === 'incomplete' && !this.closed)
      this.#fail(
        LOG_ERROR_CODES.TRUNCATED,
        BINARY_PREAMBLE_BYTES,
        undefined,
        'file cut short inside the header',
      );
    if (status !== 'ok')
      this.#fail(LOG_ERROR_CODES.CORRUPT, BINARY_PREAMBLE_BYTES, undefined, 'header frame is damaged');
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
    this.recordsStart = s.payloadEnd;
    this.#offset = s.payloadEnd;
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
    return this.#bytes.length;
  }

  /** seq of the last record returned. */
  get lastSeq(): number {
    return this.#decoder.lastSeq;
  }

  /** The next record, or null at the end of the log (where a strict read of a log cut short throws). */
  next(): LogRecord | null {
    if (this.#done) return null;
    const bytes = this.#bytes;
    const o = this.#offset;
    const s = this.#span;
    const seq = this.#decoder.lastSeq + 1;
    if (o >= this.#recordsEnd) return this.#finish(o);
    const status = locateFrame(bytes, o, this.#recordsEnd, s);
    if (status !== 'ok') {
      if (
        !this.closed &&
        (status === 'incomplete' || (status === 'end' && isEndMarkerPrefix(bytes, o, this.#recordsEnd)))
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
    this.#offset = s.payloadEnd;
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
    const bytes = this.#bytes;
    const o = this.#offset;
    const s = this.#span;
    if (o >= this.#recordsEnd || locateFrame(bytes, o, this.#recordsEnd, s) !== 'ok') return false;
    const seq = this.#decoder.lastSeq + 1;
    if (frameChecksum(bytes, s.payloadStart, s.payloadEnd, seq) !== storedChecksum(bytes, s.checksumAt))
      return false;
    if (!this.#decoder.matches(bytes, s.payloadStart, s.payloadEnd, expected)) return false;
    this.#offset = s.payloadEnd;
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
    if (looksLikeDamagedEndMarker(this.#bytes, o)) {
      this.#fail(LOG_ERROR_CODES.CORRUPT, o, undefined, `damaged end marker after record seq ${last}`);
    }
    if (this.#strict) {
      if (o < this.#bytes.length)
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
function looksLikeDamagedEndMarker(bytes: Uint8Array, o: number): boolean {
  if (bytes.length - o !== END_MARKER_BYTES) return false;
  let off = 0;
  for (let i = 0; i < END_MARKER_TAG.length; i++) if (bytes[o + i] !== END_MARKER_TAG[i]) off++;
  return off <= 1;
}

/** Reads a whole binary log. Throws a LogError (CORRUPT, VERSION, TRUNCATED, UNKNOWN_TYPE) naming the record and byte. */
export function readBinary(bytes: Uint8Array, file: string, options: ReadOptions = {}): LogContents {
  const reader = new BinaryLogReader(bytes, file, options);
  const records: LogRecord[] = [];
  for (let r = reader.next(); r !== null; r = reader.next()) records.push(r);
  return { format: 'binary', header: reader.header, records, truncated: reader.truncated, sealed: true };
}
