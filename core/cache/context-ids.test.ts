import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ContextIds } from './context-ids.js';

type Op = { t: 'intern'; a: number; b: number } | { t: 'release'; pick: number };

const opA: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ t: fc.constant('intern' as const), a: fc.nat(4), b: fc.nat(6) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('release' as const), pick: fc.nat(40) }) },
);

/** Every id in use with first tag `a`, by asking each id: what withFirst() must answer. */
function scan(ids: ContextIds, a: number, upTo: number): number[] {
  const out: number[] = [];
  for (let id = 0; id < upTo; id++) if (ids.first(id) === a) out.push(id);
  return out;
}

describe('ContextIds', () => {
  it('withFirst answers from its index what a scan of every id finds, through interns, releases and a reload', () => {
    fc.assert(
      fc.property(fc.array(opA, { maxLength: 120 }), (ops) => {
        const ids = new ContextIds();
        let high = 0;
        for (const op of ops) {
          if (op.t === 'intern') high = Math.max(high, ids.intern(op.a, op.b) + 1);
          else ids.release(op.pick % Math.max(1, high));
          for (let a = 0; a <= 4; a++) expect(ids.withFirst(a)).toEqual(scan(ids, a, high));
        }
        const copy = new ContextIds();
        const saved = ids.saveState();
        copy.loadState({ a: [...saved.a], b: [...saved.b], free: [...saved.free] });
        for (let a = 0; a <= 4; a++) expect(copy.withFirst(a)).toEqual(scan(ids, a, high));
      }),
      { numRuns: 200 },
    );
  });
});
