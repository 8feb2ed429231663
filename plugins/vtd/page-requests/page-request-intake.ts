/**
 * The hardware side of a device page request: check the request's fields,
 * build the 32-byte descriptor and write it at the queue tail, or, when the
 * ring is full, drop it with PRS.PRO set. On overflow the hardware answers a
 * request that expects a response (LPIG or private data, not a stop marker)
 * itself with a successful page group response, so the device retries later
 * instead of waiting forever (VT-d 7.5, recalled from the spec: [S]).
 */
import type { DeviceConfig, PageRequestInput } from '../../../core/plugin/contract.js';
import type { QiDescriptor } from '../driver/qi-descriptors.js';
import { encodePageGroupResponse, VTD_PAGE_RESP } from './page-group-response.js';
import { encodePageRequest, isStopMarker, type PageRequestDescriptor } from './page-request-descriptor.js';
import type { PageRequestQueue } from './page-request-queue.js';

export type IntakeResult =
  | { readonly kind: 'invalid'; readonly detail: string }
  | { readonly kind: 'queued'; readonly slot: number; readonly descriptor: readonly bigint[] }
  | { readonly kind: 'overflow'; readonly autoResponse: QiDescriptor | null };

const U64_LIMIT = 1n << 64n;

/** Builds the descriptor for a device's request; a string names the bad field. */
export function describePageRequest(
  device: DeviceConfig,
  req: PageRequestInput,
): PageRequestDescriptor | string {
  if (req.pasid !== null && !(Number.isInteger(req.pasid) && req.pasid >= 0 && req.pasid <= 0xfffff)) {
    return `pasid ${req.pasid} is not a 20-bit value`;
  }
  if (!(Number.isInteger(req.grpid) && req.grpid >= 0 && req.grpid <= 0x1ff)) {
    return `grpid ${req.grpid} is not a 9-bit page request group index`;
  }
  if (typeof req.addr !== 'bigint' || req.addr < 0n || req.addr >= U64_LIMIT || (req.addr & 0xfffn) !== 0n) {
    return `addr ${String(req.addr)} is not a 4 KiB aligned 64-bit address`;
  }
  const pd = req.privateData;
  if (pd !== null && !pd.every((w) => typeof w === 'bigint' && w >= 0n && w < U64_LIMIT)) {
    return 'privateData must be two 64-bit values';
  }
  return {
    rid: device.sid,
    pasidPresent: req.pasid !== null,
    pasid: req.pasid ?? 0,
    privateDataPresent: pd !== null,
    exec: req.exec,
    priv: req.priv,
    read: req.read,
    write: req.write,
    lpig: req.last,
    prgIndex: req.grpid,
    pageField: req.addr >> 12n,
    privateData: pd ?? [0n, 0n],
  };
}

/** Writes the request into the queue, or drops it on overflow (with the hardware's own response). */
export function intakePageRequest(
  queue: PageRequestQueue,
  device: DeviceConfig,
  req: PageRequestInput,
): IntakeResult {
  const d = describePageRequest(device, req);
  if (typeof d === 'string') return { kind: 'invalid', detail: d };
  const descriptor = encodePageRequest(d);
  const r = queue.enqueue(descriptor);
  if (r.queued) return { kind: 'queued', slot: r.slot, descriptor };
  const needsResponse = (d.lpig || d.privateDataPresent) && !isStopMarker(d);
  const autoResponse = needsResponse
    ? encodePageGroupResponse({
        rid: d.rid,
        pasidPresent: d.pasidPresent,
        pasid: d.pasid,
        privateDataPresent: d.privateDataPresent,
        code: VTD_PAGE_RESP.SUCCESS,
        lpig: d.lpig,
        prgIndex: d.prgIndex,
        privateData: d.privateData,
      })
    : null;
  return { kind: 'overflow', autoResponse };
}
