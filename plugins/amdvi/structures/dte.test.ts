import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Dte, decodeDte, encodeDte } from './dte.js';

const u64 = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });

describe('DTE encode/decode', () => {
  it('decode(encode(d)) = d and encode(decode(q)) = q for any 256 bits', () => {
    fc.assert(
      fc.property(u64, u64, u64, u64, (q0, q1, q2, q3) => {
        const d = decodeDte(q0, q1, q2, q3);
        expect(encodeDte(d)).toEqual([q0, q1, q2, q3]);
        expect(decodeDte(...encodeDte(d))).toEqual(d);
      }),
    );
  });

  it('puts the fields at the spec bit positions (B.2)', () => {
    const d: Dte = decodeDte(0n, 0n, 0n, 0n);
    Object.assign(d, {
      v: true,
      tv: true,
      mode: 4,
      rootPfn: 0x12345,
      ir: true,
      iw: true,
      domainId: 0xbeef,
      sa: true,
      i: true,
    });
    const [q0, q1] = encodeDte(d);
    expect(q0).toBe(1n | (1n << 1n) | (4n << 9n) | (0x12345n << 12n) | (1n << 61n) | (1n << 62n));
    expect(q1).toBe(0xbeefn | (1n << 32n) | (1n << 34n));
  });

  it('splits the GCR3 root over q0 60:58, q1 31:16 and q1 63:43', () => {
    const d = decodeDte(0n, 0n, 0n, 0n);
    d.gcr3Pfn = 0b101 | (0xabcd << 3) | (0x1f << 19);
    const [q0, q1] = encodeDte(d);
    expect((q0 >> 58n) & 7n).toBe(0b101n);
    expect((q1 >> 16n) & 0xffffn).toBe(0xabcdn);
    expect(q1 >> 43n).toBe(0x1fn);
  });

  it('names the field that does not fit', () => {
    const d = decodeDte(0n, 0n, 0n, 0n);
    d.mode = 8;
    expect(() => encodeDte(d)).toThrow(/dte.mode/);
  });
});
