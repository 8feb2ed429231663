/**
 * The queued-invalidation descriptor codec (VT-d 6.5.2, reference/vtd.md §5):
 * one declarative layout per descriptor type, from which everything else is
 * derived — the type codes, the reserved-bit masks the hardware checks, the
 * 256-bit-only set — and through which the driver encodes (qi-descriptors.ts,
 * page-group responses), the hardware decodes (queued-invalidation.ts) and
 * tests build descriptors (testing/descriptors.ts).
 *
 * A descriptor is 2 qwords (128-bit) or 4 (256-bit, IQA.DW = 1), held as
 * bigints where software handles it and as eight 32-bit words
 * (descriptorWords) where the hardware decodes it, so that decoding is number
 * arithmetic. Field positions are `{ dw: qword, msb, lsb }` as in core/bits;
 * `addr` fields (ADDR 63:12, status address 63:2) are kept in place.
 */
import { type FieldSpec, getField, type Layout } from '../../../core/bits/index.js';

export interface QiLayout {
  /** Type code: qw0 bits 3:0 (bits 11:9, type[6:4], are zero for every type modelled). */
  readonly type: number;
  /** Exists only in the 256-bit form (the PASID-granular types and page group responses). */
  readonly only256?: true;
  /** qw2/qw3 carry data (a page group response's private data) rather than reserved zeros. */
  readonly data23?: true;
  readonly fields: Layout;
}

const f = (dw: number, msb: number, lsb: number): FieldSpec => ({ dw, msb, lsb });
const at = (dw: number, msb: number, lsb: number): FieldSpec => ({ dw, msb, lsb, addr: true });

/** qw0 3:0 and 11:9: the type, in every descriptor. */
export const QI_TYPE_FIELDS = { type: f(0, 3, 0), typeHi: f(0, 11, 9) } as const;

/** VT-d 6.5.2.x: every descriptor type the queue knows, field by field. */
export const QI = {
  /** 6.5.2.1 Context-cache invalidate: G 01 global, 10 domain, 11 device (SID under FM). */
  CONTEXT_CACHE: {
    type: 0x1,
    fields: { g: f(0, 5, 4), did: f(0, 31, 16), sid: f(0, 47, 32), fm: f(0, 49, 48) },
  },
  /** 6.5.2.3 IOTLB invalidate: G 01 global, 10 domain, 11 page-selective (AM, IH, ADDR). */
  IOTLB: {
    type: 0x2,
    fields: {
      g: f(0, 5, 4),
      dw: f(0, 6, 6),
      dr: f(0, 7, 7),
      did: f(0, 31, 16),
      am: f(1, 5, 0),
      ih: f(1, 6, 6),
      addr: at(1, 63, 12),
    },
  },
  /** 6.5.2.5 Device-TLB invalidate: ADDR with the PCIe ATS size bit S. */
  DEVICE_TLB: {
    type: 0x3,
    fields: {
      pfsidLo: f(0, 15, 12),
      qdep: f(0, 20, 16),
      sid: f(0, 47, 32),
      pfsidHi: f(0, 63, 52),
      s: f(1, 0, 0),
      addr: at(1, 63, 12),
    },
  },
  /** 6.5.2.7 Interrupt-entry-cache invalidate: G 0 global, 1 index-selective. */
  INTERRUPT_ENTRY_CACHE: {
    type: 0x4,
    fields: { g: f(0, 4, 4), im: f(0, 31, 27), iidx: f(0, 47, 32) },
  },
  /** 6.5.2.8 Invalidation wait: IF, SW (write status data to the status address), FN, PD. */
  INVALIDATION_WAIT: {
    type: 0x5,
    fields: {
      if: f(0, 4, 4),
      sw: f(0, 5, 5),
      fn: f(0, 6, 6),
      pd: f(0, 7, 7),
      statusData: f(0, 63, 32),
      statusAddr: at(1, 63, 2),
    },
  },
  /** 6.5.2.4 PASID-based IOTLB invalidate: G 10 all in PASID, 11 page-selective within it. */
  PASID_IOTLB: {
    type: 0x6,
    only256: true,
    fields: {
      g: f(0, 5, 4),
      did: f(0, 31, 16),
      pasid: f(0, 51, 32),
      am: f(1, 5, 0),
      ih: f(1, 6, 6),
      addr: at(1, 63, 12),
    },
  },
  /** 6.5.2.2 PASID-cache invalidate: G 00 domain, 01 PASID-selective, 11 global. */
  PASID_CACHE: {
    type: 0x7,
    only256: true,
    fields: { g: f(0, 5, 4), did: f(0, 31, 16), pasid: f(0, 51, 32) },
  },
  /** 6.5.2.6 PASID-based device-TLB invalidate: G (all PASIDs) qw1 bit 0, S bit 11. */
  PASID_DEVICE_TLB: {
    type: 0x8,
    only256: true,
    fields: {
      qdep: f(0, 8, 4),
      pfsidLo: f(0, 15, 12),
      sid: f(0, 31, 16),
      pasid: f(0, 51, 32),
      pfsidHi: f(0, 63, 52),
      g: f(1, 0, 0),
      s: f(1, 11, 11),
      addr: at(1, 63, 12),
    },
  },
  /** 6.5.2.10 Page group response: the answer to a page request group; qw2/qw3 private data. */
  PAGE_GROUP_RESPONSE: {
    type: 0x9,
    only256: true,
    data23: true,
    fields: {
      pasidPresent: f(0, 4, 4),
      pdp: f(0, 5, 5),
      code: f(0, 15, 12),
      rid: f(0, 31, 16),
      pasid: f(0, 51, 32),
      lpig: f(1, 2, 2),
      prgIndex: f(1, 11, 3),
    },
  },
} as const satisfies { readonly [name: string]: QiLayout };

export type QiName = keyof typeof QI;

/** Type codes by name (VT-d 6.5.2), derived from QI. */
export const QI_TYPE = Object.fromEntries(Object.entries(QI).map(([n, l]) => [n, l.type])) as {
  readonly [K in QiName]: (typeof QI)[K]['type'];
};

/** Layouts by type code. */
export const QI_BY_TYPE: ReadonlyMap<number, QiLayout> = new Map(Object.values(QI).map((l) => [l.type, l]));

const U64 = (1n << 64n) - 1n;

/** The bits of a field, in place in its qword. */
function fieldMask(spec: FieldSpec): bigint {
  return ((1n << BigInt(spec.msb - spec.lsb + 1)) - 1n) << BigInt(spec.lsb);
}

/**
 * Reserved bits of qw0 and qw1 per type: every bit no field claims (type[6:4] in qw0 11:9 is
 * checked separately, before the type is known).
 */
export const QI_RSVD: { readonly [type: number]: readonly [bigint, bigint] } = Object.fromEntries(
  Object.values(QI).map((l: QiLayout) => {
    const used = [fieldMask(QI_TYPE_FIELDS.type) | fieldMask(QI_TYPE_FIELDS.typeHi), 0n];
    for (const spec of Object.values(l.fields)) if (spec.dw < 2) used[spec.dw]! |= fieldMask(spec);
    return [l.type, [U64 & ~used[0]!, U64 & ~used[1]!] as const];
  }),
);

/** Descriptor types that exist only in the 256-bit form. */
export const QI_256_ONLY: ReadonlySet<number> = new Set(
  Object.values(QI as { readonly [n: string]: QiLayout })
    .filter((l) => l.only256)
    .map((l) => l.type),
);

/**
 * QI_RSVD as 32-bit words, per type [qw0 31:0, qw0 63:32, qw1 31:0, qw1 63:32], for checking a
 * descriptor held as words (descriptorWords) without BigInt arithmetic.
 */
export const QI_RSVD_WORDS: { readonly [type: number]: readonly number[] } = Object.fromEntries(
  Object.entries(QI_RSVD).map(([t, [q0, q1]]) => [
    t,
    [Number(q0 & 0xffff_ffffn), Number(q0 >> 32n), Number(q1 & 0xffff_ffffn), Number(q1 >> 32n)],
  ]),
);

/** A field's value as software gives it to encodeQi. Booleans are 1 and 0. */
export type QiValue = number | bigint | boolean;

/**
 * Builds a descriptor of `layout` (2 or `qwords` qwords) from field values. A field is masked to
 * its width unless named in `unmasked`: then the value is shifted in whole, as the kernel's
 * unmasked QI_* macros do (`((u64)pasid) << 32`), spilling into the bits above. `addr` fields
 * take the value in place (a byte address), other fields the value itself.
 */
export function encodeQi<L extends QiLayout>(
  layout: L,
  values: { readonly [K in keyof L['fields']]?: QiValue },
  qwords: 2 | 4,
  unmasked: readonly (keyof L['fields'])[] = [],
): bigint[] {
  const d: bigint[] = qwords === 4 ? [BigInt(layout.type), 0n, 0n, 0n] : [BigInt(layout.type), 0n];
  for (const name of Object.keys(values) as (keyof L['fields'] & string)[]) {
    const v = values[name];
    if (v === undefined || v === false) continue;
    const spec = layout.fields[name];
    if (spec === undefined) throw new RangeError(`QI ${layout.type}: unknown field "${name}"`);
    if (spec.dw >= qwords) throw new RangeError(`QI ${layout.type}: ${name} is beyond qw${qwords - 1}`);
    const raw = BigInt(v === true ? 1 : v);
    const placed = spec.addr ? raw : raw << BigInt(spec.lsb);
    d[spec.dw] = (d[spec.dw]! | (unmasked.includes(name) ? placed : placed & fieldMask(spec))) & U64;
  }
  return d;
}

/** Every field of a descriptor by the layout of its type (cold path: allocates). Address fields in place. */
export function decodeQi<L extends QiLayout>(
  layout: L,
  d: readonly bigint[],
): { -readonly [K in keyof L['fields']]: bigint } {
  const out: { [k: string]: bigint } = {};
  for (const [name, spec] of Object.entries(layout.fields)) {
    const q = d[spec.dw] ?? 0n;
    out[name] = spec.addr ? q & fieldMask(spec) : (q & fieldMask(spec)) >> BigInt(spec.lsb);
  }
  return out as { -readonly [K in keyof L['fields']]: bigint };
}

/**
 * Splits a descriptor's qwords into little-endian 32-bit words (`out[2k]` = qword k bits 31:0,
 * `out[2k + 1]` = bits 63:32), so that decoding it is number arithmetic: a BigInt operation
 * allocates, and a descriptor used to cost some sixty of them.
 */
export function descriptorWords(d: readonly bigint[], out: Uint32Array): void {
  for (let k = 0; k < d.length; k++) {
    const q = d[k]!;
    if (q >= 0n && q <= SAFE) {
      // Exact as a double: split it without allocating a BigInt (most qwords are below 2^53).
      const v = Number(q);
      const lo = v % 4294967296;
      out[2 * k] = lo;
      out[2 * k + 1] = (v - lo) / 4294967296;
    } else {
      out[2 * k] = Number(BigInt.asUintN(32, q));
      out[2 * k + 1] = Number(BigInt.asUintN(32, q >> 32n));
    }
  }
}

const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** A field (at most 32 bits wide) of a descriptor held as words. */
export function qiField(w: Uint32Array, spec: FieldSpec): number {
  return getField(w, spec.dw * 64 + spec.lsb, spec.msb - spec.lsb + 1);
}

/** An ADDR 63:12 field of a descriptor held as words, as a page number (exact to 2^52 pages). */
export function qiPage(w: Uint32Array, spec: FieldSpec): number {
  return w[2 * spec.dw + 1]! * 2 ** 20 + (w[2 * spec.dw]! >>> 12);
}

/** An address field of a descriptor's qwords, in place (low bits zero). */
export function qiAddr(d: readonly bigint[], spec: FieldSpec): bigint {
  return (d[spec.dw] ?? 0n) & fieldMask(spec);
}

/**
 * PCIe ATS invalidation range (reference/vtd.md §4.5): S = 0 is one page at
 * ADDR; S = 1 encodes the size by the trailing ones of ADDR[63:12]: k ones
 * mean 2^(k+1) pages, address aligned down to that size.
 */
export function atsRange(addr: bigint, s: boolean): { vpn: number; pages: number } {
  const pfn = addr >> 12n;
  if (!s) return { vpn: Number(pfn & 0xf_ffff_ffff_ffffn), pages: 1 };
  let k = 0;
  while (k < 52 && ((pfn >> BigInt(k)) & 1n) === 1n) k++;
  if (k >= 44) return { vpn: 0, pages: 2 ** 45 };
  const pages = 2 ** (k + 1);
  return { vpn: Number((pfn >> BigInt(k + 1)) << BigInt(k + 1)), pages };
}
