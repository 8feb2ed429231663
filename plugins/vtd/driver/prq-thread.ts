/**
 * The PRQ thread (prq_event_thread, v5.10-v5.12, and v5.13's two extra
 * rejections; reference/uapi.md §5.5): drains the page request queue from head
 * to tail. A request for a guest-mode
 * PASID bound to the requesting device becomes a page-request iommu_fault for
 * the guest, which answers later through iommu_page_response; anything else is
 * a bad request, answered Invalid when the device expects a response.
 */
import type { DeviceConfig } from '../../../core/plugin/contract.js';
import type { ErrnoCode } from '../../../core/uapi/errno.js';
import type { IommuFault } from '../../../core/uapi/structs.js';
import { encodePageGroupResponse, VTD_PAGE_RESP } from '../page-requests/page-group-response.js';
import {
  decodePageRequest,
  isStopMarker,
  type PageRequestDescriptor,
} from '../page-requests/page-request-descriptor.js';
import type { DriverContext } from './driver-context.js';
import { descriptorHex } from './qi-descriptors.js';
import { findSdev, type Svm, type SvmDev } from './svm-state.js';
import { IOMMU_FAULT_PAGE_REQ, IOMMU_FAULT_PAGE_REQUEST, IOMMU_FAULT_PERM } from './uapi-constants.js';

/** Handles every queued request, then clears PRS.PRO if it was set. Returns how many were handled. */
export function runPrqThread(ctx: DriverContext): number {
  const q = ctx.prq;
  let handled = 0;
  while (q.pending) {
    handleRequest(ctx, decodePageRequest(q.read(q.head)));
    q.advanceHead();
    handled++;
  }
  if (q.overflow) {
    // The ring is empty now: software acknowledges the overflow by writing PRO.
    q.clearOverflow();
    ctx.emit('vtd.prq.overflow-cleared', { dropped: q.overflows });
  }
  return handled;
}

function handleRequest(ctx: DriverContext, req: PageRequestDescriptor): void {
  const pasid = req.pasidPresent ? req.pasid : null;
  const drop = (reason: string): void =>
    ctx.emit('vtd.driver.prq.dropped', { sid: req.rid, pasid, grpid: req.prgIndex, reason });
  if (isStopMarker(req)) {
    // A PASID stop marker needs no response (PCIe). v5.10 did not special-case
    // it; mainline drops them since "iommu/vt-d: Drop stop marker messages".
    drop('stop-marker');
    return;
  }
  if (!req.pasidPresent) {
    ctx.noted('vtd.prq.request-without-pasid', { sid: req.rid, grpid: req.prgIndex });
    drop('no-pasid');
    respondIfNeeded(ctx, req, VTD_PAGE_RESP.INVALID);
    return;
  }
  const bad = (reason: string): void => {
    drop(reason);
    respondIfNeeded(ctx, req, VTD_PAGE_RESP.INVALID);
  };
  // v5.13 rejects these before it looks the PASID up. The reference gives no order; this one is
  // the commit's (78a523fe73b8: "no need to find the matching sdev").
  if (ctx.kernel.prqRejectsPrivAndExecRead) {
    const why =
      req.priv && (req.read || req.write)
        ? 'privileged-read-write'
        : req.exec && req.read
          ? 'execute-read'
          : null;
    if (why !== null) {
      bad(why);
      return;
    }
  }
  const svm = ctx.ioasids.find(req.pasid);
  if (svm === null || typeof svm === 'string') {
    ctx.noted('vtd.prq.invalid-pasid', { sid: req.rid, pasid: req.pasid });
    bad('invalid-pasid');
    return;
  }
  const sdev = findSdev(svm, req.rid);
  const reason = badReason(ctx, svm, sdev, req);
  if (reason !== null) {
    bad(reason);
    return;
  }
  const r = report(ctx, sdev!.device, req);
  if (r !== 0) bad(`report-failed:${r}`);
}

/** Why a request for a known PASID cannot go to the guest, in the kernel's order; null when it can. */
function badReason(
  ctx: DriverContext,
  svm: Svm,
  sdev: SvmDev | undefined,
  req: PageRequestDescriptor,
): string | null {
  if (svm.mm === 0) return 'no-mm';
  if (!isCanonical(req.pageField << 12n, ctx.options.cpu5LevelPaging ? 57 : 48)) return 'non-canonical';
  if (!svm.guestMode) return 'native-svm-not-modelled';
  if (sdev === undefined) return 'device-not-bound';
  return null;
}

/** intel_svm_prq_report: the iommu_fault the guest sees (uapi.md §5.5, fixed address form). */
export function pageRequestFault(req: PageRequestDescriptor): IommuFault {
  let flags = 0;
  if (req.lpig) flags |= IOMMU_FAULT_PAGE_REQUEST.LAST_PAGE;
  if (req.pasidPresent) flags |= IOMMU_FAULT_PAGE_REQUEST.PASID_VALID | IOMMU_FAULT_PAGE_REQUEST.NEEDS_PASID;
  // Private data needs a response just like LPIG: the core only keeps LAST_PAGE requests pending.
  if (req.privateDataPresent)
    flags |= IOMMU_FAULT_PAGE_REQUEST.LAST_PAGE | IOMMU_FAULT_PAGE_REQUEST.PRIV_DATA;
  let perm = 0;
  if (req.read) perm |= IOMMU_FAULT_PERM.READ;
  if (req.write) perm |= IOMMU_FAULT_PERM.WRITE;
  if (req.exec) perm |= IOMMU_FAULT_PERM.EXEC;
  if (req.priv) perm |= IOMMU_FAULT_PERM.PRIV;
  return {
    type: IOMMU_FAULT_PAGE_REQ,
    padding: 0,
    event: { reason: 0, flags: 0, pasid: 0, perm: 0, addr: 0n, fetch_addr: 0n },
    prm: {
      flags,
      pasid: req.pasid,
      grpid: req.prgIndex,
      perm,
      addr: req.pageField << 12n,
      private_data: req.privateDataPresent ? [req.privateData[0], req.privateData[1]] : [0n, 0n],
    },
  };
}

function report(ctx: DriverContext, device: DeviceConfig, req: PageRequestDescriptor): ErrnoCode {
  const fault = pageRequestFault(req);
  const result: ErrnoCode = device.pci ? ctx.services.faults.report(req.rid, fault) : 'ENODEV';
  ctx.emit('vtd.driver.prq.reported', {
    sid: req.rid,
    pasid: req.pasid,
    grpid: req.prgIndex,
    flags: fault.prm.flags,
    perm: fault.prm.perm,
    addr: `0x${fault.prm.addr.toString(16)}`,
    privateData: req.privateDataPresent ? descriptorHex(fault.prm.private_data) : null,
    result,
  });
  return result;
}

/**
 * Answers a bad request when the device waits for one (LPIG or private data).
 * v5.10-v5.12 copy the private data into the response and then zero it again,
 * so the device never gets it back; we do the same and say so.
 */
function respondIfNeeded(ctx: DriverContext, req: PageRequestDescriptor, code: number): void {
  if (!req.lpig && !req.privateDataPresent) return;
  if (req.privateDataPresent) {
    ctx.noted('vtd.prq.private-data-not-echoed', { sid: req.rid, pasid: req.pasid, grpid: req.prgIndex });
  }
  const descriptor = encodePageGroupResponse({
    rid: req.rid,
    pasidPresent: req.pasidPresent,
    pasid: req.pasid,
    privateDataPresent: req.privateDataPresent,
    code,
    lpig: req.lpig,
    prgIndex: req.prgIndex,
    privateData: [0n, 0n],
  });
  ctx.sendResponse(
    {
      source: 'prq-thread',
      sid: req.rid,
      pasid: req.pasidPresent ? req.pasid : null,
      grpid: req.prgIndex,
      code,
      lpig: req.lpig,
    },
    descriptor,
  );
}

/** x86 canonical form: bits 63..(width-1) all equal. */
export function isCanonical(addr: bigint, width: number): boolean {
  const top = addr >> BigInt(width - 1);
  return top === 0n || top === (1n << BigInt(65 - width)) - 1n;
}
