/**
 * intel_svm_drain_prq: before a PASID's binding goes away, every page request
 * for it still in the queue must be handled, then the hardware is drained of
 * requests and responses in flight (VT-d 7.10): a fenced wait, a PASID IOTLB
 * flush and a PASID device-TLB flush, submitted with a page-request-drain wait,
 * repeated while the queue reports overflow.
 */
import type { DeviceConfig } from '../../../core/plugin/contract.js';
import { decodePageRequest } from '../page-requests/page-request-descriptor.js';
import type { DriverContext } from './driver-context.js';
import { runPrqThread } from './prq-thread.js';
import { encodePasidDevIotlb, encodePiotlb, encodeWait } from './qi-descriptors.js';

/** Drains page requests of `pasid` from `device`; nothing to do when the device has no PRI. */
export function drainPageRequests(ctx: DriverContext, device: DeviceConfig, pasid: number): void {
  if (!device.pri) return;
  // The kernel waits for the PRQ thread while a request for this PASID is still queued.
  if (queuedFor(ctx, pasid)) runPrqThread(ctx);
  const did = ctx.hw.hostDomainOf(device.sid)?.did ?? 0;
  const descs = [
    encodeWait(true, false, 1),
    encodePiotlb({ did, pasid, addr: 0n, npages: -1n, ih: false })!,
    encodePasidDevIotlb({
      sid: device.sid,
      pfsid: ctx.pfsid(device),
      pasid,
      qdep: ctx.options.atsQueueDepth,
      addr: 0n,
      sizeOrder: 0,
    }),
    // qi_submit_sync's own completion wait, with the page-request drain bit.
    encodeWait(false, true, 1),
  ];
  ctx.submit('prq-drain', device.sid, pasid, descs);
  if (ctx.prq.overflow) {
    runPrqThread(ctx);
    ctx.submit('prq-drain', device.sid, pasid, descs);
  }
}

function queuedFor(ctx: DriverContext, pasid: number): boolean {
  const q = ctx.prq;
  for (let slot = q.head; slot !== q.tail; slot = (slot + 1) % q.entries) {
    const d = decodePageRequest(q.read(slot));
    if (d.pasidPresent && d.pasid === pasid) return true;
  }
  return false;
}
