import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DeviceConfig } from '../plugin/contract.js';
import { encode, fromJson } from './codec.js';
import { ERRNO, type ErrnoCode, type UapiResult } from './errno.js';
import {
  ACCEPT_ALL_OPS,
  bindGpasidTraced,
  cacheInvalidateTraced,
  iommuSvaUnbindGpasid,
  iommuUapiCacheInvalidate,
  iommuUapiSvaBindGpasid,
  iommuUapiSvaUnbindGpasid,
  type UapiTarget,
  unbindGpasidTraced,
} from './iommu-core.js';
import { KERNELS, type KernelVersion } from './kernel-versions.js';
import type { IommuCacheInvalidateInfo, IommuGpasidBindData } from './structs.js';
import { UserMemory } from './user-memory.js';
import type { VendorOps } from './vendor-ops.js';

const K = KERNELS['v5.10'];
const UPTR = 0x7f00_0000;
const device: DeviceConfig = {
  name: 'dev0',
  unit: 'u0',
  sid: 0x10,
  pci: true,
  pasidBits: 20,
  ats: true,
  pri: true,
  auxDomain: false,
};
const accept: UapiTarget = { ops: ACCEPT_ALL_OPS, call: { device, mm: 1 } };

/** Payload bytes of at least `len` bytes (zero-padded), with argsz overwritten. */
function payload(struct: Uint8Array, argsz: number, len = struct.length): Uint8Array {
  const b = new Uint8Array(Math.max(len, struct.length));
  b.set(struct);
  new DataView(b.buffer).setUint32(0, argsz >>> 0, true);
  return b.subarray(0, len);
}

/** User memory holding `bytes` at UPTR, only the first `readable` of them mapped. */
function place(bytes: Uint8Array, readable = bytes.length): UserMemory {
  const m = new UserMemory();
  m.map(UPTR, bytes.subarray(0, readable));
  return m;
}

const cacheInfo = (json: object) =>
  encode('iommu_cache_invalidate_info', fromJson('iommu_cache_invalidate_info', { version: 1, ...json }));
const bindData = (json: object) =>
  encode(
    'iommu_gpasid_bind_data',
    fromJson('iommu_gpasid_bind_data', { argsz: 72, version: 1, format: 1, ...json }),
  );

const ADDR = {
  argsz: 56,
  cache: 1,
  granularity: 2,
  granu: { addr_info: { flags: 1, pasid: 5, addr: 0x1000, granule_size: 4096, nb_granules: 1 } },
};
const PASID = { argsz: 32, cache: 1, granularity: 1, granu: { pasid_info: { flags: 1, pasid: 5 } } };
const DOMAIN = { argsz: 16, cache: 1, granularity: 0 };

function errnoOf<T>(r: UapiResult<T>): ErrnoCode {
  return r.ok ? 0 : r.errno;
}

/** A vendor that records what it was given and answers `answer`. */
function recorder(answer: ErrnoCode = 0) {
  const seen: { info?: IommuCacheInvalidateInfo; data?: IommuGpasidBindData; pasid?: number } = {};
  const ops: VendorOps = {
    cacheInvalidate: (_c, info) => {
      seen.info = info;
      return answer;
    },
    bindGpasid: (_c, data) => {
      seen.data = data;
      return answer;
    },
    unbindGpasid: (_c, pasid) => {
      seen.pasid = pasid;
      return answer;
    },
  };
  return { seen, target: { ops, call: accept.call } as UapiTarget };
}

describe('iommu_uapi_cache_invalidate (uapi.md §4.1)', () => {
  const run = (b: Uint8Array, readable?: number, t = accept, k: KernelVersion = K) =>
    cacheInvalidateTraced(k, place(b, readable), UPTR, t);

  it('accepts a valid ADDR invalidation, copying the whole struct', () => {
    const r = run(cacheInfo(ADDR));
    expect(r.result.ok).toBe(true);
    expect(r.copied).toBe(56);
    expect(r.struct?.granu.addr_info.addr).toBe(0x1000n);
  });

  describe('one failing case per step, in order', () => {
    it('step 1: no cache_invalidate op -> ENODEV before any copy', () => {
      const r = cacheInvalidateTraced(K, new UserMemory(), UPTR, { ops: {}, call: accept.call });
      expect(r.result).toMatchObject({ ok: false, errno: 'ENODEV' });
      expect(r.copied).toBe(0);
    });
    it('step 2: the fixed 16-byte first copy faults -> EFAULT, even with a tiny argsz', () => {
      const r = run(payload(cacheInfo(DOMAIN), 12), 8);
      expect(r.result).toMatchObject({ errno: 'EFAULT' });
      expect(r.struct).toBeNull();
    });
    it('step 3: argsz < 16 -> EINVAL', () => {
      expect(run(payload(cacheInfo(DOMAIN), 12)).result).toMatchObject({
        errno: 'EINVAL',
        detail: 'argsz 12 < 16 (minimum size)',
      });
    });
    it('step 4: PASID granularity with argsz < 32 -> EINVAL', () => {
      expect(run(payload(cacheInfo(PASID), 24)).result).toMatchObject({
        errno: 'EINVAL',
        detail: 'argsz 24 < 32 required for PASID granularity',
      });
    });
    it('step 5: ADDR granularity with argsz < 56 -> EINVAL', () => {
      expect(run(payload(cacheInfo(ADDR), 48)).result).toMatchObject({
        errno: 'EINVAL',
        detail: 'argsz 48 < 56 required for ADDR granularity',
      });
    });
    it('step 6: the second copy faults -> EFAULT (PASID granularity, argsz 56, 32 readable)', () => {
      const r = run(payload(cacheInfo(PASID), 56), 32);
      expect(r.result).toMatchObject({ errno: 'EFAULT' });
      expect(r.copied).toBe(16);
    });
    const content: [string, object, RegExp][] = [
      ['7a version', { ...ADDR, version: 2 }, /^version 2/],
      ['7b cache bit 3', { ...ADDR, cache: 0x9 }, /^cache 0x9/],
      ['7c granularity >= 3', { ...DOMAIN, granularity: 7 }, /^granularity 7/],
      ['7d ADDR with PASID-cache bit', { ...ADDR, cache: 0x5 }, /PASID-cache/],
      [
        '7d addr_info.flags bit 3',
        { ...ADDR, granu: { addr_info: { flags: 0x8 } } },
        /^addr_info\.flags 0x8/,
      ],
      [
        '7d pasid_info.flags bit 2',
        { ...PASID, granu: { pasid_info: { flags: 0x4 } } },
        /^pasid_info\.flags 0x4/,
      ],
      ['7d DOMAIN with DEV_IOTLB', { ...DOMAIN, cache: 0x3 }, /DEV_IOTLB/],
      ['7e padding[0]', { ...ADDR, padding: '010000000000' }, /^padding\[0\]/],
      ['7e padding[5]', { ...ADDR, padding: '0000000000ff' }, /^padding\[5\] is 0xff/],
    ];
    for (const [name, json, detail] of content) {
      it(`step ${name} -> EINVAL`, () => {
        const r = run(cacheInfo(json));
        expect(r.result.ok).toBe(false);
        if (!r.result.ok) {
          expect(r.result.errno).toBe('EINVAL');
          expect(r.result.detail).toMatch(detail);
        }
      });
    }
    it('step 8: the vendor error is returned and labelled as the vendor', () => {
      const { target } = recorder('EOPNOTSUPP');
      expect(run(cacheInfo(ADDR), undefined, target).result).toEqual({
        ok: false,
        errno: 'EOPNOTSUPP',
        detail: 'vendor cache_invalidate returned EOPNOTSUPP',
      });
    });
  });

  it('order: size checks come before content checks, version before padding', () => {
    expect(run(payload(cacheInfo({ ...PASID, version: 9 }), 24)).result).toMatchObject({
      detail: /^argsz 24/,
    });
    expect(run(cacheInfo({ ...ADDR, version: 9, padding: '010000000000' })).result).toMatchObject({
      detail: /^version 9/,
    });
  });

  it('the core leaves cache == 0 and the unused union tail unchecked', () => {
    expect(run(cacheInfo({ ...DOMAIN, cache: 0 })).result.ok).toBe(true);
    const tail = payload(cacheInfo(PASID), 56);
    tail.fill(0xee, 32);
    expect(run(tail).result.ok).toBe(true);
  });

  const boundaries: [string, object, number, ErrnoCode, number][] = [
    ['DOMAIN', DOMAIN, 15, 'EINVAL', 16],
    ['DOMAIN', DOMAIN, 16, 0, 16],
    ['DOMAIN', DOMAIN, 17, 0, 17],
    ['PASID', PASID, 31, 'EINVAL', 16],
    ['PASID', PASID, 32, 0, 32],
    ['PASID', PASID, 33, 0, 33],
    ['ADDR', ADDR, 55, 'EINVAL', 16],
    ['ADDR', ADDR, 56, 0, 56],
    ['ADDR', ADDR, 57, 0, 56],
    ['ADDR', ADDR, 4096, 0, 56],
    ['ADDR', ADDR, 0xffff_ffff, 0, 56],
  ];
  for (const [g, json, argsz, errno, copied] of boundaries) {
    it(`${g} argsz ${argsz} -> ${errno || 'ok'}, ${copied} bytes copied`, () => {
      const b = payload(cacheInfo(json), argsz, Math.max(56, Math.min(argsz, 4096)));
      const r = run(b);
      expect(errnoOf(r.result)).toBe(errno);
      expect(r.copied).toBe(copied);
    });
  }

  it('argsz above sizeof: only 56 bytes are read and the vendor sees the raw argsz', () => {
    const { seen, target } = recorder();
    const b = payload(cacheInfo(ADDR), 4096, 4096);
    b.fill(0xaa, 56);
    const r = run(b, 56, target); // bytes past 56 are not even mapped
    expect(r.result.ok).toBe(true);
    expect(seen.info?.argsz).toBe(4096);
  });

  it('a smaller argsz leaves the uncopied tail of the kernel copy zero', () => {
    const { seen, target } = recorder();
    const b = payload(cacheInfo(ADDR), 32, 56);
    b[9] = 1; // PASID granularity: needs 32
    b.fill(0x77, 32);
    expect(run(b, undefined, target).result.ok).toBe(true);
    expect(seen.info?.granu.addr_info.addr).toBe(0n);
  });

  const cuts: [object, number, number, ErrnoCode, number][] = [
    [ADDR, 56, 15, 'EFAULT', 0],
    [ADDR, 56, 16, 'EFAULT', 16],
    [ADDR, 56, 55, 'EFAULT', 16],
    [ADDR, 56, 56, 0, 56],
    [PASID, 32, 31, 'EFAULT', 16],
    [PASID, 32, 32, 0, 32],
    [DOMAIN, 16, 16, 0, 16],
  ];
  for (const [json, argsz, readable, errno, copied] of cuts) {
    it(`argsz ${argsz} with ${readable} readable bytes -> ${errno || 'ok'}`, () => {
      const r = run(payload(cacheInfo(json), argsz), readable);
      expect(errnoOf(r.result)).toBe(errno);
      expect(r.copied).toBe(copied);
    });
  }

  it('the plain entry point returns the same result with the copied count', () => {
    const r = iommuUapiCacheInvalidate(K, place(cacheInfo(PASID)), UPTR, accept);
    expect(r.ok && r.value.copied).toBe(32);
  });
});

describe('iommu_uapi_sva_bind_gpasid (§4.2, §4.3)', () => {
  const run = (b: Uint8Array, readable?: number, t = accept, k: KernelVersion = K) =>
    bindGpasidTraced(k, place(b, readable), UPTR, t);

  it('accepts a valid bind', () => {
    const r = run(bindData({ hpasid: 5, gpgd: 0x1000, addr_width: 48 }));
    expect(r.result.ok).toBe(true);
    expect(r.copied).toBe(72);
  });

  it('step 1: no sva_bind_gpasid op -> ENODEV', () => {
    expect(iommuUapiSvaBindGpasid(K, new UserMemory(), UPTR, { ops: {}, call: accept.call })).toMatchObject({
      errno: 'ENODEV',
    });
  });
  it('first copy of 56 bytes faults -> EFAULT before argsz is read', () => {
    expect(run(payload(bindData({}), 8), 55).result).toMatchObject({ errno: 'EFAULT' });
  });
  it('argsz < 56 -> EINVAL', () => {
    expect(run(payload(bindData({}), 55)).result).toMatchObject({
      errno: 'EINVAL',
      detail: 'argsz 55 < 56 (minimum size)',
    });
  });
  it('second copy faults -> EFAULT', () => {
    const r = run(bindData({}), 71);
    expect(r.result).toMatchObject({ errno: 'EFAULT' });
    expect(r.copied).toBe(56);
  });
  it('version != 1 -> EINVAL', () => {
    expect(run(bindData({ version: 0 })).result).toMatchObject({ errno: 'EINVAL', detail: /^version 0/ });
  });
  it('format >= IOMMU_PASID_FORMAT_LAST -> EINVAL, but format 0 passes the core', () => {
    expect(run(bindData({ format: 2 })).result).toMatchObject({
      errno: 'EINVAL',
      detail: /^format 2 >= IOMMU_PASID_FORMAT_LAST \(2\)/,
    });
    expect(run(bindData({ format: 0 })).result.ok).toBe(true);
  });
  it('flags outside IOMMU_SVA_GPASID_VAL -> EINVAL, bit 1 and bit 32 alike (64-bit mask, the stable fix)', () => {
    expect(run(bindData({ flags: 1 })).result.ok).toBe(true);
    expect(run(bindData({ flags: 2 })).result).toMatchObject({ errno: 'EINVAL', detail: /^flags 0x2/ });
    expect(run(bindData({ flags: '0x100000000' })).result).toMatchObject({
      errno: 'EINVAL',
      detail: /^flags 0x100000000/,
    });
    expect(run(bindData({ flags: '0x8000000000000001' })).result).toMatchObject({ errno: 'EINVAL' });
  });
  it('the original v5.10.0 32-bit mask is a constant away: bit 32 then escapes', () => {
    const buggy: KernelVersion = { ...K, bindFlagsCheckedBits: 32 };
    expect(run(bindData({ flags: '0x100000000' }), undefined, accept, buggy).result.ok).toBe(true);
    expect(run(bindData({ flags: 2 }), undefined, accept, buggy).result.ok).toBe(false);
  });
  it('padding non-zero -> EINVAL naming the byte', () => {
    expect(run(bindData({ padding: '0000000000000100' })).result).toMatchObject({
      errno: 'EINVAL',
      detail: /^padding\[6\] is 0x1/,
    });
  });
  it('the vendor union is not checked by the core; the vendor gets the raw argsz', () => {
    const { seen, target } = recorder();
    const b = payload(bindData({ vendor: { vtd: { flags: '0xffffffffffffffff' } } }), 0xffff_ffff);
    expect(run(b, undefined, target).result.ok).toBe(true);
    expect(seen.data?.argsz).toBe(0xffff_ffff);
    expect(seen.data?.vendor.vtd.flags).toBe(0xffff_ffff_ffff_ffffn);
  });
  it('a vendor failure is returned as the vendor errno', () => {
    const { target } = recorder('ENOENT');
    expect(run(bindData({}), undefined, target).result).toMatchObject({
      errno: 'ENOENT',
      detail: /^vendor sva_bind_gpasid/,
    });
  });

  const boundaries: [number, ErrnoCode, number][] = [
    [55, 'EINVAL', 56],
    [56, 0, 56],
    [57, 0, 57],
    [71, 0, 71],
    [72, 0, 72],
    [73, 0, 72],
    [4096, 0, 72],
    [0xffff_ffff, 0, 72],
  ];
  for (const [argsz, errno, copied] of boundaries) {
    it(`argsz ${argsz} -> ${errno || 'ok'}, ${copied} bytes copied`, () => {
      const r = run(payload(bindData({}), argsz, 80));
      expect(errnoOf(r.result)).toBe(errno);
      expect(r.copied).toBe(copied);
    });
  }

  it('a union partly past argsz reaches the vendor as zero', () => {
    const { seen, target } = recorder();
    expect(
      run(payload(bindData({ vendor: { vtd: { pat: 7, emt: 9 } } }), 68), undefined, target).result.ok,
    ).toBe(true);
    expect(seen.data?.vendor.vtd).toEqual({ flags: 0n, pat: 7, emt: 0 });
  });

  it('the proposed profile accepts format 2 (IOMMU_PASID_FORMAT_LAST 3), mainline does not', () => {
    expect(run(bindData({ format: 2 }), undefined, accept, KERNELS['v5.10-proposed']).result.ok).toBe(true);
    expect(run(bindData({ format: 3 }), undefined, accept, KERNELS['v5.10-proposed']).result.ok).toBe(false);
    expect(run(bindData({ format: 2 }), undefined, accept, KERNELS['v5.13']).result.ok).toBe(false);
  });
});

describe('unbind (§4.4, §4.5)', () => {
  it('user unbind truncates hpasid to 32 bits: 0x1_0000_0005 unbinds PASID 5', () => {
    const { seen, target } = recorder();
    const r = iommuUapiSvaUnbindGpasid(K, place(bindData({ hpasid: '0x100000005' })), UPTR, target);
    expect(r.ok && r.value.pasid).toBe(5);
    expect(seen.pasid).toBe(5);
  });
  it('checks for the bind op, not the unbind op (quirk)', () => {
    const onlyUnbind: UapiTarget = { ops: { unbindGpasid: () => 0 }, call: accept.call };
    expect(iommuUapiSvaUnbindGpasid(K, place(bindData({})), UPTR, onlyUnbind)).toMatchObject({
      errno: 'ENODEV',
      detail: /bind/,
    });
    const onlyBind: UapiTarget = { ops: { bindGpasid: () => 0 }, call: accept.call };
    expect(iommuUapiSvaUnbindGpasid(K, place(bindData({})), UPTR, onlyBind)).toMatchObject({
      errno: 'ENODEV',
      detail: 'no sva_unbind_gpasid op',
    });
  });
  it('needs a fully valid bind struct: bad padding, short argsz or fault fail before the vendor', () => {
    const { seen, target } = recorder();
    expect(
      errnoOf(iommuUapiSvaUnbindGpasid(K, place(bindData({ padding: `01${'00'.repeat(7)}` })), UPTR, target)),
    ).toBe('EINVAL');
    expect(errnoOf(iommuUapiSvaUnbindGpasid(K, place(payload(bindData({}), 40)), UPTR, target))).toBe(
      'EINVAL',
    );
    expect(errnoOf(iommuUapiSvaUnbindGpasid(K, place(bindData({}), 60), UPTR, target))).toBe('EFAULT');
    expect(seen.pasid).toBeUndefined();
  });
  it('the traced form keeps the decoded struct and copied count on a vendor failure', () => {
    const { target } = recorder('EINVAL');
    const r = unbindGpasidTraced(K, place(bindData({ hpasid: 9 })), UPTR, target);
    expect(r.result).toMatchObject({ errno: 'EINVAL', detail: /^vendor sva_unbind_gpasid/ });
    expect(r.copied).toBe(72);
    expect(r.struct?.hpasid).toBe(9n);
  });
  it('the trusted in-kernel unbind passes the PASID through, ENODEV without the op', () => {
    const { seen, target } = recorder();
    expect(iommuSvaUnbindGpasid(K, 0x1234, target)).toEqual({ ok: true, value: { pasid: 0x1234 } });
    expect(seen.pasid).toBe(0x1234);
    expect(iommuSvaUnbindGpasid(K, 1, { ops: {}, call: accept.call })).toMatchObject({ errno: 'ENODEV' });
  });
});

describe('properties: arbitrary user input never throws and always gives ok or a defined errno', () => {
  const ops = [cacheInvalidateTraced, bindGpasidTraced, unbindGpasidTraced] as const;
  const minsz = [16, 56, 56];
  const size = [56, 72, 72];
  it('for every entry point, bytes, argsz, readable length and kernel', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 }),
        fc.uint8Array({ maxLength: 128 }),
        fc.option(fc.oneof(fc.integer({ min: 0, max: 200 }), fc.constant(0xffff_ffff)), { nil: undefined }),
        fc.nat(),
        fc.constantFrom(...Object.values(KERNELS)),
        (i, raw, argsz, cut, k) => {
          const b = raw.length >= 4 && argsz !== undefined ? payload(raw, argsz) : raw;
          const readable = b.length === 0 ? 0 : cut % (b.length + 1);
          const r = ops[i](k, place(b, readable), UPTR, accept);
          if (!r.result.ok) expect(Object.keys(ERRNO)).toContain(r.result.errno);
          expect(r.copied).toBeLessThanOrEqual(Math.min(readable, size[i]));
          if (readable < minsz[i]) expect(r.result).toMatchObject({ errno: 'EFAULT' });
          if (r.result.ok) {
            const a = new DataView(b.buffer, b.byteOffset).getUint32(0, true);
            expect(r.copied).toBe(Math.min(a, size[i]));
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});
