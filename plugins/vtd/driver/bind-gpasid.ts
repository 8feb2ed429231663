/**
 * intel_svm_bind_gpasid / intel_svm_unbind_gpasid: the vendor side of guest
 * PASID binding (reference/uapi.md §5.2, §5.4). Check order and errno follow
 * v5.10; per-PASID state is the Svm attached to the PASID in the IOASID
 * allocator, per-device state the SvmDev in its device list.
 */
import type { ErrnoCode } from '../../../core/uapi/errno.js';
import type { IommuGpasidBindData } from '../../../core/uapi/structs.js';
import type { VendorCall } from '../../../core/uapi/vendor-ops.js';
import type { DriverContext } from './driver-context.js';
import { setupNestedEntry, tearDownEntry } from './pasid-setup.js';
import { drainPageRequests } from './prq-drain.js';
import { descriptorHex } from './qi-descriptors.js';
import { findSdev, type Svm, type SvmDev } from './svm-state.js';
import {
  INVALID_IOASID,
  IOMMU_PASID_FORMAT_INTEL_VTD,
  IOMMU_SVA_GPASID_VAL,
  PASID_MAX,
} from './uapi-constants.js';

const U64 = (1n << 64n) - 1n;

/**
 * Binds a guest first-level table to host PASID `data.hpasid` for the device.
 * EINVAL: unknown device, format, argsz < 72, undefined vendor flags, PASID
 * width, hpasid range, no domain, entry set-up failures; ENOTSUPP (524):
 * non-PCI device; ENOENT: hpasid not allocated; EBUSY: already bound.
 */
export function bindGpasid(ctx: DriverContext, call: VendorCall, data: IommuGpasidBindData): ErrnoCode {
  const device = call.device;
  if (ctx.knownDevice(device) === undefined) return 'EINVAL';
  if (data.format !== IOMMU_PASID_FORMAT_INTEL_VTD) return 'EINVAL';
  // The raw user argsz: the core forwards it unmodified.
  if (data.argsz < ctx.kernel.vtdBindArgsz) return 'EINVAL';
  if ((data.vendor.vtd.flags & ~(ctx.kernel.IOMMU_SVA_VTD_GPASID_LAST - 1n) & U64) !== 0n) return 'EINVAL';
  if (!device.pci) return 'ENOTSUPP';
  // pci_max_pasids() must be the full 20-bit space.
  if (device.pasidBits !== 20) return 'EINVAL';
  if (data.hpasid === 0n || data.hpasid >= BigInt(PASID_MAX)) return 'EINVAL';
  const domain = ctx.hw.hostDomainOf(device.sid);
  if (domain === undefined) return 'EINVAL';

  const pasid = Number(data.hpasid);
  const found = ctx.ioasids.find(pasid);
  if (found === 'ENOENT' || found === 'EINVAL') return found;
  let svm: Svm | null = found;
  if (svm !== null && findSdev(svm, device.sid) !== undefined) {
    ctx.noted('vtd.bind.already-bound', { sid: device.sid, pasid });
    return 'EBUSY';
  }
  if (svm === null) {
    svm = {
      pasid,
      gpasid: (data.flags & IOMMU_SVA_GPASID_VAL) !== 0n ? Number(data.gpasid & 0xffff_ffffn) : null,
      mm: call.mm,
      guestMode: false,
      devices: [],
    };
    ctx.ioasids.setData(pasid, svm);
  }
  const sdev: SvmDev = { device, sid: device.sid, users: device.auxDomain ? 1 : 0 };

  // intel_iommu_enable_pasid: PASID use needs scalable-mode context entries.
  let result: ErrnoCode = ctx.hw.caps.smts ? 0 : 'EINVAL';
  if (result === 0) {
    const setup = setupNestedEntry(ctx, device, domain, data, pasid);
    result = setup.errno;
    if (setup.errno === 0) {
      svm.guestMode = true;
      svm.devices.push(sdev);
      ctx.emit('vtd.driver.gpasid.bound', {
        sid: device.sid,
        hpasid: pasid,
        gpasid: svm.gpasid,
        mm: svm.mm,
        entryAddress: `0x${setup.entryAddress.toString(16)}`,
        entry: descriptorHex(setup.entry),
      });
    }
  }
  if (result !== 0 && svm.devices.length === 0) ctx.ioasids.setData(pasid, null);
  return result;
}

/**
 * Unbinds the device from `pasid` (user path with the truncated hpasid, or the
 * kernel wrapper). EINVAL: unknown device, INVALID_IOASID or pasid >= 2^20;
 * ENOENT: pasid not allocated; 0 otherwise, including "was not bound".
 */
export function unbindGpasid(ctx: DriverContext, call: VendorCall, pasid: number): ErrnoCode {
  const device = call.device;
  if (ctx.knownDevice(device) === undefined) return 'EINVAL';
  if (pasid === INVALID_IOASID || pasid >= PASID_MAX) return 'EINVAL';
  const found = ctx.ioasids.find(pasid);
  if (found === 'ENOENT' || found === 'EINVAL') return found;
  if (found === null) return 0;
  const svm = found;
  const sdev = findSdev(svm, device.sid);
  if (sdev === undefined) return 0;

  if (device.auxDomain) sdev.users--;
  let svmFreed = false;
  if (sdev.users === 0) {
    svm.devices.splice(svm.devices.indexOf(sdev), 1);
    tearDownEntry(ctx, device, pasid);
    drainPageRequests(ctx, device, pasid);
    if (svm.devices.length === 0) {
      // The PASID itself stays allocated: the caller allocated it before binding.
      ctx.ioasids.setData(pasid, null);
      svmFreed = true;
    }
  }
  ctx.emit('vtd.driver.gpasid.unbound', { sid: device.sid, pasid, users: sdev.users, svmFreed });
  return 0;
}
