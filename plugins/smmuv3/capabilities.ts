/**
 * What this SMMUv3 model implements: its options, the ID register values that
 * advertise them (reference A.1, A.8, D.2) and the UnitCapabilities report.
 * Advertised: AArch64 tables, little-endian, 4K/16K/64K granules, RIL, HAD, ASID16,
 * VMID16, 2-level stream tables, STALL_MODEL = 1 (no stall), TERM_MODEL = 1,
 * SSIDSIZE = 0; not advertised: PRI, ATS, HTTU, MSI, HYP, secure state.
 */
import type { ReplacementPolicy } from '../../core/cache/index.js';
import type { UnitCapabilities } from '../../core/plugin/contract.js';
import type { CacheSpec } from './caches.js';
import type { RegisterFile } from './register-file.js';

export type SmmuStages = 's1' | 's2' | 'nested';
export type SmmuProfile = 'v5.10' | 'proposed';

export interface SmmuOptions {
  /** Stages implemented (QEMU's `stage` property); 'nested' = both, nested STEs allowed. */
  readonly stages: SmmuStages;
  /** OAS in bits: 32, 36, 40, 42, 44 or 48 (QEMU: 44). */
  readonly oas: number;
  /** IDR1.SIDSIZE. */
  readonly sidBits: number;
  /** IDR3.RIL. */
  readonly ril: boolean;
  readonly tlb: CacheSpec;
  readonly configCache: CacheSpec;
  /** UAPI profile: mainline v5.10 (no vendor ops) or the proposed nested-stage series. */
  readonly profile: SmmuProfile;
}

/** QEMU's sizes for its policy: a 256-entry IOTLB flushed when full; an unbounded config cache. */
export const QEMU_TLB: CacheSpec = { entries: 256, policy: 'qemu', ways: 'full' };
export const QEMU_CONFIG_CACHE: CacheSpec = { entries: 65536, policy: 'qemu', ways: 'full' };

export const DEFAULT_OPTIONS: SmmuOptions = {
  stages: 'nested',
  oas: 44,
  sidBits: 16,
  ril: true,
  tlb: { entries: 1024, policy: 'lru', ways: 'full' },
  configCache: { entries: 64, policy: 'lru', ways: 'full' },
  profile: 'v5.10',
};

export const OAS_ENCODING: { readonly [bits: number]: number } = { 32: 0, 36: 1, 40: 2, 42: 3, 44: 4, 48: 5 };

export const POLICIES: readonly ReplacementPolicy[] = ['lru', 'fifo', 'random', 'qemu'];

/** Fills the ID registers from the options. */
export function programIdRegs(r: RegisterFile, o: SmmuOptions): void {
  const s1 = o.stages !== 's2';
  const s2 = o.stages !== 's1';
  r.idr0 =
    ((s2 ? 1 : 0) << 0) | // S2P
    ((s1 ? 1 : 0) << 1) | // S1P
    (2 << 2) | // TTF = AArch64
    (1 << 4) | // COHACC
    (1 << 12) | // ASID16
    (1 << 18) | // VMID16
    (2 << 21) | // TTENDIAN = little-endian
    (1 << 24) | // STALL_MODEL = 1: no stall
    (1 << 26) | // TERM_MODEL = 1: terminate aborts
    (1 << 27); // ST_LEVEL = 2-level supported
  // SSIDSIZE 0, EVTQS/CMDQS 19 (log2 entries), SIDSIZE.
  r.idr1 = (o.sidBits & 63) | (19 << 16) | (19 << 21);
  // HAD: CD.HAD0/HAD1 are honoured (walk.ts ignores APTable/PXNTable/UXNTable under them).
  r.idr3 = (1 << 2) | (o.ril ? 1 << 10 : 0); // HAD, RIL
  r.idr5 = (OAS_ENCODING[o.oas] ?? 4) | (1 << 4) | (1 << 5) | (1 << 6); // GRAN4K/16K/64K
  r.aidr = 2; // SMMUv3.2 (range invalidation)
}

/** Things this model does not cover; each answered with an explicit event, CERROR or errno. */
export const NOT_MODELLED: readonly string[] = [
  'substreams / PASID: SSIDSIZE = 0; an SSID-tagged transaction gets C_BAD_SUBSTREAMID, S1CDMax != 0 gets C_BAD_STE',
  'stall model: STALL_MODEL = 1; CD.S = 1 gets C_BAD_CD, STE.S1STALLD/S2S = 1 get C_BAD_STE, CMD_RESUME/STALL_TERM get CERROR_ILL',
  'PRI and the PRI queue: pageRequest() answers ENODEV, CMD_PRI_RESP gets CERROR_ILL',
  'ATS / ATC: an ATS request gets F_BAD_ATS_TREQ (FAULT_KIND.NOT_MODELLED), CMD_ATC_INV gets CERROR_ILL',
  'HTTU: CD.HA/HD = 1 get C_BAD_CD',
  'top-byte-ignore: CD.TBI != 0 gets C_BAD_CD (FAULT_KIND.NOT_MODELLED)',
  'AArch32 tables and big-endian walks: C_BAD_STE / C_BAD_CD',
  'EL2/EL3 regimes and secure state: their TLBI commands get CERROR_ILL',
  '52-bit addresses (LPA/LPA2): output addresses are 48-bit at most',
  'MSI for queues and CMD_SYNC; PRIQ; walk caches (the TLB holds leaves only)',
  'memory attributes and shareability (MAIR, SH, cacheability): not needed for addresses',
];

export function capabilitiesOf(o: SmmuOptions): UnitCapabilities {
  const proposed = o.profile === 'proposed';
  return {
    arch: 'smmuv3',
    profile: o.profile,
    pasidBits: 0,
    cacheInvalidation: proposed
      ? [
          { cache: 'iotlb', granularities: ['domain', 'pasid', 'addr'] },
          { cache: 'pasid', granularities: ['domain', 'pasid'] },
        ]
      : [],
    bindFormats: proposed ? [2] : [],
    pageRequests: false,
    nested: o.stages === 'nested',
    ats: false,
    caches: ['tlb', 'config'],
    notModelled: NOT_MODELLED,
  };
}
