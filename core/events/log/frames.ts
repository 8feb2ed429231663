/**
 * Frame boundaries of a binary log, without decoding payloads: what the
 * reader, the byte-level comparison and the end-marker check share.
 */
import {
  BINARY_MAGIC,
  BINARY_PREAMBLE_BYTES,
  END_MARKER_BYTES,
  END_MARKER_SEED,
  END_MARKER_TAG,
} from './binary-format.js';
import { frameChecksum } from './checksum.js';

/** Frames larger than this are refused (a varint of at most 4 bytes). */
export const MAX_FRAME_BYTES = 2 ** 28 - 1;

/** Result of locateFrame, reused (no allocation per frame). */
export interface FrameSpan {
  /** Offset of the checksum; the payload starts 4 bytes later. */
  checksumAt: number;
  payloadStart: number;
  payloadEnd: number;
}

/**
 * Reads the frame header at `o` (bytes before `end` only). Returns 'ok' and
 * fills `out`, 'incomplete' if the frame does not fit before `end`, 'end' for
 * a zero length (the end marker's first byte), 'bad' for an over-long length.
 */
export function locateFrame(
  bytes: Uint8Array,
  o: number,
  end: number,
  out: FrameSpan,
): 'ok' | 'incomplete' | 'end' | 'bad' {
  let len = 0;
  let p = o;
  for (let shift = 0; ; shift += 7) {
    if (p >= end) return 'incomplete';
    const b = bytes[p++];
    len |= (b & 0x7f) << shift;
    if (b < 0x80) break;
    if (shift === 21) return 'bad';
  }
  if (len === 0) return p - o === 1 ? 'end' : 'bad';
  out.checksumAt = p;
  out.payloadStart = p + 4;
  out.payloadEnd = p + 4 + len;
  return out.payloadEnd <= end ? 'ok' : 'incomplete';
}

export function storedChecksum(bytes: Uint8Array, at: number): number {
  return (bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16) | (bytes[at + 3] << 24)) >>> 0;
}

/** Whether the file starts with the binary magic (possibly cut inside it: `prefixOnly`). */
export function hasBinaryMagic(bytes: Uint8Array, prefixOnly = false): boolean {
  const n = prefixOnly ? Math.min(bytes.length, BINARY_MAGIC.length) : BINARY_MAGIC.length;
  if (bytes.length < n) return false;
  for (let i = 0; i < n; i++) if (bytes[i] !== BINARY_MAGIC[i]) return false;
  return true;
}

/** The 16-byte end marker for a log whose last record is `lastSeq`. */
export function endMarker(lastSeq: number): Uint8Array {
  const m = new Uint8Array(END_MARKER_BYTES);
  m.set(END_MARKER_TAG, 0);
  writeU32(m, 4, lastSeq >>> 0);
  writeU32(m, 8, Math.floor(lastSeq / 0x100000000));
  writeU32(m, 12, frameChecksum(m, 0, 12, END_MARKER_SEED));
  return m;
}

/** lastSeq from a valid end marker at `at`, or -1 when the bytes there are not one. */
export function readEndMarker(bytes: Uint8Array, at: number): number {
  if (at < BINARY_PREAMBLE_BYTES || at + END_MARKER_BYTES !== bytes.length) return -1;
  for (let i = 0; i < END_MARKER_TAG.length; i++) if (bytes[at + i] !== END_MARKER_TAG[i]) return -1;
  if (frameChecksum(bytes, at, at + 12, END_MARKER_SEED) !== storedChecksum(bytes, at + 12)) return -1;
  return storedChecksum(bytes, at + 4) + storedChecksum(bytes, at + 8) * 0x100000000;
}

/** Whether bytes[at, end) could be the start of an end marker cut short. */
export function isEndMarkerPrefix(bytes: Uint8Array, at: number, end: number): boolean {
  if (end - at >= END_MARKER_BYTES) return false;
  for (let i = 0; i < END_MARKER_TAG.length && at + i < end; i++)
    if (bytes[at + i] !== END_MARKER_TAG[i]) return false;
  return true;
}

export function writeU32(b: Uint8Array, at: number, v: number): void {
  b[at] = v;
  b[at + 1] = v >>> 8;
  b[at + 2] = v >>> 16;
  b[at + 3] = v >>> 24;
}
