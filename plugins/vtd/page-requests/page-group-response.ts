/**
 * Page group response descriptor (queued-invalidation type 0x9), the answer to
 * a page request group (reference/vtd.md §5, reference/uapi.md §5.1); its
 * layout is QI.PAGE_GROUP_RESPONSE in invalidation/descriptor.ts, qw2 and qw3
 * carry the private data echoed back to the device.
 */
import type { QiDescriptor } from '../driver/qi-descriptors.js';
import { decodeQi, encodeQi, QI } from '../invalidation/descriptor.js';

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

/**
 * Builds the descriptor exactly as the driver ORs its fields together: the response code, the
 * PASID and the group index are shifted in unmasked (QI_PGRP_RESP_CODE, QI_PGRP_PASID,
 * QI_PGRP_IDX), the requester id masked.
 */
export function encodePageGroupResponse(r: PageGroupResponse): QiDescriptor {
  const d = encodeQi(
    QI.PAGE_GROUP_RESPONSE,
    {
      pasidPresent: r.pasidPresent,
      pdp: r.privateDataPresent,
      code: r.code >>> 0,
      rid: r.rid & 0xffff,
      pasid: r.pasid >>> 0,
      lpig: r.lpig,
      prgIndex: r.prgIndex >>> 0,
    },
    4,
    ['code', 'pasid', 'prgIndex'],
  );
  return [d[0]!, d[1]!, r.privateData[0], r.privateData[1]];
}

/** A response read back by the layout's widths: `code` is 4 bits here, whatever was written. */
export interface DecodedPageGroupResponse extends PageGroupResponse {
  readonly type: number;
}

/** Reads the fields back by their architectural widths. */
export function decodePageGroupResponse(qw: readonly bigint[]): DecodedPageGroupResponse {
  const f = decodeQi(QI.PAGE_GROUP_RESPONSE, qw);
  return {
    type: Number((qw[0] ?? 0n) & 0xfn),
    pasidPresent: f.pasidPresent === 1n,
    privateDataPresent: f.pdp === 1n,
    code: Number(f.code),
    rid: Number(f.rid),
    pasid: Number(f.pasid),
    lpig: f.lpig === 1n,
    prgIndex: Number(f.prgIndex),
    privateData: [qw[2] ?? 0n, qw[3] ?? 0n],
  };
}
