import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  access,
  addr,
  bool,
  compileFields,
  decodeFields,
  FieldFault,
  hexAddr64,
  int,
  list,
  obj,
  offsetOf,
  oneOf,
  pageOf,
  tagged,
  u64,
  withPlaceholders,
} from './field.js';

const FIELDS = {
  iova: hexAddr64(),
  access: access(),
  pasid: int(-1, 0xfffff).def(-1),
  ats: bool().opt(),
  size: u64().def('0x1000'),
  pa: addr().opt(),
  mode: oneOf(['sl', 'fl'] as const).opt(),
  inner: obj({ a: int(0, 3) }).opt(),
  list: list(u64(), { sizes: [2] }).opt(),
};
const NAMES = Object.keys(FIELDS);
const compiled = compileFields(FIELDS);

/** The decoded value, or the fault's path and reason. */
function outcome(fn: () => unknown): unknown {
  try {
    return { ok: fn() };
  } catch (e) {
    if (!(e instanceof FieldFault)) throw e;
    return { path: e.path, reason: e.reason };
  }
}

const value = fc.oneof(
  fc.constantFrom(
    '0x1000',
    '0x1g',
    '0x',
    '0xffffffffffffffff',
    '0x10000000000000000',
    'r',
    'rwp',
    'q',
    'sl',
    '$x',
  ),
  fc.integer({ min: -2, max: 0x100001 }),
  fc.boolean(),
  fc.constant(null),
  fc.constant({ a: 1 }),
  fc.constant(['0x1', '0x2']),
);
const data = fc.dictionary(fc.constantFrom(...NAMES, 'bogus'), value, { maxKeys: 6 });

describe('the field kit', () => {
  it('the compiled decoder agrees with the field-by-field one on any data, faults included', () => {
    fc.assert(
      fc.property(data, (d) => {
        expect(outcome(() => compiled(d))).toEqual(outcome(() => decodeFields(FIELDS, NAMES, d)));
        withPlaceholders(() =>
          expect(outcome(() => compiled(d))).toEqual(outcome(() => decodeFields(FIELDS, NAMES, d))),
        );
      }),
      { numRuns: 2000 },
    );
  });

  it('pageOf/offsetOf read a 64-bit hex address exactly, as BigInt would', () => {
    const f = hexAddr64();
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.boolean(), (v, pad) => {
        const text = `0x${pad ? v.toString(16).padStart(16, '0') : v.toString(16)}`;
        const h = f.decode(text);
        expect(pageOf(h)).toBe(Number(v >> 12n));
        expect(offsetOf(h)).toBe(Number(v & 0xfffn));
      }),
    );
  });

  it('names the nested path of a bad value, and refuses unknown keys', () => {
    expect(outcome(() => compiled({ iova: '0x1', access: 'r', list: ['0x1', 'zz'] }))).toEqual({
      path: ['list', 1],
      reason: 'expected a 64-bit value as "0x..." hex (up to 16 digits), got "zz"',
    });
    expect(outcome(() => compiled({ iova: '0x1', access: 'r', bogus: 1 }))).toMatchObject({
      path: ['bogus'],
      reason: expect.stringMatching(/^unknown field \(allowed: iova, access, /),
    });
  });

  it('a tagged object without its tag is the untagged form only with its keys alone', () => {
    const t = tagged('op', { A: { x: int(0, 1) } }, { raw: list(u64(), { sizes: [2] }) });
    expect(t.decode({ raw: ['0x1', '0x2'] })).toEqual({ raw: [1n, 2n] });
    expect(t.decode({ op: 'A', x: 1 })).toEqual({ op: 'A', x: 1 });
    expect(outcome(() => t.decode({ x: 1 }))).toMatchObject({ path: ['op'] });
    expect(outcome(() => t.decode({}))).toMatchObject({
      path: [],
      reason: 'expected an object with "op" or with raw, got {}',
    });
    expect(outcome(() => t.decode({ rawx: ['0x1', '0x2'] }))).toMatchObject({
      path: ['rawx'],
      reason: 'unknown field (allowed: op, raw, x)',
    });
  });
});
