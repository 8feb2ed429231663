/**
 * The 256-bit page request descriptor hardware writes into the page request
 * queue (reference/vtd.md §6.3, reference/uapi.md §5.5):
 *   qw0: 7:0 type, 8 PASID present, 9 private data present (PDP), 31:16 requester id,
 *        51:32 PASID, 52 execute requested, 53 privileged-mode requested
 *   qw1: 0 read, 1 write, 2 last page in group (LPIG), 11:3 page request group index,
 *        63:12 page address
 *   qw2, qw3: private data.
 */

/** Type value of a page request in qw0 7:0 (VT-d 7.4.1: page request descriptor). */
export const PRQ_DESC_TYPE_PAGE_REQUEST = 0x1;

export interface PageRequestDescriptor {
  readonly rid: number;
  readonly pasidPresent: boolean;
  readonly pasid: number;
  readonly privateDataPresent: boolean;
  readonly exec: boolean;
  readonly priv: boolean;
  readonly read: boolean;
  readonly write: boolean;
  readonly lpig: boolean;
  /** 9-bit page request group index. */
  readonly prgIndex: number;
  /** Page frame field, address bits 63:12 (a 52-bit value). */
  readonly pageField: bigint;
  readonly privateData: readonly [bigint, bigint];
}

const U64 = (1n << 64n) - 1n;

export function encodePageRequest(d: PageRequestDescriptor): [bigint, bigint, bigint, bigint] {
  const qw0 =
    BigInt(PRQ_DESC_TYPE_PAGE_REQUEST) |
    (d.pasidPresent ? 1n << 8n : 0n) |
    (d.privateDataPresent ? 1n << 9n : 0n) |
    (BigInt(d.rid & 0xffff) << 16n) |
    (BigInt(d.pasid & 0xfffff) << 32n) |
    (d.exec ? 1n << 52n : 0n) |
    (d.priv ? 1n << 53n : 0n);
  const qw1 =
    (d.read ? 1n : 0n) |
    (d.write ? 2n : 0n) |
    (d.lpig ? 4n : 0n) |
    (BigInt(d.prgIndex & 0x1ff) << 3n) |
    ((d.pageField & ((1n << 52n) - 1n)) << 12n);
  return [qw0, qw1, d.privateData[0] & U64, d.privateData[1] & U64];
}

export function decodePageRequest(qw: readonly bigint[]): PageRequestDescriptor {
  const qw0 = qw[0] ?? 0n;
  const qw1 = qw[1] ?? 0n;
  return {
    rid: Number((qw0 >> 16n) & 0xffffn),
    pasidPresent: ((qw0 >> 8n) & 1n) === 1n,
    pasid: Number((qw0 >> 32n) & 0xfffffn),
    privateDataPresent: ((qw0 >> 9n) & 1n) === 1n,
    exec: ((qw0 >> 52n) & 1n) === 1n,
    priv: ((qw0 >> 53n) & 1n) === 1n,
    read: (qw1 & 1n) === 1n,
    write: ((qw1 >> 1n) & 1n) === 1n,
    lpig: ((qw1 >> 2n) & 1n) === 1n,
    prgIndex: Number((qw1 >> 3n) & 0x1ffn),
    pageField: (qw1 >> 12n) & ((1n << 52n) - 1n),
    privateData: [qw[2] ?? 0n, qw[3] ?? 0n],
  };
}

/** A stop marker (PCIe PASID stop): last in group with neither read nor write. */
export function isStopMarker(d: Pick<PageRequestDescriptor, 'lpig' | 'read' | 'write'>): boolean {
  return d.lpig && !d.read && !d.write;
}
