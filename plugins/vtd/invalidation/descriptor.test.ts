import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bits, descriptorWords, pageOf, QI_RSVD, QI_RSVD_WORDS } from './descriptor.js';

/** A qword's 32-bit halves by BigInt arithmetic: what descriptorWords must give, whichever path it takes. */
function halves(q: bigint): [number, number] {
  const u = BigInt.asUintN(64, q);
  return [Number(u & 0xffff_ffffn), Number(u >> 32n)];
}

// Below 2^53 (the path without BigInt arithmetic), at its edge, above it, and out of range.
const qwordA = fc.oneof(
  fc.bigInt({ min: 0n, max: 2n ** 53n - 1n }),
  fc.constantFrom(0n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 64n - 1n),
  fc.bigInt({ min: 2n ** 53n, max: 2n ** 64n - 1n }),
  fc.bigInt({ min: -(2n ** 64n), max: 2n ** 70n }),
);

describe('QI descriptor words', () => {
  it('descriptorWords splits every qword as BigInt arithmetic does (taken mod 2^64)', () => {
    fc.assert(
      fc.property(fc.array(qwordA, { minLength: 2, maxLength: 4 }), (d) => {
        const w = new Uint32Array(8);
        descriptorWords(d, w);
        for (let k = 0; k < d.length; k++) expect([w[2 * k], w[2 * k + 1]]).toEqual(halves(d[k]!));
      }),
      { numRuns: 500 },
    );
  });

  it('bits and pageOf read the fields BigInt shifts would', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
        fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
        fc.nat(127),
        fc.integer({ min: 1, max: 32 }),
        (q0, q1, lsb, width) => {
          fc.pre((lsb & 31) + width <= 32); // a field inside one 32-bit word, as bits() requires
          const w = new Uint32Array(8);
          descriptorWords([q0, q1], w);
          const both = q0 | (q1 << 64n);
          expect(bits(w, lsb, width)).toBe(Number((both >> BigInt(lsb)) & ((1n << BigInt(width)) - 1n)));
          expect(pageOf(w, 1)).toBe(Number(q1 >> 12n));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('the reserved masks as words are the BigInt masks split', () => {
    for (const [type, [r0, r1]] of Object.entries(QI_RSVD)) {
      expect(QI_RSVD_WORDS[Number(type)]).toEqual([...halves(r0), ...halves(r1)]);
    }
  });
});
