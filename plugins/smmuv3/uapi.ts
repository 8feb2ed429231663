/**
 * The vendor side of the v5.10 UAPI for SMMUv3 (reference C.1-C.4).
 *
 * Profile 'v5.10' (default): mainline v5.10's arm-smmu-v3 had no nested
 * operations, so `ops` is empty and the core answers ENODEV for cache
 * invalidation, bind and unbind. No faults are reported to user space (the
 * driver only logged events).
 *
 * Profile 'proposed' (labelled so in capabilities): Eric Auger's nested-stage
 * series — attach a guest CD table to a stream whose STE already has the
 * host's stage 2 (STE.Config becomes nested), map guest invalidations to
 * CMD_TLBI_NH_* / CMD_CFGI_CD* with the host VMID forced, each batch ending in
 * CMD_SYNC, and report stage-1 faults of attached streams that reached the
 * event queue as DMA_UNRECOV.
 */

import { NO_PASID } from '../../core/model/translation.js';
import type { ErrnoCode } from '../../core/uapi/errno.js';
import type { IommuCacheInvalidateInfo, IommuFault } from '../../core/uapi/structs.js';
import type { VendorOps } from '../../core/uapi/vendor-ops.js';
import { locateSte } from './config.js';
import type { FaultInfo } from './fault-info.js';
import { FaultInfo as Scratch } from './fault-info.js';
import { SMMU_EVENT } from './faults.js';
import {
  IOMMU_PASID_CONFIG,
  IOMMU_PASID_FORMAT_SMMUV3_SIM,
  type IommuPasidTableConfig,
} from './proposed-uapi.js';
import { CMD_OP, CMD_WORDS, cmdAddrFields, encodeCmd } from './structures/command.js';
import { decodeSte, STE_CONFIG } from './structures/ste.js';
import type { SmmuUnit } from './unit.js';

const CACHE = { IOTLB: 1, DEV_IOTLB: 2, PASID: 4 } as const;
const GRANU = { DOMAIN: 0, PASID: 1, ADDR: 2 } as const;
const FLAG_PASID = 1;
const FLAG_ARCHID = 2;
const FLAG_LEAF = 4;
/** The command's VA field (Addr 63:12) names 4 KiB pages; page numbers end at 2^52 (address 2^64). */
const PAGE_BYTES = 4096n;
const PFN_END = 2n ** 52n;
/** Ranges of more pages are widened to CMD_TLBI_NH_ASID. */
const MAX_RANGE_PAGES = 2n ** 40n;

/** The vendor ops of the unit's profile. */
export function makeVendorOps(unit: SmmuUnit): VendorOps {
  if (unit.options.profile !== 'proposed') return {};
  return {
    cacheInvalidate: (call, info) => {
      // As attachPasidTable: only a nested domain has a host stage-2 VMID to force on the TLBIs.
      if (unit.options.stages !== 'nested') return 'EINVAL';
      const sid = call.device.sid;
      const ste = hostSte(unit, sid);
      if (ste === null || !isNestedDomain(unit, sid, ste)) return 'EINVAL';
      const vmid = ste.S2VMID;
      const cmds: Uint32Array[] = [];
      for (const bit of [CACHE.IOTLB, CACHE.DEV_IOTLB, CACHE.PASID]) {
        if ((info.cache & bit) === 0) continue;
        const r = commandsFor(bit, info.granularity, info, vmid, sid, unit.options.ril, cmds);
        if (r !== 0) return r;
      }
      if (cmds.length === 0) return 0;
      cmds.push(encodeCmd({ Op: CMD_OP.CMD_SYNC }));
      return hostSubmit(unit, cmds);
    },
    bindGpasid: (call, data) => {
      if (data.format !== IOMMU_PASID_FORMAT_SMMUV3_SIM) return 'EINVAL';
      // Single CD: the whole table of one context, SSID 0 only (the series' pasid_bits = 0).
      if (data.hpasid !== 0n || data.gpasid !== 0n || data.flags !== 0n || data.addr_width !== 0)
        return 'EINVAL';
      if (data.gpgd >= 2n ** 52n) return 'EINVAL';
      return attachPasidTable(unit, call.device.sid, {
        argsz: data.argsz,
        version: 1,
        format: 1,
        basePtr: Number(data.gpgd),
        pasidBits: 0,
        config: IOMMU_PASID_CONFIG.TRANSLATE,
        smmuv3: { version: 1, s1fmt: 0, s1dss: 0 },
      });
    },
    unbindGpasid: (call, pasid) => {
      if (pasid !== 0) return 'EINVAL';
      return detachPasidTable(unit, call.device.sid);
    },
  };
}

/** The host-owned STE of `sid` (decoded), or null when it cannot be found. */
function hostSte(unit: SmmuUnit, sid: number): ReturnType<typeof decodeSte> | null {
  const addr = steAddr(unit, sid);
  return addr === null ? null : decodeSte(new Uint32Array(unit.deps.memory.readBytes(addr, 64).buffer));
}

/**
 * Whether the host made the stream a nested domain: its stage 2, with a guest stage 1 attached or
 * not, or a stage 1 set to abort through attach. Anything else (the host's own stage 1, a plain
 * abort or bypass) carries no VMID of the guest's.
 */
function isNestedDomain(unit: SmmuUnit, sid: number, ste: ReturnType<typeof decodeSte>): boolean {
  if (ste.V !== 1) return false;
  if (ste.Config === STE_CONFIG.S2_TRANS || ste.Config === STE_CONFIG.NESTED) return true;
  return ste.Config === STE_CONFIG.ABORT && unit.attached.get(sid)?.config === 'abort';
}

function steAddr(unit: SmmuUnit, sid: number): number | null {
  const addr = locateSte(unit.deps.memory, unit.hw, unit.regs.strtab(), sid, new Scratch(), { n: 0 });
  if (addr === null || !unit.deps.memory.isBacked(addr, 64)) return null;
  return addr;
}

/**
 * attach_pasid_table (series): TRANSLATE makes the stream nested with S1ContextPtr = the guest
 * CD table; BYPASS / ABORT set stage 1 bypass / abort. The STE must already be the host's
 * stage-2 (or nested) one. Followed by CMD_CFGI_STE + CMD_SYNC. Returns 0 or an errno.
 */
export function attachPasidTable(unit: SmmuUnit, sid: number, cfg: IommuPasidTableConfig): ErrnoCode {
  if (unit.options.stages !== 'nested') return 'EINVAL';
  if (cfg.version !== 1 || cfg.format !== 1 || cfg.smmuv3.version !== 1) return 'EINVAL';
  if (cfg.pasidBits !== 0) return 'EINVAL'; // the series supports a single CD only
  const addr = steAddr(unit, sid);
  if (addr === null) return 'EINVAL';
  const w = new Uint32Array(unit.deps.memory.readBytes(addr, 64).buffer);
  const ste = decodeSte(w);
  if (
    ste.V !== 1 ||
    (ste.Config !== STE_CONFIG.S2_TRANS &&
      ste.Config !== STE_CONFIG.NESTED &&
      ste.Config !== STE_CONFIG.ABORT)
  ) {
    return 'EINVAL'; // not a nested (stage-2) domain
  }
  const prev = unit.attached.get(sid);
  if (cfg.config === IOMMU_PASID_CONFIG.TRANSLATE && prev?.config === 'translate') return 'EBUSY'; // S1 -> S1 refused
  let config: number;
  let name: 'translate' | 'bypass' | 'abort';
  if (cfg.config === IOMMU_PASID_CONFIG.TRANSLATE) {
    config = STE_CONFIG.NESTED;
    name = 'translate';
  } else if (cfg.config === IOMMU_PASID_CONFIG.BYPASS) {
    config = STE_CONFIG.S2_TRANS;
    name = 'bypass';
  } else if (cfg.config === IOMMU_PASID_CONFIG.ABORT) {
    config = STE_CONFIG.ABORT;
    name = 'abort';
  } else {
    return 'EINVAL';
  }
  if (cfg.basePtr < 0 || cfg.basePtr % 64 !== 0 || cfg.basePtr >= 2 ** 52) return 'EINVAL';
  setSteConfig(unit, addr, config, name === 'translate' ? cfg.basePtr : 0);
  unit.attached.set(sid, { config: name, basePtr: cfg.basePtr });
  unit.deps.events.emit('smmuv3.pasid-table.attached', {
    unit: unit.id,
    sid,
    config: name,
    basePtr: `0x${cfg.basePtr.toString(16)}`,
  });
  return hostSubmit(unit, [
    encodeCmd({ Op: CMD_OP.CMD_CFGI_STE, SID: sid, Leaf: 1 }),
    encodeCmd({ Op: CMD_OP.CMD_SYNC }),
  ]);
}

/** detach_pasid_table (series): back to the host's stage 2 only (stage 1 bypass). */
export function detachPasidTable(unit: SmmuUnit, sid: number): ErrnoCode {
  const addr = steAddr(unit, sid);
  if (addr === null || !unit.attached.has(sid)) return 'EINVAL';
  setSteConfig(unit, addr, STE_CONFIG.S2_TRANS, 0);
  unit.attached.delete(sid);
  unit.deps.events.emit('smmuv3.pasid-table.detached', { unit: unit.id, sid });
  return hostSubmit(unit, [
    encodeCmd({ Op: CMD_OP.CMD_CFGI_STE, SID: sid, Leaf: 1 }),
    encodeCmd({ Op: CMD_OP.CMD_SYNC }),
  ]);
}

/** Rewrites dw0 of the STE: Config and S1ContextPtr (S1CDMax = 0, S1Fmt = 0), keeping V. */
function setSteConfig(unit: SmmuUnit, addr: number, config: number, cdPtr: number): void {
  const page = unit.deps.memory.pageForWrite(Math.floor(addr / 4096));
  const i = (addr % 4096) >>> 2;
  const lo = ((cdPtr % 0x1_0000_0000) & ~0x3f) | (config << 1) | 1;
  page[i] = lo >>> 0;
  page[i + 1] = Math.floor(cdPtr / 0x1_0000_0000) & 0xfffff;
}

/** Executes host commands directly (the host driver's own queue traffic), emitting them with source "uapi". */
function hostSubmit(unit: SmmuUnit, cmds: readonly Uint32Array[]): ErrnoCode {
  for (const w of cmds) {
    const r = unit.cmdq.execute(w.subarray(0, CMD_WORDS));
    if (!r.ok) {
      unit.deps.events.emit('smmuv3.command.failed', {
        unit: unit.id,
        source: 'uapi',
        op: r.op,
        cerror: 'CERROR_ILL',
        reason: r.reason,
        cons: 0,
      });
      return 'EINVAL';
    }
    unit.deps.events.emit('smmuv3.command.executed', {
      unit: unit.id,
      source: 'uapi',
      op: r.op,
      detail: r.detail,
    });
  }
  return 0;
}

/**
 * Native commands for one UAPI cache type (reference C.3). Returns 0 or the errno the series
 * returned: ENOENT for PASID-tagged IOTLB and DEV_IOTLB requests, EINVAL for malformed ones.
 */
function commandsFor(
  cache: number,
  granu: number,
  info: IommuCacheInvalidateInfo,
  vmid: number,
  sid: number,
  ril: boolean,
  out: Uint32Array[],
): ErrnoCode {
  const p = info.granu.pasid_info;
  const a = info.granu.addr_info;
  if (cache === CACHE.DEV_IOTLB) return 'ENOENT'; // no ATS: the series refused it too
  if (cache === CACHE.PASID) {
    if (granu === GRANU.DOMAIN) {
      out.push(encodeCmd({ Op: CMD_OP.CMD_CFGI_CD_ALL, SID: sid }));
      return 0;
    }
    if (granu !== GRANU.PASID || (p.flags & FLAG_PASID) === 0) return 'EINVAL';
    if (p.pasid !== 0n) return 'EINVAL'; // one CD per stream: SSID 0 only
    out.push(encodeCmd({ Op: CMD_OP.CMD_CFGI_CD, SID: sid, SSID: 0, Leaf: 1 }));
    return 0;
  }
  // IOTLB
  if (granu === GRANU.DOMAIN) {
    out.push(encodeCmd({ Op: CMD_OP.CMD_TLBI_NH_ALL, VMID: vmid }));
    return 0;
  }
  if (granu === GRANU.PASID) {
    if (p.flags & FLAG_PASID) return 'ENOENT';
    if ((p.flags & FLAG_ARCHID) === 0) return 'EINVAL';
    if (p.archid > 0xffff) return 'EINVAL';
    out.push(encodeCmd({ Op: CMD_OP.CMD_TLBI_NH_ASID, VMID: vmid, ASID: p.archid }));
    return 0;
  }
  if (granu !== GRANU.ADDR) return 'EINVAL';
  if (a.flags & FLAG_PASID) return 'ENOENT';
  if ((a.flags & FLAG_ARCHID) === 0) {
    // No ASID given: widened to the whole stage 1 of the VM, as the series did.
    out.push(encodeCmd({ Op: CMD_OP.CMD_TLBI_NH_ALL, VMID: vmid }));
    return 0;
  }
  const g = a.granule_size;
  if (g === 0n || (g & (g - 1n)) !== 0n || a.archid > 0xffff) return 'EINVAL';
  if (a.addr % PAGE_BYTES !== 0n || a.nb_granules === 0n) return 'EINVAL';
  const leaf = a.flags & FLAG_LEAF ? 1 : 0;
  // Without RIL: one single-address command per 4 KiB page. C.3 allows one per granule when the
  // granule is a supported page size, but this model's command executor drops only the entries
  // overlapping the 4 KiB at the command's address (as QEMU does), so in a nested stream whose
  // guest block is cached as pieces cut by smaller stage-2 leaves, one command per granule would
  // leave pieces behind. A granule below 4 KiB is rounded up to pages (C.3: "rounded down to the
  // smallest" supported size). The range form counts 4 KiB pages (TG = 1) too.
  const step = 1n;
  // Steps covering every requested byte. The range is clipped at 2^64 rather than widened: no
  // address lies past the last page, and the command's VA field cannot name one.
  const first = (a.addr / PAGE_BYTES / step) * step;
  const stepBytes = step * PAGE_BYTES;
  const endBytes = a.addr + g * a.nb_granules;
  let end = ((endBytes + stepBytes - 1n) / stepBytes) * step;
  if (end > PFN_END) end = PFN_END;
  let pages = end - first;
  if (pages > MAX_RANGE_PAGES) {
    out.push(encodeCmd({ Op: CMD_OP.CMD_TLBI_NH_ASID, VMID: vmid, ASID: a.archid }));
    return 0;
  }
  if (!ril) {
    for (let pfn = first; pfn < end; pfn += step) {
      // TG = 0: the single-address form, whose TTL should be 0 (reference A.5).
      out.push(
        encodeCmd({
          Op: CMD_OP.CMD_TLBI_NH_VA,
          VMID: vmid,
          ASID: a.archid,
          Leaf: leaf,
          TG: 0,
          TTL: 0,
          ...cmdAddrFields(Number(pfn)),
        }),
      );
    }
    return 0;
  }
  // Range commands of (NUM+1)·2^SCALE pages each, Linux's split.
  let pfn = first;
  while (pages > 0n) {
    let scale = 0;
    while (scale < 31 && ((pages >> BigInt(scale)) & 1n) === 0n) scale++;
    const chunks = pages >> BigInt(scale);
    const num = chunks > 32n ? 31 : Number(chunks) - 1;
    const span = BigInt(num + 1) << BigInt(scale);
    out.push(
      encodeCmd({
        Op: CMD_OP.CMD_TLBI_NH_VA,
        VMID: vmid,
        ASID: a.archid,
        Leaf: leaf,
        TG: 1,
        NUM: num,
        SCALE: scale,
        ...cmdAddrFields(Number(pfn)),
      }),
    );
    pfn += span;
    pages -= span;
  }
  return 0;
}

/** reference C.4: a stage-1 fault of an attached stream as IOMMU_FAULT_DMA_UNRECOV; null if not reported. */
export function hostFaultOf(f: FaultInfo): IommuFault | null {
  if (f.s2) return null; // the host owns stage 2
  const reasons: { [code: number]: number } = {
    [SMMU_EVENT.F_TRANSLATION]: 5,
    [SMMU_EVENT.F_ADDR_SIZE]: 8,
    [SMMU_EVENT.F_ACCESS]: 7,
    [SMMU_EVENT.F_PERMISSION]: 6,
    [SMMU_EVENT.C_BAD_SUBSTREAMID]: 3,
    [SMMU_EVENT.F_CD_FETCH]: 1,
    [SMMU_EVENT.C_BAD_CD]: 2,
    [SMMU_EVENT.F_WALK_EABT]: 4,
  };
  const reason = reasons[f.code];
  if (reason === undefined) return null;
  const fetch = f.code === SMMU_EVENT.F_CD_FETCH || f.code === SMMU_EVENT.F_WALK_EABT;
  const flags = (f.ssid !== NO_PASID ? 1 : 0) | (fetch ? 4 : 2);
  const perm = (f.read ? 1 : 2) | (f.exec ? 4 : 0) | (f.priv ? 8 : 0);
  return {
    type: 1,
    padding: 0,
    event: {
      reason,
      flags,
      pasid: f.ssid === NO_PASID ? 0 : f.ssid,
      perm,
      addr: (BigInt(f.inPfn) << 12n) | BigInt(f.offset),
      fetch_addr: fetch ? BigInt(f.fetchAddr) : 0n,
    },
    prm: { flags: 0, pasid: 0, grpid: 0, perm: 0, addr: 0n, private_data: [0n, 0n] },
  };
}
