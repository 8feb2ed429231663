import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeQi,
  descriptorWords,
  encodeQi,
  QI,
  QI_256_ONLY,
  QI_RSVD,
  QI_RSVD_WORDS,
  QI_TYPE,
  type QiLayout,
  qiField,
  qiPage,
} from './descriptor.js';

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

  it('qiField and qiPage read the fields BigInt shifts would', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
        fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
        fc.nat(127),
        fc.integer({ min: 1, max: 32 }),
        (q0, q1, lsb, width) => {
          const spec = { dw: lsb >>> 6, lsb: lsb & 63, msb: (lsb & 63) + width - 1 };
          fc.pre(spec.msb < 64);
          const w = new Uint32Array(8);
          descriptorWords([q0, q1], w);
          const both = q0 | (q1 << 64n);
          expect(qiField(w, spec)).toBe(Number((both >> BigInt(lsb)) & ((1n << BigInt(width)) - 1n)));
          expect(qiPage(w, QI.IOTLB.fields.addr)).toBe(Number(q1 >> 12n));
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

  it("the reserved masks derived from the layouts are the spec's (reference/vtd.md §5)", () => {
    // Written out from the spec's tables: what every bit no field claims must come to.
    expect(QI_RSVD).toEqual({
      1: [0xfffc_0000_0000_f1c0n, 0xffff_ffff_ffff_ffffn],
      2: [0xffff_ffff_0000_f100n, 0xf80n],
      3: [0x000f_0000_ffe0_01f0n, 0xffen],
      4: [0xffff_0000_07ff_f1e0n, 0xffff_ffff_ffff_ffffn],
      5: [0x0000_0000_ffff_f100n, 0x3n],
      6: [0xfff0_0000_0000_f1c0n, 0xf80n],
      7: [0xfff0_0000_0000_f1c0n, 0xffff_ffff_ffff_ffffn],
      8: [0x0n, 0x7fen],
      9: [0xfff0_0000_0000_01c0n, 0xffff_ffff_ffff_f003n],
    });
    expect([...QI_256_ONLY].sort()).toEqual([6, 7, 8, 9]);
    expect(QI_TYPE).toEqual({
      CONTEXT_CACHE: 1,
      IOTLB: 2,
      DEVICE_TLB: 3,
      INTERRUPT_ENTRY_CACHE: 4,
      INVALIDATION_WAIT: 5,
      PASID_IOTLB: 6,
      PASID_CACHE: 7,
      PASID_DEVICE_TLB: 8,
      PAGE_GROUP_RESPONSE: 9,
    });
  });

  it('no two fields of a layout overlap, and none touches the type bits', () => {
    for (const [name, l] of Object.entries(QI as { readonly [n: string]: QiLayout })) {
      const used = [0xfn | 0xe00n, 0n, 0n, 0n];
      for (const [f, spec] of Object.entries(l.fields)) {
        const m = ((1n << BigInt(spec.msb - spec.lsb + 1)) - 1n) << BigInt(spec.lsb);
        expect(used[spec.dw]! & m, `${name}.${f}`).toBe(0n);
        used[spec.dw]! |= m;
      }
    }
  });

  it('decodeQi(encodeQi(x)) = x for every layout and in-range values', () => {
    for (const l of Object.values(QI as { readonly [n: string]: QiLayout })) {
      const names = Object.keys(l.fields);
      fc.assert(
        fc.property(
          fc.array(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), {
            minLength: names.length,
            maxLength: names.length,
          }),
          (raw) => {
            const values: { [k: string]: bigint } = {};
            names.forEach((n, i) => {
              const s = l.fields[n]!;
              const m = (1n << BigInt(s.msb - s.lsb + 1)) - 1n;
              values[n] = s.addr ? (raw[i]! & m) << BigInt(s.lsb) : raw[i]! & m;
            });
            const d = encodeQi(l, values, 4);
            expect(Number(d[0]! & 0xfn)).toBe(l.type);
            expect(decodeQi(l, d)).toEqual(values);
          },
        ),
        { numRuns: 100 },
      );
    }
  });

  it('a field named unmasked spills into the bits above, as the kernel macro does', () => {
    const d = encodeQi(QI.PASID_CACHE, { pasid: 0xffff_ffff }, 4, ['pasid']);
    expect(d[0]! >> 32n).toBe(0xffff_ffffn);
    expect(encodeQi(QI.PASID_CACHE, { pasid: 0xffff_ffff }, 4)[0]! >> 32n).toBe(0xfffffn);
  });
});
