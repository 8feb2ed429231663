import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  GRANU_UNSUPPORTED,
  INV_TYPE_GRANU_TABLE,
  orderBase2,
  toVtdSize,
  vtdGranularity,
} from './inv-granularity.js';

describe('inv_type_granu_table (uapi.md §5.1)', () => {
  it('supports only IOTLB at PASID/ADDR and DEV_IOTLB at ADDR', () => {
    expect(INV_TYPE_GRANU_TABLE).toEqual([
      [GRANU_UNSUPPORTED, 2, 3],
      [GRANU_UNSUPPORTED, GRANU_UNSUPPORTED, 0],
      [GRANU_UNSUPPORTED, GRANU_UNSUPPORTED, GRANU_UNSUPPORTED],
    ]);
  });

  it('answers unsupported outside the table', () => {
    expect(vtdGranularity(0, 3)).toBe(GRANU_UNSUPPORTED);
    expect(vtdGranularity(3, 2)).toBe(GRANU_UNSUPPORTED);
    expect(vtdGranularity(0, 2)).toBe(3);
    expect(vtdGranularity(1, 2)).toBe(0);
  });
});

describe('to_vtd_size', () => {
  it('is ceil(log2(pages)) with 0 and 1 page giving 0', () => {
    expect(toVtdSize(0n, 0n)).toBe(0);
    expect(toVtdSize(4096n, 1n)).toBe(0);
    expect(toVtdSize(4095n, 1n)).toBe(0); // less than a page
    expect(toVtdSize(4096n, 2n)).toBe(1);
    expect(toVtdSize(4096n, 3n)).toBe(2);
    expect(toVtdSize(4096n, 4n)).toBe(2);
    expect(toVtdSize(4096n, 5n)).toBe(3);
    expect(toVtdSize(2n * 1024n * 1024n, 1n)).toBe(9);
    expect(toVtdSize(1n << 30n, 1n)).toBe(18);
  });

  it('multiplies modulo 2^64 like the kernel', () => {
    // 2^63 * 2 wraps to 0 pages.
    expect(toVtdSize(1n << 63n, 2n)).toBe(0);
    // 2^40 * (2^24 + 1) wraps to 2^40: 2^28 pages.
    expect(toVtdSize(1n << 40n, (1n << 24n) + 1n)).toBe(28);
    // The largest product gives 2^52 - 1 pages -> order 52.
    expect(toVtdSize((1n << 64n) - 1n, 1n)).toBe(52);
  });

  it('covers the range: 2^(s-1) < pages <= 2^s', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 2n, max: (1n << 52n) - 1n }), (pages) => {
        const s = orderBase2(pages);
        expect(1n << BigInt(s)).toBeGreaterThanOrEqual(pages);
        expect(1n << BigInt(s - 1)).toBeLessThan(pages);
      }),
    );
  });
});
