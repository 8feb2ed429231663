/**
 * The vendor driver's side of the UAPI: what `struct iommu_ops` offered in
 * v5.10 (cache_invalidate, sva_bind_gpasid, sva_unbind_gpasid, page_response).
 * The core has already copied and checked the user data (reference/uapi.md §4);
 * vendors see the raw user argsz. Each returns 0 or an errno name.
 */
import type { DeviceConfig } from '../plugin/contract.js';
import type { ErrnoCode } from './errno.js';
import type {
  IommuCacheInvalidateInfo,
  IommuFault,
  IommuGpasidBindData,
  IommuPageResponse,
} from './structs.js';

/** The per-call context: which device, and the caller (VMM process) identity for bind/response ownership. */
export interface VendorCall {
  readonly device: DeviceConfig;
  /** Identity of the calling process (the kernel's current->mm); 0 means none. */
  readonly mm: number;
}

export interface VendorOps {
  cacheInvalidate?(call: VendorCall, info: IommuCacheInvalidateInfo): ErrnoCode;
  bindGpasid?(call: VendorCall, data: IommuGpasidBindData): ErrnoCode;
  unbindGpasid?(call: VendorCall, pasid: number): ErrnoCode;
  /** `pending` is the page request the core matched; msg is the (possibly adjusted) response. */
  pageResponse?(call: VendorCall, pending: IommuFault, msg: IommuPageResponse): ErrnoCode;
}
