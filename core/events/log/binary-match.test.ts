/**
 * BinaryLogReader.skipIfEqual compares an encoded record with an expected one
 * without decoding it. It must decide exactly as recordDiff over the decoded
 * record does, consume nothing when it says no, and leave every error to next().
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { JsonValue } from '../../plugin/contract.js';
import { payloadValue, recordsArb, viaJson } from './arbitraries.test-support.js';
import { BinaryLogReader } from './binary-reader.js';
import { encodeBinary } from './binary-writer.js';
import { recordDiff } from './divergence.js';
import type { LogRecord } from './records.js';
import { SAMPLE_HEADER, sampleDmaRun } from './sample-run.js';

/** A copy of `v` changed at one place chosen by `pick`: a value, a key, the key order, an array's length. */
function perturb(v: JsonValue, pick: number, value: JsonValue): JsonValue {
  if (Array.isArray(v)) {
    if (v.length === 0 || pick % 5 === 0) return [...v, value];
    const i = pick % v.length;
    if (pick % 7 === 1) return v.slice(0, -1);
    return v.map((x, j) => (j === i ? perturb(x, Math.floor(pick / 3), value) : x));
  }
  if (typeof v === 'object' && v !== null) {
    const o = v as { readonly [k: string]: JsonValue };
    const keys = Object.keys(o);
    if (keys.length === 0 || pick % 6 === 0) return { ...o, zz: value };
    if (pick % 6 === 1 && keys.length > 1) return Object.fromEntries(Object.entries(o).reverse());
    if (pick % 6 === 2) {
      const { [keys[pick % keys.length]]: _dropped, ...rest } = o;
      return rest;
    }
    const k = keys[pick % keys.length];
    return { ...o, [k]: perturb(o[k], Math.floor(pick / 7), value) };
  }
  return JSON.stringify(v) === JSON.stringify(value) ? [value] : value;
}

/** The record with one field changed (or, for `how` 0, an equal copy read back through JSON). */
function expectedFor(r: LogRecord, how: number, pick: number, value: JsonValue): LogRecord {
  switch (how) {
    case 0:
      return viaJson(r);
    case 1:
      return { ...r, t: r.t + 1 };
    case 2:
      return { ...r, type: `${r.type}x` };
    case 3:
      return { ...r, v: r.v + 1 };
    case 4:
      return r.kind === 'event' ? { ...r, cause: r.cause - 1 } : { ...r, seq: r.seq + 1 };
    case 5:
      return { ...r, kind: r.kind === 'event' ? 'command' : 'event', cause: 1 } as LogRecord;
    default:
      return { ...r, data: perturb(r.data, pick, value) } as LogRecord;
  }
}

/**
 * Records whose payloads repeat (one of `pool` payloads each), so shapes and strings are referenced,
 * not only defined; then the whole run again, whose records define nothing new.
 */
const repeatingRecords = fc.tuple(recordsArb, fc.integer({ min: 1, max: 4 })).map(([rs, pool]) => {
  const first = rs.map((r, i) => ({ ...r, data: rs[i % pool].data }) as LogRecord);
  const n = first.length;
  const t = n === 0 ? 0 : first[n - 1].t;
  const again = first.map(
    (r) =>
      ({
        ...r,
        seq: r.seq + n,
        t: r.t + t,
        ...(r.kind === 'event' ? { cause: r.cause + n } : {}),
      }) as LogRecord,
  );
  return { records: [...first, ...again], again: n };
});

/** Whether a value holds an object key that only a key-by-key build reproduces (integer-like or "__proto__"). */
function hasSpecialKey(v: JsonValue): boolean {
  if (Array.isArray(v)) return v.some(hasSpecialKey);
  if (typeof v !== 'object' || v === null) return false;
  const o = v as { readonly [k: string]: JsonValue };
  return Object.keys(o).some((k) => k === '__proto__' || /^(0|[1-9][0-9]*)$/.test(k) || hasSpecialKey(o[k]));
}

describe('BinaryLogReader.skipIfEqual', () => {
  it('decides as recordDiff over the decoded record, and consumes only what it accepts', () => {
    fc.assert(
      fc.property(
        repeatingRecords,
        fc.array(fc.tuple(fc.nat(9), fc.nat(), payloadValue), { minLength: 30, maxLength: 30 }),
        ({ records, again }, changes) => {
          const bytes = encodeBinary(SAMPLE_HEADER, records);
          const plain = new BinaryLogReader(bytes, 'a');
          const fused = new BinaryLogReader(bytes, 'a');
          for (let i = 0; i < records.length; i++) {
            const [how, pick, value] = changes[i % changes.length];
            const e = expectedFor(records[i], how, pick, viaJson(value));
            const decoded = plain.next();
            expect(decoded).not.toBeNull();
            const equal = recordDiff(e, decoded as LogRecord) === undefined;
            const skipped = fused.skipIfEqual(e);
            // Definitions (a shape's or a string's first use) are left to next(): it may say no to an equal record.
            if (skipped) expect(equal).toBe(true);
            else expect(fused.next()).toEqual(decoded);
            // A repeat defines nothing: an equal record is accepted unless its shape needs the key-by-key build.
            if (i >= again && equal && !hasSpecialKey(records[i].data)) expect(skipped).toBe(true);
            expect(fused.offset).toBe(plain.offset);
          }
          expect(fused.skipIfEqual(records[0])).toBe(false);
          expect(fused.next()).toBeNull();
        },
      ),
      { numRuns: 300 },
    );
  });

  it('accepts every equal record once its shapes and strings are defined', () => {
    const records = sampleDmaRun(200);
    const bytes = encodeBinary(SAMPLE_HEADER, records);
    const reader = new BinaryLogReader(bytes, 'a');
    const copies = viaJson(records);
    let slow = 0;
    for (const e of copies) {
      if (reader.skipIfEqual(e)) continue;
      slow++;
      expect(recordDiff(e, reader.next() as LogRecord)).toBeUndefined();
    }
    // Only records that define a dictionary entry take the decoding path.
    expect(slow).toBeGreaterThan(0);
    expect(slow).toBeLessThan(records.length / 10);
    expect(reader.next()).toBeNull();
  });

  it('refuses hex strings that differ only in case or padding', () => {
    const data = { a: '0x00000000000000ff', b: '0xff', c: '0x0000ff', d: '0x0' };
    const r = (seq: number): LogRecord => ({ kind: 'command', seq, t: 0, type: 'x', v: 1, data });
    const bytes = encodeBinary(SAMPLE_HEADER, [r(1), r(2), r(3), r(4), r(5), r(6)]);
    const reader = new BinaryLogReader(bytes, 'a');
    reader.next();
    for (const [k, wrong] of [
      ['a', '0x00000000000000FF'],
      ['b', '0x0ff'],
      ['c', '0xff'],
      ['d', '0x00'],
    ] as const) {
      const seq = reader.lastSeq + 1;
      expect(reader.skipIfEqual({ ...r(seq), data: { ...data, [k]: wrong } })).toBe(false);
      expect(reader.skipIfEqual(r(seq))).toBe(true);
    }
  });

  it('leaves damage to next(), which reports it as before', () => {
    const records = sampleDmaRun(30);
    const clean = encodeBinary(SAMPLE_HEADER, records);
    fc.assert(
      fc.property(fc.nat(), fc.integer({ min: 1, max: 255 }), (at, mask) => {
        const bytes = clean.slice();
        bytes[64 + (at % (bytes.length - 64))] ^= mask;
        const outcome = (check: (reader: BinaryLogReader, e: LogRecord) => boolean): string => {
          try {
            const reader = new BinaryLogReader(bytes, 'f');
            for (const e of records) if (!check(reader, e)) return `differs at ${reader.lastSeq + 1}`;
            return reader.next() === null ? 'equal' : 'longer';
          } catch (e) {
            return String((e as Error).message);
          }
        };
        const viaNext = outcome((reader, e) => {
          const a = reader.next();
          return a !== null && recordDiff(e, a) === undefined;
        });
        const viaSkip = outcome((reader, e) => {
          if (reader.skipIfEqual(e)) return true;
          const a = reader.next();
          return a !== null && recordDiff(e, a) === undefined;
        });
        expect(viaSkip).toBe(viaNext);
      }),
      { numRuns: 300 },
    );
  });
});
