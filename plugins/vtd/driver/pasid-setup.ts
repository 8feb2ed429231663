/**
 * The PASID-table entry side of guest binding: intel_pasid_setup_nested with
 * setup_bind_data, and intel_pasid_tear_down_entry (reference/uapi.md §5.3-5.4).
 * Like the kernel, the entry is edited in place: when a check fails half way,
 * the fields set so far stay in memory (the entry is still not present).
 */
import type { DeviceConfig } from '../../../core/plugin/contract.js';
import type { ErrnoCode } from '../../../core/uapi/errno.js';
import type { IommuGpasidBindData } from '../../../core/uapi/structs.js';
import {
  decodePasidEntry,
  EMPTY_PASID_ENTRY,
  encodePasidEntry,
  type PasidEntry,
  PGTT,
  readPasidEntryWords,
  writePasidEntry,
} from '../structures/pasid-entry.js';
import type { DriverContext } from './driver-context.js';
import type { DriverHostDomain } from './hardware-port.js';
import {
  encodePasidCache,
  encodePasidDevIotlb,
  encodePiotlb,
  QI_GRAN,
  type QiDescriptor,
} from './qi-descriptors.js';
import { IOMMU_SVA_VTD_GPASID } from './uapi-constants.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export type SetupResult =
  | { readonly errno: Exclude<ErrnoCode, 0> }
  | { readonly errno: 0; readonly entryAddress: number; readonly entry: readonly bigint[] };

/**
 * Programs a nested (PGTT=011) entry for `pasid` of `device` over the device's
 * second-level domain. EINVAL: no nesting support, domain not nesting, no
 * entry, bad addr_width, gpgd beyond the second level, unsupported SRE/EAFE,
 * memory-type flags, unusable second-level depth; EBUSY: entry already present.
 */
export function setupNestedEntry(
  ctx: DriverContext,
  device: DeviceConfig,
  domain: DriverHostDomain,
  data: IommuGpasidBindData,
  pasid: number,
): SetupResult {
  const { hw } = ctx;
  if (!hw.caps.nest) return { errno: 'EINVAL' };
  if (!domain.nesting) return { errno: 'EINVAL' };
  const pa = hw.pasidEntryAddress(device.sid, pasid, true);
  if (pa === undefined) return { errno: 'EINVAL' };
  const words = readPasidEntryWords(hw.memory, pa);
  if (words === undefined) return { errno: 'EINVAL' };
  if (decodePasidEntry(words).P) return { errno: 'EBUSY' };

  const e: Mutable<PasidEntry> = { ...EMPTY_PASID_ENTRY };
  const result = fill(ctx, e, domain, data);
  // Written whether or not the checks passed: the kernel clears and edits the live entry.
  writePasidEntry(hw.memory, pa, e);
  if (result !== 0) return { errno: result };

  if (hw.caps.cm) {
    // pasid_flush_caches: with caching mode, not-present entries may be cached.
    ctx.submit('pasid-setup', device.sid, pasid, [
      encodePasidCache(domain.did, pasid, QI_GRAN.PC_PASID_SEL),
      encodePiotlb({ did: domain.did, pasid, addr: 0n, npages: -1n, ih: false })!,
    ]);
  }
  return { errno: 0, entryAddress: pa, entry: encodePasidEntry(e) };
}

function fill(
  ctx: DriverContext,
  e: Mutable<PasidEntry>,
  domain: DriverHostDomain,
  data: IommuGpasidBindData,
): ErrnoCode {
  const caps = ctx.hw.caps;
  if (data.addr_width === 57) {
    if (!(ctx.options.cpu5LevelPaging && caps.fl5lp)) {
      ctx.noted('vtd.bind.no-5-level-paging', {
        cpu5LevelPaging: ctx.options.cpu5LevelPaging,
        fl5lp: caps.fl5lp,
      });
      return 'EINVAL';
    }
    e.FLPM = 1;
  } else if (data.addr_width === 48) {
    e.FLPM = 0;
  } else {
    return 'EINVAL';
  }
  // The first-level root is a GPA: it must lie inside what the second level maps.
  if (data.gpgd > domain.maxAddr) return 'EINVAL';
  e.FLPTPTR = data.gpgd;

  const flags = data.vendor.vtd.flags;
  if ((flags & IOMMU_SVA_VTD_GPASID.SRE) !== 0n) {
    if (!caps.srs) return 'EINVAL';
    e.SRE = true;
    // WPE (v5.13+) only takes effect together with SRE; older lines rejected the bit earlier.
    if ((flags & IOMMU_SVA_VTD_GPASID.WPE) !== 0n) e.WPE = true;
  }
  if ((flags & IOMMU_SVA_VTD_GPASID.EAFE) !== 0n) {
    if (!caps.eafs) return 'EINVAL';
    e.EAFE = true;
  }
  if ((flags & IOMMU_SVA_VTD_GPASID.MTS_MASK) !== 0n) return 'EINVAL';
  // data.vendor.vtd.pat / emt are ignored by v5.10.

  // iommu_skip_agaw: the domain's depth must be one this IOMMU walks.
  const aw = domain.levels - 2;
  if ((caps.sagaw & (1 << aw)) === 0) {
    ctx.noted('vtd.bind.invalid-domain-page-table', { levels: domain.levels, sagaw: caps.sagaw });
    return 'EINVAL';
  }
  e.SLPTPTR = BigInt(domain.slptptr);
  e.FPD = false;
  e.DID = domain.did;
  e.AW = aw;
  e.PWSNP = caps.smpwc === true;
  e.PGTT = PGTT.NESTED;
  e.P = true;
  return 0;
}

/**
 * intel_pasid_tear_down_entry: clears the whole entry, then flushes the PASID
 * cache, the PASID's IOTLB entries and (outside caching mode, with ATS) the
 * device TLB for the whole address space.
 */
export function tearDownEntry(ctx: DriverContext, device: DeviceConfig, pasid: number): void {
  const { hw } = ctx;
  const pa = hw.pasidEntryAddress(device.sid, pasid, false);
  const words = pa === undefined ? undefined : readPasidEntryWords(hw.memory, pa);
  if (pa === undefined || words === undefined) {
    ctx.noted('vtd.unbind.no-pasid-entry', { sid: device.sid, pasid });
    return;
  }
  const did = decodePasidEntry(words).DID;
  writePasidEntry(hw.memory, pa, EMPTY_PASID_ENTRY);
  const descs: QiDescriptor[] = [
    encodePasidCache(did, pasid, QI_GRAN.PC_PASID_SEL),
    encodePiotlb({ did, pasid, addr: 0n, npages: -1n, ih: false })!,
  ];
  if (!hw.caps.cm && ctx.atsEnabled(device)) {
    descs.push(
      encodePasidDevIotlb({
        sid: device.sid,
        pfsid: ctx.pfsid(device),
        pasid,
        qdep: ctx.options.atsQueueDepth,
        addr: 0n,
        sizeOrder: 52,
      }),
    );
  }
  ctx.submit('pasid-teardown', device.sid, pasid, descs);
}
