/**
 * Page group response descriptor (queued-invalidation type 0x9), the answer to
 * a page request group (reference/vtd.md §5, reference/uapi.md §5.1):
 *   qw0: 3:0 type, 4 PASID present, 5 private data present, 15:12 response code,
 *        31:16 requester id, 51:32 PASID
 *   qw1: 2 LPIG, 11:3 page request group index
 *   qw2, qw3: private data (echoed back to the device).
 */
import type { QiDescriptor } from '../driver/qi-descriptors.js';

/** VT-d response codes (PCIe PRG response): only 0 and 1 are what Linux means to send. */
export const VTD_PAGE_RESP = { SUCCESS: 0x0, INVALID: 0x1, FAILURE: 0xf } as const;

export interface PageGroupResponse {
  readonly rid: number;
  readonly pasidPresent: boolean;
  readonly pasid: number;
  readonly privateDataPresent: boolean;
  /**
   * Written as the driver writes it: shifted to bit 12 without a mask, so a
   * value above 0xF spills into the requester-id field (QI_PGRP_RESP_CODE).
   */
  readonly code: number;
  readonly lpig: boolean;
  readonly prgIndex: number;
  readonly privateData: readonly [bigint, bigint];
}

/** Builds the descriptor exactly as the driver ORs its fields together. */
export function encodePageGroupResponse(r: PageGroupResponse): QiDescriptor {
  const qw0 =
    0x9n |
    (r.pasidPresent ? 1n << 4n : 0n) |
    (r.privateDataPresent ? 1n << 5n : 0n) |
    (BigInt(r.code >>> 0) << 12n) |
    (BigInt(r.rid & 0xffff) << 16n) |
    (BigInt(r.pasid >>> 0) << 32n);
  const qw1 = (r.lpig ? 1n << 2n : 0n) | (BigInt(r.prgIndex >>> 0) << 3n);
  return [qw0, qw1, r.privateData[0], r.privateData[1]];
}

export interface DecodedPageGroupResponse {
  readonly type: number;
  readonly rid: number;
  readonly pasidPresent: boolean;
  readonly pasid: number;
  readonly privateDataPresent: boolean;
  readonly code: number;
  readonly lpig: boolean;
  readonly prgIndex: number;
  readonly privateData: readonly [bigint, bigint];
}

/** Reads the fields back by their architectural widths. */
export function decodePageGroupResponse(qw: readonly bigint[]): DecodedPageGroupResponse {
  const qw0 = qw[0] ?? 0n;
  const qw1 = qw[1] ?? 0n;
  return {
    type: Number(qw0 & 0xfn),
    pasidPresent: ((qw0 >> 4n) & 1n) === 1n,
    privateDataPresent: ((qw0 >> 5n) & 1n) === 1n,
    code: Number((qw0 >> 12n) & 0xfn),
    rid: Number((qw0 >> 16n) & 0xffffn),
    pasid: Number((qw0 >> 32n) & 0xfffffn),
    lpig: ((qw1 >> 2n) & 1n) === 1n,
    prgIndex: Number((qw1 >> 3n) & 0x1ffn),
    privateData: [qw[2] ?? 0n, qw[3] ?? 0n],
  };
}
