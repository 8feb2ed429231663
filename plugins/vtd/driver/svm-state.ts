/**
 * Per-PASID state of guest binding (reference/uapi.md §5.2): one Svm per host
 * PASID, attached to the PASID as IOASID private data, with the devices bound
 * to it. Mutable records owned by the driver; snapshots copy them out.
 */
import type { DeviceConfig } from '../../../core/plugin/contract.js';

/** intel_svm_dev: one device bound to a PASID. */
export interface SvmDev {
  readonly device: DeviceConfig;
  /** Source id (bus<<8 | devfn). */
  readonly sid: number;
  /** 1 only for devices with the auxiliary-domain feature; unbind decrements it then. */
  users: number;
}

/** intel_svm: one host PASID bound for a guest. */
export interface Svm {
  readonly pasid: number;
  /** Guest PASID when the caller set IOMMU_SVA_GPASID_VAL (the kernel keeps it as an int). */
  readonly gpasid: number | null;
  /** Identity of the process that bound it (current->mm). */
  readonly mm: number;
  guestMode: boolean;
  readonly devices: SvmDev[];
}

export function findSdev(svm: Svm, sid: number): SvmDev | undefined {
  return svm.devices.find((d) => d.sid === sid);
}
