import { describe, expect, it } from 'vitest';
import {
  DEFAULT_CACHE_OPTIONS,
  parseCacheOptions,
  QEMU_CACHE_OPTIONS,
  type VtdCacheOptions,
} from './cache-options.js';
import { SL_TAG, VtdCaches } from './vtd-caches.js';

function caches(iotlb: object): VtdCaches {
  const o = { ...QEMU_CACHE_OPTIONS, ...parseCacheOptions({ iotlb } as never) } as VtdCacheOptions;
  return new VtdCaches({ ...o, slPsc: QEMU_CACHE_OPTIONS.slPsc, flPsc: QEMU_CACHE_OPTIONS.flPsc }, 1);
}

/** Fills one 4 KiB IOTLB entry per page for (did 7, sid 0x100); returns the IOTLB context. */
function fill(c: VtdCaches, vpns: readonly number[]): number {
  const ctx = c.iotlbContext(7, 0x100, SL_TAG);
  for (const v of vpns) c.iotlb.insert(ctx, v, 0, v + 0x1000, 3);
  return ctx;
}

const live = (c: VtdCaches, ctx: number, vpns: readonly number[]) =>
  vpns.filter((v) => c.iotlb.lookup(ctx, v, 0) >= 0);

describe('IOTLB policy qemu-7.2 (QEMU 7.2 page-invalidation bug reproduction)', () => {
  const pages = [0xffec0, 0xffec1, 0xffffd, 0xffe3f, 0x100c0, 0x12345];

  it('a PSI also drops the domain entries equal in bits 7:0 above the mask (every 256 pages)', () => {
    const c = caches({ policy: 'qemu-7.2' });
    const ctx = fill(c, pages);
    // AM 6 at 0xffec0: mask8 = 0xc0; 0xffffd and 0x100c0 have bits 7:6 = 0b11 too.
    expect(c.iotlbPages(7, 0xffec0, 64, false)).toBe(4);
    expect(live(c, ctx, pages)).toEqual([0xffe3f, 0x12345]);
  });

  it('AM >= 8 drops the whole domain; another domain keeps its entries', () => {
    const c = caches({ policy: 'qemu-7.2' });
    const ctx = fill(c, pages);
    const other = c.iotlbContext(9, 0x200, SL_TAG);
    c.iotlb.insert(other, 0xffec0, 0, 1, 3);
    expect(c.iotlbPages(7, 0x10000, 256, false)).toBe(pages.length);
    expect(live(c, ctx, pages)).toEqual([]);
    expect(c.iotlb.lookup(other, 0xffec0, 0)).toBeGreaterThanOrEqual(0);
  });

  it('qemu (QEMU >= 9.1) drops only the invalidated range', () => {
    const c = caches({ policy: 'qemu' });
    const ctx = fill(c, pages);
    expect(c.iotlbPages(7, 0xffec0, 64, false)).toBe(2);
    expect(live(c, ctx, pages)).toEqual([0xffffd, 0xffe3f, 0x100c0, 0x12345]);
  });

  it('the key is an option of its own: sid for the qemu policies by default, domain otherwise', () => {
    expect(caches({ policy: 'qemu-7.2' }).iotlbBySid).toBe(true);
    expect(caches({ policy: 'lru', entries: 64 }).iotlbBySid).toBe(false);
    expect(caches({ policy: 'lru', entries: 64, key: 'sid' }).iotlbBySid).toBe(true);
    expect(caches({ policy: 'qemu', key: 'domain' }).iotlbBySid).toBe(false);
    expect(caches({ policy: 'qemu-7.2', key: 'domain' }).psiMask8).toBe(true);
    expect(() => parseCacheOptions({ context: { key: 'sid' } })).toThrow(/context\.key: unknown field/);
    expect(() => parseCacheOptions({ iotlb: { key: 'did' } })).toThrow(
      /iotlb\.key: expected "sid" or "domain"/,
    );
    expect(() => parseCacheOptions({ context: { policy: 'qemu-7.2' } })).toThrow(/an IOTLB policy/);
    expect(DEFAULT_CACHE_OPTIONS.iotlb.key).toBeUndefined();
  });
});
