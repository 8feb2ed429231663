/**
 * Queued-invalidation descriptors for tests and benches, built field by field
 * through the codec of invalidation/descriptor.ts. Each returns the 128-bit
 * form (2 qwords) unless `wide` asks for the 256-bit form (4 qwords); types
 * 6..9 exist only in the 256-bit form. Every field is shifted in unmasked, so a
 * test can put a too-wide value into reserved bits on purpose.
 */
import { encodeQi, QI, type QiLayout, type QiValue } from '../invalidation/descriptor.js';

export type Desc = bigint[];

/** `layout` with `values`, all fields unmasked. */
function build<L extends QiLayout>(
  layout: L,
  values: { readonly [K in keyof L['fields']]?: QiValue },
  wide: boolean,
): Desc {
  return encodeQi(layout, values, wide ? 4 : 2, Object.keys(layout.fields) as (keyof L['fields'])[]);
}

/** Type 0x1, context-cache: g 1 global, 2 domain, 3 device (SID under FM). */
export function ccDesc(g: number, o: { did?: number; sid?: number; fm?: number; wide?: boolean } = {}): Desc {
  return build(QI.CONTEXT_CACHE, { g, did: o.did ?? 0, sid: o.sid ?? 0, fm: o.fm ?? 0 }, o.wide ?? false);
}

/** Type 0x2, IOTLB: g 1 global, 2 domain, 3 page-selective (vpn, am, ih); DR/DW drain bits. */
export function iotlbDesc(
  g: number,
  did: number,
  o: { vpn?: number; am?: number; ih?: boolean; dr?: boolean; dw?: boolean; wide?: boolean } = {},
): Desc {
  const psi = g === 3 ? { addr: BigInt(o.vpn ?? 0) << 12n, am: o.am ?? 0, ih: o.ih ?? false } : {};
  return build(QI.IOTLB, { g, did, dw: o.dw ?? false, dr: o.dr ?? false, ...psi }, o.wide ?? false);
}

/** Type 0x3, device-TLB: SID, ADDR with the ATS size bit S. */
export function devTlbDesc(sid: number, addr: bigint, s: boolean, o: { wide?: boolean } = {}): Desc {
  return build(QI.DEVICE_TLB, { sid, addr, s }, o.wide ?? false);
}

/** Type 0x4, interrupt-entry cache: g 0 global, 1 index-selective. */
export function iecDesc(g: number, o: { index?: number; im?: number; wide?: boolean } = {}): Desc {
  return build(QI.INTERRUPT_ENTRY_CACHE, { g, im: o.im ?? 0, iidx: o.index ?? 0 }, o.wide ?? false);
}

/** Type 0x5, invalidation wait: SW writes `data` to `addr`; IF raises the completion interrupt. */
export function waitDesc(
  o: {
    sw?: boolean;
    intr?: boolean;
    fn?: boolean;
    pd?: boolean;
    data?: number;
    addr?: number;
    wide?: boolean;
  } = {},
): Desc {
  return build(
    QI.INVALIDATION_WAIT,
    {
      if: o.intr ?? false,
      sw: o.sw ?? false,
      fn: o.fn ?? false,
      pd: o.pd ?? false,
      statusData: o.data ?? 0,
      statusAddr: BigInt(o.addr ?? 0),
    },
    o.wide ?? false,
  );
}

/** Type 0x6, PASID-based IOTLB: g 2 all in PASID, 3 page-selective within the PASID. */
export function piotlbDesc(
  g: number,
  did: number,
  pasid: number,
  o: { vpn?: number; am?: number; ih?: boolean } = {},
): Desc {
  const psi = g === 3 ? { addr: BigInt(o.vpn ?? 0) << 12n, am: o.am ?? 0, ih: o.ih ?? false } : {};
  return build(QI.PASID_IOTLB, { g, did, pasid, ...psi }, true);
}

/** Type 0x7, PASID cache: g 0 domain, 1 PASID-selective, 3 global. */
export function pcDesc(g: number, did: number, pasid = 0): Desc {
  return build(QI.PASID_CACHE, { g, did, pasid }, true);
}

/** Type 0x8, PASID-based device-TLB: SID, PASID, ADDR with S (bit 11) and G (all PASIDs, bit 0). */
export function pdevTlbDesc(
  sid: number,
  pasid: number,
  addr: bigint,
  o: { s?: boolean; g?: boolean } = {},
): Desc {
  return build(QI.PASID_DEVICE_TLB, { sid, pasid, addr, s: o.s ?? false, g: o.g ?? false }, true);
}
