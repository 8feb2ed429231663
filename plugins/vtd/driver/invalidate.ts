/**
 * intel_iommu_sva_invalidate: the vendor side of iommu_uapi_cache_invalidate
 * (reference/uapi.md §5.1). Runs after the core's checks; builds real P_IOTLB
 * and PASID device-TLB descriptors and submits them, so the hardware caches
 * are really invalidated. Faithful to v5.10: an unsupported cache/granularity
 * pair returns 0 and stops processing the later cache bits; we add a
 * core.diagnostic.noted so the swallowed request is visible.
 */

import type { ErrnoCode } from '../../../core/uapi/errno.js';
import type { IommuCacheInvalidateInfo } from '../../../core/uapi/structs.js';
import type { VendorCall } from '../../../core/uapi/vendor-ops.js';
import type { DriverContext } from './driver-context.js';
import { GRANU_UNSUPPORTED, toVtdSize, vtdGranularity } from './inv-granularity.js';
import { encodePasidDevIotlb, encodePiotlb, QI_GRAN } from './qi-descriptors.js';
import { IOMMU_INV_ADDR_FLAGS, IOMMU_INV_GRANU, IOMMU_INV_PASID_FLAGS } from './uapi-constants.js';

const CACHE_NAMES = ['iotlb', 'dev_iotlb', 'pasid'] as const;
const GRANU_NAMES = ['domain', 'pasid', 'addr'];
/** 64 - VTD_PAGE_SHIFT: the size order the driver uses for "the whole address space". */
const WHOLE_SPACE_ORDER = 52;

/**
 * Returns ENODEV for a non-PCI device or one this IOMMU does not know; EINVAL
 * when the device has no domain or the domain is not in nesting mode; else 0.
 */
export function cacheInvalidate(
  ctx: DriverContext,
  call: VendorCall,
  info: IommuCacheInvalidateInfo,
): ErrnoCode {
  const device = call.device;
  if (!device.pci) return 'ENODEV';
  if (ctx.knownDevice(device) === undefined) return 'ENODEV';
  const domain = ctx.hw.hostDomainOf(device.sid);
  if (domain === undefined) return 'EINVAL';
  if (!domain.nesting) return 'EINVAL';

  const did = domain.did;
  const sid = device.sid;
  const gran = info.granularity;
  const addrInfo = info.granu.addr_info;
  let size = gran === IOMMU_INV_GRANU.ADDR ? toVtdSize(addrInfo.granule_size, addrInfo.nb_granules) : 0;
  const ats = ctx.atsEnabled(device);

  for (let bit = 0; bit < 3; bit++) {
    if ((info.cache & (1 << bit)) === 0) continue;
    const granu = vtdGranularity(bit, gran);
    if (granu === GRANU_UNSUPPORTED) {
      const skipped = CACHE_NAMES.filter((_, i) => i >= bit && (info.cache & (1 << i)) !== 0);
      ctx.noted('vtd.sva-invalidate.unsupported', {
        cache: CACHE_NAMES[bit]!,
        granularity: GRANU_NAMES[gran] ?? gran,
        skipped: [...skipped],
        returned: 0,
      });
      break;
    }
    // The kernel's flush helpers take the PASID as u32.
    let pasid = 0;
    if (gran === IOMMU_INV_GRANU.PASID && (info.granu.pasid_info.flags & IOMMU_INV_PASID_FLAGS.PASID) !== 0) {
      pasid = Number(info.granu.pasid_info.pasid & 0xffff_ffffn);
    } else if (gran === IOMMU_INV_GRANU.ADDR && (addrInfo.flags & IOMMU_INV_ADDR_FLAGS.PASID) !== 0) {
      pasid = Number(addrInfo.pasid & 0xffff_ffffn);
    }

    if (bit === 0) {
      if (
        gran === IOMMU_INV_GRANU.ADDR &&
        size > 0 &&
        (addrInfo.addr & ((1n << BigInt(12 + size)) - 1n)) !== 0n
      ) {
        ctx.noted('vtd.sva-invalidate.unaligned-address', { addr: hexU64(addrInfo.addr), sizeOrder: size });
      }
      if (granu === QI_GRAN.PSI_PASID && size >= 31) {
        // `1 << size` is an int shift in C: undefined from 31 on. We model the intended 2^size.
        ctx.noted('vtd.sva-invalidate.int-shift-overflow', { sizeOrder: size });
      }
      const desc = encodePiotlb({
        did,
        pasid,
        addr: addrInfo.addr,
        npages: granu === QI_GRAN.NONG_PASID ? -1n : 1n << BigInt(size),
        ih: (addrInfo.flags & IOMMU_INV_ADDR_FLAGS.LEAF) !== 0,
      });
      if (desc !== null) ctx.submit('iotlb', sid, pasid, [desc]);
      // The guest may count on an IOTLB flush covering the device TLB: fall through when ATS is on.
      if (!ats) continue;
    }

    // Bit 1 (DEV_IOTLB) or the IOTLB fall-through.
    let addr = 0n;
    if (gran === IOMMU_INV_GRANU.PASID) {
      size = WHOLE_SPACE_ORDER;
      addr = 0n;
    } else if (gran === IOMMU_INV_GRANU.ADDR) {
      addr = addrInfo.addr;
    }
    if (!ats) {
      ctx.noted('vtd.sva-invalidate.dev-iotlb-without-ats', { sid, pasid });
      continue;
    }
    if ((addr & 0xfffn) !== 0n) {
      ctx.noted('vtd.sva-invalidate.dev-iotlb-unaligned', { addr: hexU64(addr), sizeOrder: size });
    }
    const desc = encodePasidDevIotlb({
      sid,
      pfsid: ctx.pfsid(device),
      pasid,
      qdep: ctx.options.atsQueueDepth,
      addr,
      sizeOrder: size,
    });
    ctx.submit('dev-iotlb', sid, pasid, [desc]);
  }
  return 0;
}

function hexU64(v: bigint): string {
  return `0x${v.toString(16).padStart(16, '0')}`;
}
