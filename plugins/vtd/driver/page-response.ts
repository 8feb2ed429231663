/**
 * intel_svm_page_response: the vendor side of iommu_page_response
 * (reference/uapi.md §5.6). The core has matched `pending` (and already
 * dropped it from its list); the driver checks the binding and the caller,
 * then sends a page group response descriptor (type 0x9) when the request
 * wanted one. The UAPI code is written verbatim into the 4-bit VT-d field
 * (FAILURE=2 stays 2, not the architectural 0xF) unless the driver was told to
 * model the architectural code deliberately (option responseCodes).
 */
import type { ErrnoCode } from '../../../core/uapi/errno.js';
import type { IommuFault, IommuPageResponse } from '../../../core/uapi/structs.js';
import type { VendorCall } from '../../../core/uapi/vendor-ops.js';
import { encodePageGroupResponse, VTD_PAGE_RESP } from '../page-requests/page-group-response.js';
import type { DriverContext } from './driver-context.js';
import { findSdev } from './svm-state.js';
import { IOMMU_FAULT_PAGE_REQUEST, IOMMU_PAGE_RESP_FAILURE, PASID_MAX } from './uapi-constants.js';

/**
 * ENODEV: non-PCI or unknown device, no binding of the request's PASID for this
 * device, or a caller that is not the process that bound it; EINVAL: request
 * without PASID, PASID 0 or >= 2^20, caller without an mm. Else 0.
 */
export function pageResponse(
  ctx: DriverContext,
  call: VendorCall,
  pending: IommuFault,
  msg: IommuPageResponse,
): ErrnoCode {
  const device = call.device;
  if (!device.pci) return 'ENODEV';
  if (ctx.knownDevice(device) === undefined) return 'ENODEV';
  const prm = pending.prm;
  const pasidPresent = (prm.flags & IOMMU_FAULT_PAGE_REQUEST.PASID_VALID) !== 0;
  if (!pasidPresent) return 'EINVAL';
  if (prm.pasid === 0 || prm.pasid >= PASID_MAX) return 'EINVAL';
  const svm = ctx.ioasids.find(prm.pasid);
  if (svm === null || typeof svm === 'string') return 'ENODEV';
  if (findSdev(svm, device.sid) === undefined) return 'ENODEV';
  if (svm.guestMode) {
    if (call.mm === 0) return 'EINVAL';
    if (call.mm !== svm.mm) return 'ENODEV';
  }

  const lastPage = (prm.flags & IOMMU_FAULT_PAGE_REQUEST.LAST_PAGE) !== 0;
  const privateData = (prm.flags & IOMMU_FAULT_PAGE_REQUEST.PRIV_DATA) !== 0;
  if (!lastPage && !privateData) return 0;
  const code =
    ctx.options.responseCodes === 'architectural' && msg.code === IOMMU_PAGE_RESP_FAILURE
      ? VTD_PAGE_RESP.FAILURE
      : msg.code;
  const descriptor = encodePageGroupResponse({
    rid: device.sid,
    pasidPresent,
    pasid: prm.pasid,
    privateDataPresent: privateData,
    code,
    lpig: lastPage,
    prgIndex: prm.grpid,
    privateData: privateData ? [prm.private_data[0], prm.private_data[1]] : [0n, 0n],
  });
  if (code > 0xf) {
    // QI_PGRP_RESP_CODE does not mask: the high bits land in the requester-id field.
    ctx.noted('vtd.page-response.code-overflows-field', { code, sid: device.sid });
  }
  ctx.sendResponse(
    { source: 'page-response', sid: device.sid, pasid: prm.pasid, grpid: prm.grpid, code, lpig: lastPage },
    descriptor,
  );
  return 0;
}
