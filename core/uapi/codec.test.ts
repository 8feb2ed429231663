import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decode,
  decodeLayout,
  encode,
  encodeLayout,
  fromJson,
  layoutFromJson,
  type StructValue,
  toJson,
} from './codec.js';
import type { ResolvedField } from './layout-dsl.js';
import { LAYOUT_NAMES, LAYOUTS, LEGACY_LAYOUTS } from './layouts.js';
import type { IommuFault } from './structs.js';

const U64_MAX = (1n << 64n) - 1n;

/** An arbitrary for one field; union members come from decoding random bytes, so they agree. */
function fieldArb(f: ResolvedField): fc.Arbitrary<unknown> {
  const s = f.spec;
  switch (s.kind) {
    case 'u8':
      return fc.integer({ min: 0, max: 0xff });
    case 'u32':
      return fc.integer({ min: 0, max: 0xffff_ffff });
    case 'u64':
      return fc.bigInt({ min: 0n, max: U64_MAX });
    case 'bytes':
      return fc.uint8Array({ minLength: s.length, maxLength: s.length });
    case 'u64array':
      return fc.array(fc.bigInt({ min: 0n, max: U64_MAX }), { minLength: s.length, maxLength: s.length });
    case 'struct':
      return fieldsArb(f.children);
    case 'union':
      return fc.uint8Array({ minLength: f.size, maxLength: f.size }).map((b) => {
        const out: StructValue = {};
        const layout = { name: 'union', size: f.size, align: f.align, fields: f.children };
        Object.assign(out, decodeLayout(layout, b));
        return out;
      });
  }
}

function fieldsArb(fields: readonly ResolvedField[]): fc.Arbitrary<StructValue> {
  const parts = fields.map((f) =>
    fieldArb(f).map((v) => (f.name === null ? (v as StructValue) : { [f.name]: v })),
  );
  return fc.tuple(...parts).map((xs) => Object.assign({}, ...xs) as StructValue);
}

describe('codecs', () => {
  for (const name of LAYOUT_NAMES) {
    const layout = LAYOUTS[name];
    it(`${name}: decode(encode(x)) = x`, () => {
      fc.assert(
        fc.property(fieldsArb(layout.fields), (x) => {
          const b = encodeLayout(layout, x);
          expect(b.length).toBe(layout.size);
          expect(decodeLayout(layout, b)).toEqual(x);
        }),
      );
    });
    it(`${name}: encode(decode(b)) = b for arbitrary bytes`, () => {
      fc.assert(
        fc.property(fc.uint8Array({ minLength: layout.size, maxLength: layout.size }), (b) => {
          expect(encodeLayout(layout, decodeLayout(layout, b))).toEqual(b);
        }),
      );
    });
  }

  for (const [name, layout] of Object.entries(LEGACY_LAYOUTS)) {
    it(`v5.8 ${name}: encode(decode(b)) = b`, () => {
      fc.assert(
        fc.property(fc.uint8Array({ minLength: layout.size, maxLength: layout.size }), (b) => {
          expect(encodeLayout(layout, decodeLayout(layout, b))).toEqual(b);
        }),
      );
    });
  }

  it('is little-endian and keeps all 64 bits', () => {
    const info = fromJson('iommu_cache_invalidate_info', {
      argsz: 0x11223344,
      granularity: 2,
      granu: { addr_info: { addr: '0xfedcba9876543210' } },
    });
    const b = encode('iommu_cache_invalidate_info', info);
    expect([...b.subarray(0, 4)]).toEqual([0x44, 0x33, 0x22, 0x11]);
    expect([...b.subarray(32, 40)]).toEqual([0x10, 0x32, 0x54, 0x76, 0x98, 0xba, 0xdc, 0xfe]);
    expect(decode('iommu_cache_invalidate_info', b).granu.addr_info.addr).toBe(0xfedcba9876543210n);
  });

  it('writes the union member the discriminator selects, so a zeroed other member does not hide it', () => {
    const zero = decode('iommu_fault', new Uint8Array(64));
    const fault: IommuFault = {
      type: 2,
      padding: 0,
      event: zero.event,
      prm: { flags: 2, pasid: 5, grpid: 9, perm: 1, addr: 0x1000n, private_data: [0n, 7n] },
    };
    const b = encode('iommu_fault', fault);
    expect(b[16]).toBe(9); // prm.grpid at absolute offset 16
    expect(b[40]).toBe(7); // prm.private_data[1] at 40
    // For an unrecoverable fault the event is written last instead.
    const ev = {
      ...fault,
      type: 1,
      event: { reason: 6, flags: 3, pasid: 0, perm: 2, addr: 0xabcn, fetch_addr: 0n },
    };
    const e = decode('iommu_fault', encode('iommu_fault', ev));
    expect(e.event).toEqual(ev.event);
    expect(e.prm.private_data[1]).toBe(7n); // bytes beyond the event keep prm's data
  });

  it('PASID granularity writes pasid_info last; other granularities write addr_info last', () => {
    const base = decode('iommu_cache_invalidate_info', new Uint8Array(56));
    const pasidInfo = { flags: 1, archid: 0, pasid: 0x42n };
    const addrInfo = { flags: 0, archid: 0, pasid: 0x99n, addr: 0n, granule_size: 0n, nb_granules: 0n };
    const v = { ...base, granularity: 1, granu: { pasid_info: pasidInfo, addr_info: addrInfo } };
    expect(
      decode('iommu_cache_invalidate_info', encode('iommu_cache_invalidate_info', v)).granu.addr_info.pasid,
    ).toBe(0x42n);
    const w = { ...v, granularity: 2 };
    expect(
      decode('iommu_cache_invalidate_info', encode('iommu_cache_invalidate_info', w)).granu.pasid_info.pasid,
    ).toBe(0x99n);
  });

  it('rejects out-of-range values naming the field (programmer error)', () => {
    const v = decode('iommu_page_response', new Uint8Array(24));
    expect(() => encode('iommu_page_response', { ...v, code: 2 ** 32 })).toThrow(/iommu_page_response\.code/);
    const d = decode('iommu_gpasid_bind_data', new Uint8Array(72));
    expect(() => encode('iommu_gpasid_bind_data', { ...d, hpasid: 1n << 64n })).toThrow(
      /iommu_gpasid_bind_data\.hpasid/,
    );
    expect(() => encode('iommu_gpasid_bind_data', { ...d, padding: new Uint8Array(7) })).toThrow(/padding/);
    expect(() => decode('iommu_gpasid_bind_data', new Uint8Array(71))).toThrow(/need 72 bytes/);
  });

  it('JSON form: 64-bit as 0x strings, bytes as hex; fromJson inverts toJson', () => {
    const d = fromJson('iommu_gpasid_bind_data', {
      argsz: 72,
      hpasid: '0x100000005',
      padding: '0000000000000001',
      vendor: { vtd: { flags: 1 } },
    });
    const j = toJson('iommu_gpasid_bind_data', d);
    expect(j.hpasid).toBe('0x0000000100000005');
    expect(j.padding).toBe('0000000000000001');
    expect((j.vendor as { vtd: { flags: string } }).vtd.flags).toBe('0x0000000000000001');
    expect(fromJson('iommu_gpasid_bind_data', j)).toEqual(d);
    expect(() => fromJson('iommu_gpasid_bind_data', { hpasid: 1, bogus: 2 })).toThrow(
      /unknown field "bogus"/,
    );
  });
});

describe('fromJson on layouts with anonymous unions', () => {
  it('accepts the members of an anonymous union next to the other fields (iommu_fault, v5.8 cache info)', () => {
    const f = fromJson('iommu_fault', { type: 2, prm: { grpid: 3 } });
    expect(f.prm.grpid).toBe(3);
    const legacy = layoutFromJson(LEGACY_LAYOUTS.iommu_cache_invalidate_info, {
      version: 1,
      granularity: 2,
      addr_info: { pasid: 9 },
    });
    expect((legacy.addr_info as { pasid: bigint }).pasid).toBe(9n);
    expect(() => fromJson('iommu_fault', { type: 2, nope: 1 })).toThrow(/unknown field "nope"/);
  });
});
