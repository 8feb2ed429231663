import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodePte, encodePte, nl7AddrPfn, nl7Shift } from './pte.js';

describe('v1 PTE', () => {
  it('round-trips every defined field', () => {
    const pte = fc.record({
      pr: fc.boolean(),
      a: fc.boolean(),
      d: fc.boolean(),
      nextLevel: fc.integer({ min: 0, max: 7 }),
      addrPfn: fc.integer({ min: 0, max: 2 ** 40 - 1 }),
      u: fc.boolean(),
      fc: fc.boolean(),
      ir: fc.boolean(),
      iw: fc.boolean(),
    });
    fc.assert(
      fc.property(pte, (p) => {
        expect(decodePte(encodePte(p))).toEqual(p);
      }),
    );
  });

  it('places NextLevel at 11:9, the address at 51:12 and IR/IW at 61/62', () => {
    const q = encodePte({
      pr: true,
      a: false,
      d: false,
      nextLevel: 7,
      addrPfn: 0xfffff,
      u: false,
      fc: false,
      ir: true,
      iw: false,
    });
    expect(q).toBe(1n | (7n << 9n) | (0xfffffn << 12n) | (1n << 61n));
  });

  it('encodes NextLevel-7 sizes by the lowest clear address bit (8 KiB: bit 12 clear, 32 KiB: 12-13 set, 14 clear)', () => {
    expect(nl7AddrPfn(0x100, 13)).toBe(0x100);
    expect(nl7AddrPfn(0x100, 15)).toBe(0x103);
    expect(nl7Shift(0x103)).toBe(15);
    fc.assert(
      fc.property(fc.integer({ min: 13, max: 40 }), fc.integer({ min: 0, max: 2 ** 10 }), (shift, k) => {
        const base = k * 2 ** (shift - 12);
        expect(nl7Shift(nl7AddrPfn(base, shift))).toBe(shift);
      }),
    );
    expect(() => nl7AddrPfn(1, 13)).toThrow(/aligned/);
  });
});
