import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeInvRange, encodeInvRange } from './inv-range.js';

describe('INVALIDATE_*_PAGES size encoding (B.5)', () => {
  it('decodes the spec examples', () => {
    expect(decodeInvRange(false, 0x1234)).toEqual({ all: false, basePfn: 0x1234, pages: 1 });
    // Bit 12 clear: 8 KiB.
    expect(decodeInvRange(true, 0x1234)).toEqual({ all: false, basePfn: 0x1234, pages: 2 });
    // Bits 12-13 set, 14 clear: 32 KiB, aligned down.
    expect(decodeInvRange(true, 0x1233)).toEqual({ all: false, basePfn: 0x1230, pages: 8 });
    // First clear bit at 51 or above: everything (Linux's all-address constant).
    expect(decodeInvRange(true, 2 ** 52 - 1).all).toBe(true);
    expect(decodeInvRange(true, 2 ** 39 - 1).all).toBe(true);
    expect(decodeInvRange(true, 2 ** 38 - 1).all).toBe(false);
  });

  it('encodes as Linux does: one page with S=0, else the smallest aligned power of two that covers', () => {
    expect(encodeInvRange(0x1234, 1)).toEqual({ s: false, addrPfn: 0x1234 });
    expect(encodeInvRange(0x1000, 16)).toEqual({ s: true, addrPfn: 0x1007 });
    // [0xfff, 0x1000] crosses bit 12 of the page number: a 2^13-page range at 0.
    expect(decodeInvRange(true, encodeInvRange(0xfff, 2).addrPfn)).toEqual({
      all: false,
      basePfn: 0,
      pages: 0x2000,
    });
  });

  it('the decoded range covers the request and is at most twice the aligned power of two around it', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 36 }),
        fc.integer({ min: 1, max: 2 ** 20 }),
        (start, pages) => {
          const e = encodeInvRange(start, pages);
          const r = decodeInvRange(e.s, e.addrPfn);
          if (r.all) return;
          expect(r.basePfn).toBeLessThanOrEqual(start);
          expect(r.basePfn + r.pages).toBeGreaterThanOrEqual(start + pages);
          // Natural alignment; not wider than needed (the range is the smallest aligned block containing both ends).
          expect(r.basePfn % r.pages).toBe(0);
          if (r.pages > 1)
            expect(Math.floor(start / (r.pages / 2))).not.toBe(
              Math.floor((start + pages - 1) / (r.pages / 2)),
            );
        },
      ),
    );
  });
});
