import { describe, expect, it } from 'vitest';
import { encodePasidCache, encodePasidDevIotlb, encodePiotlb, encodeWait } from './qi-descriptors.js';
import { bits } from './test-support.js';

describe('PASID-based IOTLB descriptor (type 0x6, uapi.md §5.1)', () => {
  it('PASID-selective: granularity 2, qw1 = 0', () => {
    const d = encodePiotlb({ did: 0x1234, pasid: 0xabcde, addr: 0xdead_b000n, npages: -1n, ih: true })!;
    expect(bits(d[0], 0, 4)).toBe(6);
    expect(bits(d[0], 4, 2)).toBe(2);
    expect(bits(d[0], 16, 16)).toBe(0x1234);
    expect(bits(d[0], 32, 20)).toBe(0xabcde);
    expect(d[0]).toBe(0x000a_bcde_1234_0026n);
    expect(d[1]).toBe(0n);
    expect([d[2], d[3]]).toEqual([0n, 0n]);
  });

  it('page-selective: granularity 3, AM = ceil(log2(npages)), IH at bit 6, page address', () => {
    const d = encodePiotlb({ did: 7, pasid: 5, addr: 0x12_3456_7fffn, npages: 3n, ih: true })!;
    expect(bits(d[0], 4, 2)).toBe(3);
    expect(d[0]).toBe(0x0000_0005_0007_0036n);
    expect(bits(d[1], 0, 6)).toBe(2);
    expect(bits(d[1], 6)).toBe(1);
    expect(d[1] >> 12n).toBe(0x12_3456_7n);
    expect(d[1]).toBe(0x12_3456_7042n);
  });

  it('keeps a 32-bit PASID whole: bits above 51 land in reserved space', () => {
    const d = encodePiotlb({ did: 1, pasid: 0xffff_ffff, addr: 0n, npages: 1n, ih: false })!;
    expect(d[0] >> 32n).toBe(0xffff_ffffn);
  });

  it('refuses npages 0', () => {
    expect(encodePiotlb({ did: 1, pasid: 1, addr: 0n, npages: 0n, ih: false })).toBeNull();
  });
});

describe('PASID-based device-TLB descriptor (type 0x8)', () => {
  it('places QDEP, PFSID halves, SID and a 20-bit PASID', () => {
    const d = encodePasidDevIotlb({
      sid: 0xbeef,
      pfsid: 0x5a3c,
      pasid: 0x1_2345_6,
      qdep: 0x3f,
      addr: 0n,
      sizeOrder: 0,
    });
    expect(bits(d[0], 0, 4)).toBe(8);
    expect(bits(d[0], 4, 5)).toBe(0x1f); // qdep masked to 5 bits
    expect(bits(d[0], 12, 4)).toBe(0xc); // pfsid[3:0]
    expect(bits(d[0], 16, 16)).toBe(0xbeef);
    expect(bits(d[0], 32, 20)).toBe(0x2_3456); // pasid masked to 20 bits
    expect(bits(d[0], 52, 12)).toBe(0x5a3); // pfsid[15:4]
    expect(d[1]).toBe(0n);
  });

  it('one page: S clear, page address only (low bits dropped)', () => {
    const d = encodePasidDevIotlb({ sid: 1, pfsid: 0, pasid: 1, qdep: 0, addr: 0x4_5678n, sizeOrder: 0 });
    expect(d[1]).toBe(0x4_5000n);
  });

  it('2^k pages: S set, k-1 ones above bit 11, then a zero at 11+k', () => {
    const one = encodePasidDevIotlb({ sid: 1, pfsid: 0, pasid: 1, qdep: 0, addr: 0x10_0000n, sizeOrder: 1 });
    expect(one[1]).toBe(0x10_0800n); // 8 KiB: bit 12 clear
    const four = encodePasidDevIotlb({ sid: 1, pfsid: 0, pasid: 1, qdep: 0, addr: 0x10_0000n, sizeOrder: 3 });
    expect(four[1]).toBe(0x10_3800n); // 32 KiB: bits 12,13 set, 14 clear
    expect(bits(four[1], 11)).toBe(1);
    expect(bits(four[1], 14)).toBe(0);
  });

  it('size order 52 is the ATS invalidate-all encoding', () => {
    const d = encodePasidDevIotlb({ sid: 1, pfsid: 0, pasid: 1, qdep: 0, addr: 0n, sizeOrder: 52 });
    expect(d[1]).toBe(0x7fff_ffff_ffff_f800n);
  });
});

describe('PASID-cache and wait descriptors', () => {
  it('PASID-cache (type 0x7): G at 5:4, DID, PASID', () => {
    expect(encodePasidCache(0x2a, 0x42, 1)[0]).toBe(0x0000_0042_002a_0017n);
  });

  it('wait (type 0x5): FN bit 6, PD bit 7, status data 63:32, no SW', () => {
    expect(encodeWait(true, false, 1)[0]).toBe(0x1_0000_0045n);
    expect(encodeWait(false, true)[0]).toBe(0x85n);
  });
});
