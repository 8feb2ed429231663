/**
 * The device the `viommu uapi` commands call the IOMMU core for: a PCI device
 * with full 20-bit PASIDs, ATS and PRI, so no device property is what refuses
 * a payload and the core's own checks are what the user sees.
 */
import type { UapiTarget } from '../../core/uapi/iommu-core.js';

export function cliCall(name: string): UapiTarget['call'] {
  return {
    device: { name, unit: name, sid: 0, pci: true, pasidBits: 20, ats: true, pri: true, auxDomain: false },
    mm: 1,
  };
}
