/**
 * Per-device fault parameters of the generic layer (reference/uapi.md §4.6–§4.8):
 * the registered fault handler and the FIFO of page requests still waiting for
 * a response. Vendors report faults in; the VMM answers page requests out
 * through pageResponse, which matches them by group id and the NEEDS_PASID rules.
 */
import { type ErrnoCode, errnoName, fail, ok, type UapiResult } from './errno.js';
import type { IommuFault, IommuPageResponse } from './structs.js';
import { UAPI } from './uapi-constants.js';
import type { VendorCall, VendorOps } from './vendor-ops.js';

/** A fault handler (the VMM's): 0 or a negative Linux errno. */
export type FaultHandler = (fault: IommuFault) => number;

const RESP_VERSION = UAPI.IOMMU_PAGE_RESP_VERSION_1;
const RESP_FLAGS_MASK = UAPI.IOMMU_PAGE_RESP_PASID_VALID;

function handlerErrno(ret: number): ErrnoCode {
  if (ret === 0) return 0;
  const name = errnoName(ret);
  if (!name) throw new RangeError(`fault handler returned ${ret}, not a known Linux errno`);
  return name;
}

function cloneFault(f: IommuFault): IommuFault {
  return structuredClone(f);
}

export class DeviceFaultParams {
  #handler: FaultHandler | null = null;
  readonly #pending: IommuFault[] = [];

  /** iommu_register_device_fault_handler: one handler per device. Errno: EBUSY. */
  register(handler: FaultHandler): ErrnoCode {
    if (this.#handler) return 'EBUSY';
    this.#handler = handler;
    this.#pending.length = 0;
    return 0;
  }

  /** iommu_unregister_device_fault_handler: 0 when none; EBUSY while page requests are pending. */
  unregister(): ErrnoCode {
    if (!this.#handler) return 0;
    if (this.#pending.length > 0) return 'EBUSY';
    this.#handler = null;
    return 0;
  }

  /** The pending page requests, for snapshots (the handler is restored by its owner). */
  saveState(): readonly IommuFault[] {
    return this.#pending;
  }

  loadState(pending: readonly IommuFault[]): void {
    this.#pending.length = 0;
    for (const f of pending) this.#pending.push(cloneFault(f));
  }

  get hasHandler(): boolean {
    return this.#handler !== null;
  }

  /** Page requests awaiting a response, oldest first (copies owned by the core). */
  get pending(): readonly IommuFault[] {
    return this.#pending;
  }

  /**
   * iommu_report_device_fault (§4.7): EINVAL without a handler; a PAGE_REQ with
   * LAST_PAGE is queued before the handler runs and dropped again if it fails.
   * Returns the handler's result.
   */
  reportDeviceFault(fault: IommuFault): ErrnoCode {
    const handler = this.#handler;
    if (!handler) return 'EINVAL';
    let queued: IommuFault | null = null;
    if (
      fault.type === UAPI.IOMMU_FAULT_PAGE_REQ &&
      fault.prm.flags & UAPI.IOMMU_FAULT_PAGE_REQUEST_LAST_PAGE
    ) {
      queued = cloneFault(fault);
      this.#pending.push(queued);
    }
    const ret = handler(fault);
    // A failed report leaves nothing pending, even when the value is not an errno we can name.
    if (ret !== 0 && queued) this.#pending.splice(this.#pending.indexOf(queued), 1);
    return handlerErrno(ret);
  }

  /**
   * iommu_page_response (§4.8, mainline: a kernel struct, argsz never examined).
   * Order: ENODEV without a page_response op; EINVAL without a handler; EINVAL for
   * version or flags; EINVAL when nothing is pending; first pending request (oldest
   * first) with the same grpid whose NEEDS_PASID rule the message satisfies; a PASID
   * the request did not need is cleared from the returned message; the match is
   * removed whatever the vendor answers. No match: EINVAL.
   */
  pageResponse(
    msg: IommuPageResponse,
    ops: VendorOps,
    call: VendorCall,
  ): UapiResult<{ matched: IommuFault; msg: IommuPageResponse }> {
    const hasPasid = (msg.flags & UAPI.IOMMU_PAGE_RESP_PASID_VALID) !== 0;
    if (!ops.pageResponse) return fail('ENODEV', 'no page_response op');
    if (!this.#handler) return fail('EINVAL', 'no fault handler registered for the device');
    if (msg.version !== RESP_VERSION)
      return fail('EINVAL', `version ${msg.version} != IOMMU_PAGE_RESP_VERSION_1 (1)`);
    if (msg.flags & ~RESP_FLAGS_MASK)
      return fail('EINVAL', `flags 0x${msg.flags.toString(16)} has bits outside 0x1`);
    if (this.#pending.length === 0) return fail('EINVAL', 'no pending page request');
    for (let i = 0; i < this.#pending.length; i++) {
      const evt = this.#pending[i];
      if (evt.prm.grpid !== msg.grpid) continue;
      const needs = (evt.prm.flags & UAPI.IOMMU_FAULT_PAGE_RESPONSE_NEEDS_PASID) !== 0;
      if (needs && (!hasPasid || msg.pasid !== evt.prm.pasid)) continue;
      // The kernel rewrites the caller's message here; we return the rewritten copy.
      const sent =
        !needs && hasPasid
          ? { ...msg, flags: msg.flags & ~UAPI.IOMMU_PAGE_RESP_PASID_VALID, pasid: 0 }
          : { ...msg };
      const r = ops.pageResponse(call, evt, sent);
      this.#pending.splice(i, 1);
      return r === 0 ? ok({ matched: evt, msg: sent }) : fail(r, `vendor page_response returned ${r}`);
    }
    return fail(
      'EINVAL',
      `no pending page request matches grpid ${msg.grpid}${hasPasid ? ` pasid ${msg.pasid}` : ''}`,
    );
  }
}
