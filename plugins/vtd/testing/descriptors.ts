/**
 * Queued-invalidation descriptors for tests and benches, built field by field
 * at the bit positions of reference/vtd.md §5. Each returns the 128-bit form
 * (2 qwords) unless `wide` asks for the 256-bit form (4 qwords); types 6..9
 * exist only in the 256-bit form.
 */

export type Desc = bigint[];

const B = BigInt;

function form(qw0: bigint, qw1: bigint, wide: boolean): Desc {
  return wide ? [qw0, qw1, 0n, 0n] : [qw0, qw1];
}

/** Address field of qw1: page number << 12 with AM in 5:0 and IH in 6. */
function addrQw(vpn: number, am: number, ih: boolean): bigint {
  return (B(vpn) << 12n) | (ih ? 0x40n : 0n) | B(am);
}

/** Type 0x1, context-cache: g 1 global, 2 domain, 3 device (SID under FM). */
export function ccDesc(g: number, o: { did?: number; sid?: number; fm?: number; wide?: boolean } = {}): Desc {
  const qw0 = 0x1n | (B(g) << 4n) | (B(o.did ?? 0) << 16n) | (B(o.sid ?? 0) << 32n) | (B(o.fm ?? 0) << 48n);
  return form(qw0, 0n, o.wide ?? false);
}

/** Type 0x2, IOTLB: g 1 global, 2 domain, 3 page-selective (vpn, am, ih); DR/DW drain bits. */
export function iotlbDesc(
  g: number,
  did: number,
  o: { vpn?: number; am?: number; ih?: boolean; dr?: boolean; dw?: boolean; wide?: boolean } = {},
): Desc {
  const qw0 = 0x2n | (B(g) << 4n) | (o.dw ? 0x40n : 0n) | (o.dr ? 0x80n : 0n) | (B(did) << 16n);
  return form(qw0, g === 3 ? addrQw(o.vpn ?? 0, o.am ?? 0, o.ih ?? false) : 0n, o.wide ?? false);
}

/** Type 0x3, device-TLB: SID, ADDR with the ATS size bit S. */
export function devTlbDesc(sid: number, addr: bigint, s: boolean, o: { wide?: boolean } = {}): Desc {
  return form(0x3n | (B(sid) << 32n), addr | (s ? 1n : 0n), o.wide ?? false);
}

/** Type 0x4, interrupt-entry cache: g 0 global, 1 index-selective. */
export function iecDesc(g: number, o: { index?: number; im?: number; wide?: boolean } = {}): Desc {
  return form(0x4n | (B(g) << 4n) | (B(o.im ?? 0) << 27n) | (B(o.index ?? 0) << 32n), 0n, o.wide ?? false);
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
  const qw0 =
    0x5n |
    (o.intr ? 0x10n : 0n) |
    (o.sw ? 0x20n : 0n) |
    (o.fn ? 0x40n : 0n) |
    (o.pd ? 0x80n : 0n) |
    (B(o.data ?? 0) << 32n);
  return form(qw0, B(o.addr ?? 0), o.wide ?? false);
}

/** Type 0x6, PASID-based IOTLB: g 2 all in PASID, 3 page-selective within the PASID. */
export function piotlbDesc(
  g: number,
  did: number,
  pasid: number,
  o: { vpn?: number; am?: number; ih?: boolean } = {},
): Desc {
  const qw0 = 0x6n | (B(g) << 4n) | (B(did) << 16n) | (B(pasid) << 32n);
  return [qw0, g === 3 ? addrQw(o.vpn ?? 0, o.am ?? 0, o.ih ?? false) : 0n, 0n, 0n];
}

/** Type 0x7, PASID cache: g 0 domain, 1 PASID-selective, 3 global. */
export function pcDesc(g: number, did: number, pasid = 0): Desc {
  return [0x7n | (B(g) << 4n) | (B(did) << 16n) | (B(pasid) << 32n), 0n, 0n, 0n];
}

/** Type 0x8, PASID-based device-TLB: SID, PASID, ADDR with S (bit 11) and G (all PASIDs, bit 0). */
export function pdevTlbDesc(
  sid: number,
  pasid: number,
  addr: bigint,
  o: { s?: boolean; g?: boolean } = {},
): Desc {
  const qw0 = 0x8n | (B(sid) << 16n) | (B(pasid) << 32n);
  return [qw0, addr | (o.s ? 0x800n : 0n) | (o.g ? 1n : 0n), 0n, 0n];
}
