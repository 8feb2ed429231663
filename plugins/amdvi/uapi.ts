/**
 * The vendor side of the v5.10 UAPI for AMD-Vi.
 * - 'v5.10' (default): mainline's AMD driver implemented none of the nested
 *   ops, so `ops` is empty and the core answers ENODEV.
 * - 'proposed': cache invalidation mapped to native commands as in
 *   smmuv3-amdvi.md C.3, and unrecoverable faults reported as in C.4. Not
 *   mainline; capabilities say profile 'proposed'. No bind, no PASID-tagged
 *   invalidation (guest translation is not modelled) and no page response
 *   (no PPR).
 */
import type { PhysMemory } from '../../core/memory/phys-memory.js';
import type { TranslationRequest } from '../../core/model/translation.js';
import type { FaultReporter } from '../../core/plugin/tokens.js';
import type { ErrnoCode, ErrnoName } from '../../core/uapi/errno.js';
import type { IommuCacheInvalidateInfo, IommuFault } from '../../core/uapi/structs.js';
import { UAPI } from '../../core/uapi/uapi-constants.js';
import type { VendorCall, VendorOps } from '../../core/uapi/vendor-ops.js';
import type { RaisedEvent } from './event-log.js';
import { AMDVI_EVENT } from './faults.js';
import type { CommandExecutor } from './invalidation.js';
import { PROPOSED_UNSUPPORTED_ERRNO, proposedFaultReason } from './proposed-uapi.js';
import type { AmdviRegisters } from './registers.js';
import type { AmdviCommand } from './structures/command.js';
import { DTE_BYTES } from './structures/dte.js';
import { encodeInvRange } from './structures/inv-range.js';

const ALL_PFN = 2 ** 52 - 1;

/** The ops object for a profile. */
export function amdviOps(
  profile: 'v5.10' | 'proposed',
  mem: PhysMemory,
  regs: AmdviRegisters,
  exec: CommandExecutor,
): VendorOps {
  if (profile === 'v5.10') return Object.freeze({});
  return Object.freeze({
    cacheInvalidate: (call: VendorCall, info: IommuCacheInvalidateInfo): ErrnoCode => {
      const cmds = planInvalidation(call, info, domainOf(mem, regs, call.device.sid & 0xffff));
      if (typeof cmds === 'string') return cmds;
      for (const c of cmds) exec.execute(c, 'host');
      // Every batch ends with COMPLETION_WAIT (Linux polls its semaphore; here the wait is the call itself).
      exec.execute({ op: 'COMPLETION_WAIT', s: false, i: false, f: false, storeAddr: 0, data: 0n }, 'host');
      return 0;
    },
  });
}

/** The device's DomainID from its DTE in memory, or -1 when the DTE does not translate. */
function domainOf(mem: PhysMemory, regs: AmdviRegisters, devid: number): number {
  const q0 = mem.read64(regs.devTabBase + devid * DTE_BYTES);
  const q1 = mem.read64(regs.devTabBase + devid * DTE_BYTES + 8);
  if (q0 === undefined || q1 === undefined || (q0 & 3n) !== 3n) return -1;
  return Number(q1 & 0xffffn);
}

/**
 * The native commands for one cache_invalidate call (C.3), or an errno. All of
 * the request is checked before anything runs. ENOENT (D.3: refused, as the
 * SMMUv3 series refused them): DEV_IOTLB (no ATS in this model), a PASID flag
 * or the PASID cache at PASID granularity (no guest translation: pasidBits 0,
 * and GN=1 commands are illegal without EFR.GTSup). EINVAL: no domain, bad
 * ARCHID, neither PASID nor ARCHID at PASID granularity, bad granule or count.
 */
export function planInvalidation(
  call: VendorCall,
  info: IommuCacheInvalidateInfo,
  deviceDomain: number,
): AmdviCommand[] | ErrnoName {
  const cmds: AmdviCommand[] = [];
  const g = info.granularity;
  for (let bit = 0; bit < 3; bit++) {
    if (!(info.cache & (1 << bit))) continue;
    if (bit === 1) return PROPOSED_UNSUPPORTED_ERRNO;
    if (bit === 2) {
      // GCR3 root and GLX live in the DTE; per-PASID GCR3 entries do not exist here.
      if (g !== UAPI.IOMMU_INV_GRANU_DOMAIN) return PROPOSED_UNSUPPORTED_ERRNO;
      cmds.push({ op: 'INVALIDATE_DEVTAB_ENTRY', deviceId: call.device.sid & 0xffff });
      continue;
    }
    let domainId = deviceDomain;
    let startPfn = 0;
    let pages = 0;
    let leaf = false;
    if (g === UAPI.IOMMU_INV_GRANU_PASID) {
      const p = info.granu.pasid_info;
      if (!(p.flags & (UAPI.IOMMU_INV_PASID_FLAGS_PASID | UAPI.IOMMU_INV_PASID_FLAGS_ARCHID)))
        return 'EINVAL';
      if (p.flags & UAPI.IOMMU_INV_PASID_FLAGS_PASID) return PROPOSED_UNSUPPORTED_ERRNO;
      domainId = p.archid;
    } else if (g === UAPI.IOMMU_INV_GRANU_ADDR) {
      const a = info.granu.addr_info;
      if (a.flags & UAPI.IOMMU_INV_ADDR_FLAGS_PASID) return PROPOSED_UNSUPPORTED_ERRNO;
      if (a.flags & UAPI.IOMMU_INV_ADDR_FLAGS_ARCHID) domainId = a.archid;
      leaf = (a.flags & UAPI.IOMMU_INV_ADDR_FLAGS_LEAF) !== 0;
      const gs = a.granule_size;
      if (gs < 4096n || (gs & (gs - 1n)) !== 0n || a.nb_granules === 0n) return 'EINVAL';
      const bytes = gs * a.nb_granules;
      if (bytes > 1n << 64n || (a.addr & 0xfffn) !== 0n) return 'EINVAL';
      startPfn = Number(a.addr >> 12n);
      pages = Number(bytes >> 12n);
    }
    if (domainId < 0 || domainId > 0xffff) return 'EINVAL';
    const range =
      pages > 0 && startPfn + pages <= 2 ** 52
        ? encodeInvRange(startPfn, pages)
        : { s: true, addrPfn: ALL_PFN };
    cmds.push({
      op: 'INVALIDATE_IOMMU_PAGES',
      domainId,
      pasid: 0,
      gn: false,
      s: range.s,
      // Directory entries go too unless the caller says only leaves changed (Linux always sets PDE).
      pde: !leaf,
      addrPfn: range.addrPfn,
    });
  }
  return cmds;
}

/** The proposed fault report (C.4) for an event the unit raised during a translation. */
export function reportProposedFault(
  faults: FaultReporter,
  sid: number,
  e: RaisedEvent,
  req: TranslationRequest,
  addressSize: boolean,
): void {
  const reason = proposedFaultReason(e.code, e.flags, addressSize);
  if (reason === undefined) return;
  const fetch = e.code === AMDVI_EVENT.PAGE_TAB_HARDWARE_ERROR;
  const fault: IommuFault = {
    type: UAPI.IOMMU_FAULT_DMA_UNRECOV,
    padding: 0,
    event: {
      reason,
      flags: UAPI.IOMMU_FAULT_UNRECOV_ADDR_VALID | (fetch ? UAPI.IOMMU_FAULT_UNRECOV_FETCH_ADDR_VALID : 0),
      pasid: 0,
      perm: req.access & (UAPI.IOMMU_FAULT_PERM_READ | UAPI.IOMMU_FAULT_PERM_WRITE),
      addr: (BigInt(req.iovaPfn) << 12n) | BigInt(req.offset),
      fetch_addr: fetch ? e.address : 0n,
    },
    prm: { flags: 0, pasid: 0, grpid: 0, perm: 0, addr: 0n, private_data: [0n, 0n] },
  };
  faults.report(sid, fault);
}
