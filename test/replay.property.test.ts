/**
 * Replay as a property over random scenarios on the flat, VT-d and AMD-Vi
 * plugins, run through the real scenario compiler and runner:
 * - run → log → replay reproduces the log byte for byte, from either encoding
 *   and in both encodings;
 * - altering one record is reported as the first divergence at exactly that
 *   record (by replay for events, by a log-to-log diff for any record);
 * - a log cut at any byte reads back up to its last complete record, and its
 *   replay reproduces every one of them.
 */

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { firstBinaryDivergence, firstDivergence } from '../core/events/log/divergence.js';
import { LogError } from '../core/events/log/errors.js';
import { EventLogWriter } from '../core/events/log/event-log-writer.js';
import { locateFrame } from '../core/events/log/frames.js';
import { resealText } from '../core/events/log/line-seal.js';
import { openLog } from '../core/events/log/read-log.js';
import type { LogContents, ReadOptions } from '../core/events/log/read-types.js';
import type { LogHeader, LogRecord } from '../core/events/log/records.js';
import type { JsonObject, JsonValue } from '../core/plugin/contract.js';
import { encodeLog, type LogFormat, readLogBytes } from '../core/replay/log-io.js';
import { type ReplayResult, replayLog, replayRecords } from '../core/replay/replay.js';
import { runTarget } from '../core/scenario/runner.js';
import type { Scenario } from '../core/scenario/types.js';
import { scenarioArb, scenarioHost } from './scenario-arbitrary.test-support.js';

const host = scenarioHost();
const FORMATS: readonly LogFormat[] = ['binary', 'jsonl'];
const utf8 = new TextDecoder();

interface Run {
  readonly header: LogHeader;
  readonly records: readonly LogRecord[];
  readonly bytes: { readonly [F in LogFormat]: Uint8Array };
}

/** Runs target `t` of the scenario and encodes its log as the CLI writes it. */
function runLog(s: Scenario, t: number): Run {
  const records: LogRecord[] = [];
  const run = runTarget(host, s, s.targets[t], { sinks: [{ append: (r) => records.push(r) }] });
  return {
    header: run.header,
    records,
    bytes: {
      binary: encodeLog(run.header, records, 'binary'),
      jsonl: encodeLog(run.header, records, 'jsonl'),
    },
  };
}

const target = fc.nat(2);

/** The replay of a log read record by record (a binary one compared encoded), as `viommu replay` runs it. */
function replayStreamed(bytes: Uint8Array, file: string, options: ReadOptions = {}): ReplayResult {
  const reader = openLog(bytes, file, options);
  return replayRecords(host, reader.header, reader, { file });
}

describe('run → log → replay', () => {
  it('reproduces a byte-identical log in both encodings, from either encoding, on every plugin', () => {
    fc.assert(
      fc.property(scenarioArb, target, (s, t) => {
        const run = runLog(s, t);
        expect(run.records.length).toBeGreaterThan(0);
        for (const from of FORMATS) {
          const log = readLogBytes(run.bytes[from], `run.${from}`);
          // The replay's own writer (EventLogWriter, appending as the simulator runs) against the
          // run's log (BinaryStreamWriter / JsonlStreamWriter after the run): two encoder paths.
          const writer = new EventLogWriter(log.header);
          const r = replayLog(host, log, { sinks: [writer] });
          expect(r.divergence).toBeNull();
          expect(r.ok).toBe(true);
          expect(r.matched).toBe(run.records.length);
          expect(writer.toBinary()).toEqual(run.bytes.binary);
          expect(writer.toJsonl()).toBe(utf8.decode(run.bytes.jsonl));
          expect(replayStreamed(run.bytes[from], `run.${from}`)).toEqual(r);
        }
      }),
      { numRuns: 25 },
    );
  });
});

type Alteration = 'payload' | 'type' | 'seq';

/** A different JSON value of another kind or value, so the change is visible to any comparison. */
function otherValue(v: JsonValue): JsonValue {
  if (typeof v === 'number') return v === 0 ? 1 : -v;
  if (typeof v === 'string') return `${v}~`;
  if (typeof v === 'boolean') return !v;
  if (v === null) return 0;
  return null;
}

/** Record `r` with one change, and the field a divergence must name. */
function alter(r: LogRecord, how: Alteration, pick: number): { record: LogRecord; field: string } {
  if (how === 'type') return { record: { ...r, type: `${r.type}.altered` }, field: 'type' };
  if (how === 'seq') return { record: { ...r, seq: r.seq + 1 + pick }, field: 'seq' };
  const keys = Object.keys(r.data);
  if (keys.length === 0) return { record: { ...r, data: { altered: true } }, field: 'data.altered' };
  const key = keys[pick % keys.length];
  const data: JsonObject = { ...r.data, [key]: otherValue(r.data[key]) };
  return { record: { ...r, data }, field: `data.${key}` };
}

function withRecord(log: LogContents, i: number, r: LogRecord): LogContents {
  const records = log.records.slice();
  records[i] = r;
  return { ...log, records };
}

describe('an altered record', () => {
  const alteration = fc.record({
    scenario: scenarioArb,
    target,
    at: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
    how: fc.constantFrom<Alteration>('payload', 'type', 'seq'),
    pick: fc.nat(100),
  });

  it('is the first divergence at exactly that record, in replay and in a diff of the two logs', () => {
    fc.assert(
      fc.property(alteration, ({ scenario, target, at, how, pick }) => {
        const run = runLog(scenario, target);
        const log = readLogBytes(run.bytes.binary, 'run.bin');
        const i = Math.floor(at * log.records.length);
        const original = log.records[i];
        const { record, field } = alter(original, how, pick);
        const altered = withRecord(log, i, record);

        // Log against log, in memory: exactly that record, that field.
        const d = firstDivergence(log.records, altered.records);
        expect(d?.seq).toBe(i + 1);
        expect(d?.field).toBe(field);
        expect(d?.actual).toEqual(record);

        const r = replayLog(host, altered);
        const rd = r.divergence;
        if (original.kind === 'event' || how === 'seq') {
          expect(rd).not.toBeNull();
          if (rd === null) return;
          // Everything before it reproduced; the record itself is the first difference.
          expect(r.matched).toBe(i);
          expect(rd.field).toBe(field);
          expect(rd.expected).toEqual(record);
          expect(rd.actual).toEqual(original);
          if (how !== 'seq') expect(rd.seq).toBe(i + 1);
          if (original.kind === 'event') expect(rd.cause).toEqual(log.records[original.cause - 1]);
          else expect(rd.cause).toBeNull();
        } else if (how === 'type') {
          expect(rd).not.toBeNull();
          if (rd === null) return;
          // A command is re-executed from the log, so its own record matches; the
          // changed command is reported at the first record it causes, and named.
          expect(r.matched).toBe(i + 1);
          expect(rd.seq).toBe(i + 2);
          expect(rd.cause).toEqual(record);
        } else {
          // A changed command payload shows at one of its results, or later through state.
          expect(r.matched).toBeGreaterThan(i);
        }
      }),
      { numRuns: 40 },
    );
  });

  it('read back from either encoding, is where a diff and a frame-by-frame compare put it', () => {
    fc.assert(
      fc.property(alteration, ({ scenario, target, at, how, pick }) => {
        fc.pre(how !== 'seq'); // a wrong seq cannot be written: see the next test
        const run = runLog(scenario, target);
        const i = Math.floor(at * run.records.length);
        const { record, field } = alter(run.records[i], how, pick);
        const records = run.records.slice();
        records[i] = record;
        for (const format of FORMATS) {
          const bytes = encodeLog(run.header, records, format);
          const back = readLogBytes(bytes, `altered.${format}`);
          const d = firstDivergence(run.records, back.records);
          expect(d?.seq).toBe(i + 1);
          expect(d?.field).toBe(field);
          if (format === 'binary') expect(firstBinaryDivergence(run.bytes.binary, bytes)?.seq).toBe(i + 1);
          const r = replayLog(host, back);
          // Read record by record, the replay gives the very same result, divergence included.
          expect(replayStreamed(bytes, `altered.${format}`)).toEqual(r);
          if (record.kind === 'event') {
            expect(r.divergence?.seq).toBe(i + 1);
            expect(r.divergence?.field).toBe(field);
          }
        }
      }),
      { numRuns: 25 },
    );
  });

  it('out of sequence is refused when read: a JSON Lines seq names its line, a moved binary frame its record', () => {
    fc.assert(
      fc.property(
        scenarioArb,
        target,
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (s, t, at) => {
          const run = runLog(s, t);
          fc.pre(run.records.length >= 2);
          const i = Math.floor(at * (run.records.length - 1));

          const lines = utf8.decode(run.bytes.jsonl).split('\n');
          lines[i + 1] = lines[i + 1].replace(`"seq":${i + 1},`, `"seq":${i + 2},`);
          // Unsealed, the edit is caught by its seal; re-sealed on purpose, by the seq check.
          const e0 = errorOf(() => readLogBytes(new TextEncoder().encode(lines.join('\n')), 'run.jsonl'));
          expect(e0.code).toBe('VIOMMU_ERR_LOG_CORRUPT');
          expect(e0.location).toMatchObject({ line: i + 2, field: 'sum' });
          const resealed = new TextEncoder().encode(resealText(lines.join('\n')));
          const e1 = errorOf(() => readLogBytes(resealed, 'run.jsonl'));
          expect(e1.code).toBe('VIOMMU_ERR_LOG_CORRUPT');
          expect(e1.location).toMatchObject({ line: i + 2, field: 'seq' });

          // Swap frames i and i + 1: each frame's checksum is seeded with its seq.
          const bin = run.bytes.binary;
          const [a, b] = frameSpans(bin, i);
          const swapped = bin.slice();
          swapped.set(bin.subarray(b.start, b.end), a.start);
          swapped.set(bin.subarray(a.start, a.end), a.start + (b.end - b.start));
          const e2 = errorOf(() => readLogBytes(swapped, 'run.bin'));
          expect(e2.code).toBe('VIOMMU_ERR_LOG_CORRUPT');
          expect(e2.location).toMatchObject({ seq: i + 1, byteOffset: a.start });
        },
      ),
      { numRuns: 25 },
    );
  });
});

describe('a real run cut at any byte', () => {
  it('reads back its complete records, and replaying them reproduces each one', () => {
    fc.assert(
      fc.property(
        scenarioArb,
        target,
        fc.constantFrom(...FORMATS),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (s, t, format, at) => {
          const run = runLog(s, t);
          const whole = run.bytes[format];
          const first = firstRecordOffset(whole, format);
          const cut = first + Math.floor(at * (whole.length - first));
          const log = readLogBytes(whole.subarray(0, cut), 'cut', { mode: 'lenient' });
          const n = log.records.length;
          expect(log.records).toEqual(run.records.slice(0, n));
          // Nothing complete is lost: the next record does not end before the cut.
          // (A JSON Lines log cut between lines looks complete; a binary one lacks its end marker.)
          if (format === 'binary') expect(log.truncated?.lastSeq).toBe(n);
          if (n < run.records.length) {
            expect(recordEnd(whole, format, n + 1)).toBeGreaterThan(cut);
          }
          const r = replayLog(host, log);
          expect(r.matched).toBe(n);
          expect(replayStreamed(whole.subarray(0, cut), 'cut', { mode: 'lenient' })).toEqual(r);
          // The replay goes on to the end of the last command, past where the log stops.
          if (!r.ok) {
            expect(r.divergence?.expected).toBeNull();
            expect(r.divergence?.seq).toBe(n + 1);
          }
        },
      ),
      { numRuns: 25 },
    );
  });
});

function errorOf(f: () => unknown): LogError {
  try {
    f();
  } catch (e) {
    if (e instanceof LogError) return e;
    throw e;
  }
  throw new Error('expected a LogError');
}

const span = () => ({ checksumAt: 0, payloadStart: 0, payloadEnd: 0 });

/** Byte ranges of binary frames i and i + 1 (0-based record indexes). */
function frameSpans(bin: Uint8Array, i: number): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = [];
  const s = span();
  let o = firstRecordOffset(bin, 'binary');
  for (let k = 0; k <= i + 1; k++) {
    expect(locateFrame(bin, o, bin.length, s)).toBe('ok');
    if (k >= i) out.push({ start: o, end: s.payloadEnd });
    o = s.payloadEnd;
  }
  return out;
}

/** Where the first record starts: after the header line or header frame. */
function firstRecordOffset(bytes: Uint8Array, format: LogFormat): number {
  if (format === 'jsonl') return bytes.indexOf(0x0a) + 1;
  const s = span();
  expect(locateFrame(bytes, 12, bytes.length, s)).toBe('ok');
  return s.payloadEnd;
}

/** Byte offset just after record `seq` (its newline, or the end of its frame). */
function recordEnd(bytes: Uint8Array, format: LogFormat, seq: number): number {
  let o = firstRecordOffset(bytes, format);
  const s = span();
  for (let k = 1; k <= seq; k++) {
    if (format === 'jsonl') o = bytes.indexOf(0x0a, o) + 1;
    else {
      locateFrame(bytes, o, bytes.length, s);
      o = s.payloadEnd;
    }
  }
  return o;
}
