/**
 * Where two runs part: the first record that differs, with the command that
 * caused it, so a failed replay says which input diverged, not just which
 * line. firstDivergence compares decoded records (against a BinaryLogReader,
 * encoded ones, decoding only those that differ); firstBinaryDivergence
 * compares two binary logs frame by frame without decoding (the encoding is
 * canonical, so equal records are equal bytes).
 */
import type { JsonValue } from '../../plugin/contract.js';
import { BINARY_PREAMBLE_BYTES, END_MARKER_BYTES } from './binary-format.js';
import { BinaryLogReader } from './binary-reader.js';
import { frameChecksum } from './checksum.js';
import { LOG_ERROR_CODES, LogError } from './errors.js';
import { type FrameSpan, hasBinaryMagic, locateFrame, storedChecksum } from './frames.js';
import type { CommandRecord, LogRecord } from './records.js';

export interface Divergence {
  /** seq of the first record that differs (or that only one side has). */
  readonly seq: number;
  /** The expected record at seq; null when the expected log ended first. */
  readonly expected: LogRecord | null;
  /** The actual record at seq; null when the actual log ended first. */
  readonly actual: LogRecord | null;
  /** For an event, the command that caused it, from the expected log (else the actual one); null for a command. */
  readonly cause: CommandRecord | null;
  /** The first field that differs: `kind`, `t`, `type`, `v`, `cause`, `data.iova`, `data.list[2]`... (absent when a side is missing). */
  readonly field?: string;
}

/** The first record where `actual` differs from `expected` (payload key order counts), or null if none. */
export function firstDivergence(
  expected: Iterable<LogRecord>,
  actual: Iterable<LogRecord>,
): Divergence | null {
  if (Array.isArray(expected) && Array.isArray(actual)) return firstArrayDivergence(expected, actual);
  // A binary log is compared in its encoded form, record by record, and decoded only where it differs.
  const encoded = actual instanceof BinaryLogReader ? actual : null;
  // Commands seen so far, to name the cause of a diverging event (nested commands make it not always the last one).
  const commandsE = new Map<number, CommandRecord>();
  const commandsA = new Map<number, CommandRecord>();
  const ie = expected[Symbol.iterator]();
  const ia = actual[Symbol.iterator]();
  for (;;) {
    const ne = ie.next();
    const e = ne.done ? null : ne.value;
    if (e?.kind === 'command') rememberCommand(commandsE, e);
    if (e !== null && encoded?.skipIfEqual(e)) continue;
    const na = ia.next();
    const a = na.done ? null : na.value;
    if (e === null && a === null) return null;
    if (a?.kind === 'command') rememberCommand(commandsA, a);
    const field = e === null || a === null ? undefined : recordDiff(e, a);
    if (e !== null && a !== null && field === undefined) continue;
    return divergenceAt(e, a, field, (seq) => commandsE.get(seq) ?? commandsA.get(seq) ?? null);
  }
}

/** How many recent commands are kept to name a divergence's cause (an event's cause is a recent command). */
export const RECENT_COMMANDS = 4096;

/** Remembers `c` among the recent commands, forgetting the oldest: memory stays bounded on long logs. */
export function rememberCommand(commands: Map<number, CommandRecord>, c: CommandRecord): void {
  commands.set(c.seq, c);
  if (commands.size > RECENT_COMMANDS) commands.delete(commands.keys().next().value!);
}

/** The Divergence of two records that differ (or of one alone), naming the cause through `commandOf`. */
export function divergenceAt(
  e: LogRecord | null,
  a: LogRecord | null,
  field: string | undefined,
  commandOf: (seq: number) => CommandRecord | null,
): Divergence {
  const ev = e?.kind === 'event' ? e : a?.kind === 'event' ? a : null;
  const cause = ev?.kind === 'event' ? commandOf(ev.cause) : null;
  const seq = (e ?? a)!.seq;
  return field === undefined
    ? { seq, expected: e, actual: a, cause }
    : { seq, expected: e, actual: a, cause, field };
}

/** firstDivergence over two arrays: the same answer, without remembering every command on the way. */
function firstArrayDivergence(
  expected: readonly LogRecord[],
  actual: readonly LogRecord[],
): Divergence | null {
  const n = Math.max(expected.length, actual.length);
  for (let i = 0; i < n; i++) {
    const e = i < expected.length ? expected[i] : null;
    const a = i < actual.length ? actual[i] : null;
    const field = e === null || a === null ? undefined : recordDiff(e, a);
    if (e !== null && a !== null && field === undefined) continue;
    return divergenceAt(
      e,
      a,
      field,
      (seq) => commandBefore(expected, i, seq) ?? commandBefore(actual, i, seq),
    );
  }
  return null;
}

/** The last command with this seq among records[0..i], or null (run once, on the way out). */
function commandBefore(records: readonly LogRecord[], i: number, seq: number): CommandRecord | null {
  for (let j = Math.min(i, records.length - 1); j >= 0; j--) {
    const r = records[j];
    if (r.kind === 'command' && r.seq === seq) return r;
  }
  return null;
}

/** The first differing field of two records, or undefined if they are equal. */
export function recordDiff(e: LogRecord, a: LogRecord): string | undefined {
  if (e.kind !== a.kind) return 'kind';
  if (e.seq !== a.seq) return 'seq';
  if (e.t !== a.t) return 't';
  if (e.type !== a.type) return 'type';
  if (e.v !== a.v) return 'v';
  if (e.kind === 'event' && a.kind === 'event' && e.cause !== a.cause) return 'cause';
  const d = valueDiff(e.data, a.data);
  return d === undefined ? undefined : `data${d}`;
}

/**
 * undefined when equal, else the path of the first difference below this value
 * ('' for the value itself). Allocation-free while values are equal: replay
 * compares every record, so paths are built only on the way out of a difference,
 * and object keys go on a shared stack instead of Object.keys arrays.
 */
function valueDiff(e: JsonValue | undefined, a: JsonValue | undefined): string | undefined {
  if (e === a) return undefined;
  if (typeof e !== 'object' || typeof a !== 'object' || e === null || a === null) return '';
  const ea = Array.isArray(e);
  if (ea !== Array.isArray(a)) return '';
  if (ea) {
    const x = e as readonly JsonValue[];
    const y = a as readonly JsonValue[];
    for (let i = 0; i < x.length && i < y.length; i++) {
      const d = valueDiff(x[i], y[i]);
      if (d !== undefined) return `[${i}]${d}`;
    }
    return x.length === y.length ? undefined : `[${Math.min(x.length, y.length)}]`;
  }
  return objectDiff(e as { readonly [k: string]: JsonValue }, a as { readonly [k: string]: JsonValue });
}

/** Keys of the objects being compared, outermost first (nested calls push above their caller's). */
const keyStack: string[] = [];

/** Keys compared in order (so key order counts), each key's value right after its key, as JSON reads them. */
function objectDiff(
  x: { readonly [k: string]: JsonValue },
  y: { readonly [k: string]: JsonValue },
): string | undefined {
  const base = keyStack.length;
  for (const k in x) keyStack.push(k);
  const n = keyStack.length - base;
  let i = 0;
  let found: string | undefined;
  for (const k in y) {
    if (i >= n) {
      found = `.${k}`;
      break;
    }
    const kx = keyStack[base + i];
    if (k !== kx) {
      found = `.${kx}`;
      break;
    }
    const d = valueDiff(x[k], y[k]);
    if (d !== undefined) {
      found = `.${k}${d}`;
      break;
    }
    i++;
  }
  if (found === undefined && i < n) found = `.${keyStack[base + i]}`;
  keyStack.length = base;
  return found;
}

export interface BinaryDivergence {
  /** seq of the first frame that differs (or that only one log has). */
  readonly seq: number;
  /** Byte offsets of that frame in each log (where the log ends, for the side that has no such frame). */
  readonly expectedOffset: number;
  readonly actualOffset: number;
}

/**
 * Compares the records of two binary logs frame by frame, checking each
 * frame's checksum but decoding nothing; headers are not compared. Returns
 * null when the record sequences are identical. For the records themselves,
 * run firstDivergence over two BinaryLogReaders. Throws VIOMMU_ERR_LOG_CORRUPT
 * naming the log and record for a damaged frame.
 */
export function firstBinaryDivergence(
  expected: Uint8Array,
  actual: Uint8Array,
  names: { readonly expected?: string; readonly actual?: string } = {},
): BinaryDivergence | null {
  const ne = names.expected ?? 'expected';
  const na = names.actual ?? 'actual';
  const se: FrameSpan = { checksumAt: 0, payloadStart: 0, payloadEnd: 0 };
  const sa: FrameSpan = { checksumAt: 0, payloadStart: 0, payloadEnd: 0 };
  let oe = skipHeader(expected, ne, se);
  let oa = skipHeader(actual, na, sa);
  for (let seq = 1; ; seq++) {
    const fe = frame(expected, oe, seq, ne, se);
    const fa = frame(actual, oa, seq, na, sa);
    if (!fe && !fa) return null;
    if (!fe || !fa) return { seq, expectedOffset: oe, actualOffset: oa };
    const len = se.payloadEnd - oe;
    if (len !== sa.payloadEnd - oa || !sameBytes(expected, oe, actual, oa, len)) {
      return { seq, expectedOffset: oe, actualOffset: oa };
    }
    oe = se.payloadEnd;
    oa = sa.payloadEnd;
  }
}

function skipHeader(bytes: Uint8Array, name: string, s: FrameSpan): number {
  if (!hasBinaryMagic(bytes) || locateFrame(bytes, BINARY_PREAMBLE_BYTES, bytes.length, s) !== 'ok') {
    throw new LogError(
      LOG_ERROR_CODES.CORRUPT,
      { file: name, byteOffset: 0 },
      'not a readable binary event log',
    );
  }
  return s.payloadEnd;
}

/** Locates and checks the frame at o; false at the end of the records (end marker or end of bytes). */
function frame(bytes: Uint8Array, o: number, seq: number, name: string, s: FrameSpan): boolean {
  if (o >= bytes.length) return false;
  const status = locateFrame(bytes, o, bytes.length, s);
  if (status === 'end' && bytes.length - o === END_MARKER_BYTES) return false;
  if (status === 'incomplete') return false;
  if (
    status !== 'ok' ||
    frameChecksum(bytes, s.payloadStart, s.payloadEnd, seq) !== storedChecksum(bytes, s.checksumAt)
  ) {
    throw new LogError(
      LOG_ERROR_CODES.CORRUPT,
      { file: name, seq, byteOffset: o },
      'checksum mismatch (the record is damaged)',
    );
  }
  return true;
}

function sameBytes(x: Uint8Array, ox: number, y: Uint8Array, oy: number, n: number): boolean {
  for (let i = 0; i < n; i++) if (x[ox + i] !== y[oy + i]) return false;
  return true;
}
