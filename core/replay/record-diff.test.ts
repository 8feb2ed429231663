/**
 * recordDiff, which replay runs on every record, against a plain reference
 * (Object.keys in order, paths built eagerly): the same first differing field
 * on random payloads, on a payload and a copy with one nested change, and on
 * reordered keys.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { payloadObject, payloadValue } from '../events/log/arbitraries.test-support.js';
import { recordDiff } from '../events/log/divergence.js';
import type { LogRecord } from '../events/log/records.js';
import type { JsonObject, JsonValue } from '../plugin/contract.js';

function reference(e: JsonValue | undefined, a: JsonValue | undefined, path: string): string | undefined {
  if (e === a) return undefined;
  if (typeof e !== 'object' || typeof a !== 'object' || e === null || a === null) return path;
  if (Array.isArray(e) !== Array.isArray(a)) return path;
  if (Array.isArray(e) && Array.isArray(a)) {
    for (let i = 0; i < e.length && i < a.length; i++) {
      const d = reference(e[i], a[i], `${path}[${i}]`);
      if (d !== undefined) return d;
    }
    return e.length === a.length ? undefined : `${path}[${Math.min(e.length, a.length)}]`;
  }
  const x = e as JsonObject;
  const y = a as JsonObject;
  const kx = Object.keys(x);
  const ky = Object.keys(y);
  for (let i = 0; i < kx.length || i < ky.length; i++) {
    if (kx[i] !== ky[i]) return `${path}.${kx[i] ?? ky[i]}`;
    const d = reference(x[kx[i]], y[kx[i]], `${path}.${kx[i]}`);
    if (d !== undefined) return d;
  }
  return undefined;
}

const event = (data: JsonObject): LogRecord => ({
  kind: 'event',
  seq: 2,
  t: 5,
  type: 'x.y.z',
  v: 1,
  cause: 1,
  data,
});

/** A copy of `v` with the value at one path (picked by `at`) replaced by `by`. */
function replaceOne(v: JsonValue, at: number, by: JsonValue): JsonValue {
  let n = at;
  const walk = (x: JsonValue): JsonValue => {
    if (n-- === 0) return by;
    if (Array.isArray(x)) return x.map(walk);
    if (typeof x === 'object' && x !== null) {
      const o: { [k: string]: JsonValue } = {};
      for (const [k, y] of Object.entries(x)) o[k] = walk(y);
      return o;
    }
    return x;
  };
  return walk(v);
}

describe('recordDiff', () => {
  it('names the same first differing field as the reference, on random payload pairs', () => {
    fc.assert(
      fc.property(payloadObject, payloadObject, (x, y) => {
        expect(recordDiff(event(x), event(y))).toBe(reference(x, y, 'data'));
        expect(recordDiff(event(x), event(structuredClone(x)))).toBeUndefined();
      }),
      { numRuns: 100 },
    );
  });

  it('finds one nested change, at the path the reference gives', () => {
    fc.assert(
      fc.property(payloadObject, fc.nat(40), payloadValue, (x, at, by) => {
        const y = replaceOne(x, at + 1, by) as JsonObject;
        const d = recordDiff(event(x), event(y));
        expect(d).toBe(reference(x, y, 'data'));
        // Also from the other side, and nested inside arrays and objects.
        expect(recordDiff(event({ a: [x] }), event({ a: [y] }))).toBe(
          reference({ a: [x] }, { a: [y] }, 'data'),
        );
      }),
      { numRuns: 100 },
    );
  });

  it('counts key order, and names the first key out of place', () => {
    expect(recordDiff(event({ a: 1, b: { c: 2, d: 3 } }), event({ a: 1, b: { d: 3, c: 2 } }))).toBe(
      'data.b.c',
    );
    expect(recordDiff(event({ a: 1 }), event({ a: 1, b: 2 }))).toBe('data.b');
    expect(recordDiff(event({ a: 1, b: 2 }), event({ a: 1 }))).toBe('data.b');
    expect(recordDiff(event({ l: [1, { m: [2, 3] }] }), event({ l: [1, { m: [2, 4] }] }))).toBe(
      'data.l[1].m[1]',
    );
  });
});
