/**
 * Stream configuration: finds a StreamID's STE in the (linear or 2-level)
 * stream table, checks it, fetches and checks its single context descriptor,
 * and decodes both into a StreamConfig — the value the config cache holds
 * (reference A.1-A.3, A.8). Cold path: runs on a config-cache miss only.
 *
 * Checks follow the spec where the SMMU we advertise makes a field ILLEGAL
 * (SSIDSIZE = 0, AArch64 tables only, little-endian only, no stall, no HTTU),
 * which is also what QEMU rejects. TBI is the one CD feature not modelled:
 * it answers C_BAD_CD with FAULT_KIND.NOT_MODELLED.
 */
import type { PhysMemory } from '../../core/memory/phys-memory.js';
import type { FaultInfo } from './fault-info.js';
import { EVENT_CLASS, SMMU_EVENT } from './faults.js';
import { CD_WORDS, decodeCd, PS_BITS, TG0_GRANULE_SHIFT, TG1_GRANULE_SHIFT } from './structures/cd.js';
import { levelShift, PERM, s1StartLevel } from './structures/descriptor.js';
import { STRTAB_FMT } from './structures/registers.js';
import { decodeL1Std, decodeSte, S2TG_GRANULE_SHIFT, STE_WORDS, type SteFields } from './structures/ste.js';
import { StageRegime, WalkOut, walkStage } from './walk.js';

/** Decoded STE.Config. */
export const CFG = { ABORT: 0, BYPASS: 1, S1: 2, S2: 3, NESTED: 4 } as const;
export const CFG_NAME: readonly string[] = ['abort', 'bypass', 's1', 's2', 'nested'];

/** What the SMMU implements (its ID registers), as the config checks need it. */
export interface HwParams {
  readonly s1: boolean;
  readonly s2: boolean;
  /** OAS in bits (IDR5.OAS); IAS equals it (no AArch32 tables). */
  readonly oasBits: number;
  /** IDR1.SIDSIZE. */
  readonly sidBits: number;
}

/**
 * The VMID tag of every TLB entry when stage 2 is not implemented (QEMU uses -1; reference
 * A.8). TLBI commands then ignore their VMID field and match this tag instead.
 */
export const NO_S2_VMID = 0;

export interface StrtabRegs {
  readonly base: number;
  readonly log2size: number;
  readonly split: number;
  readonly fmt: number;
}

export class StreamConfig {
  kind: number = CFG.ABORT;
  sid = 0;
  /** TLB tags. vmid is S2VMID when stage 2 is implemented (it tags stage-1-only entries too), else NO_S2_VMID. */
  vmid = 0;
  asid = 0;
  /** TLB context id of (vmid, asid), or of (vmid, stage-2) for S2-only; set by the caches. */
  ctx = -1;
  readonly tt0 = new StageRegime();
  tt0On = false;
  in0Bits = 0;
  readonly tt1 = new StageRegime();
  tt1On = false;
  in1Bits = 0;
  readonly s2 = new StageRegime();
  ipaBits = 0;
  /** CD.R and STE.S2R: record translation-class faults of that stage. */
  recordS1 = false;
  recordS2 = false;
  /** Where the STE and CD were read, and their words, for snapshots. */
  steAddr = 0;
  ste: Uint32Array = new Uint32Array(STE_WORDS);
  cdAddr = -1;
  cd: Uint32Array | null = null;
}

function bad(f: FaultInfo, code: number, reason: string, notModelled = false): null {
  f.code = code;
  f.reason = reason;
  f.record = true;
  f.notModelled = notModelled;
  return null;
}

/** Reads 64-bit-aligned words [addr, addr + 4·n) into a new array, or undefined if not backed. */
function readWords(mem: PhysMemory, addr: number, n: number): Uint32Array | undefined {
  const page = mem.page(Math.floor(addr / 4096));
  if (page === undefined) return undefined;
  const w = (addr % 4096) >>> 2;
  return page.slice(w, w + n);
}

/**
 * Finds the STE of `sid` in the linear or 2-level stream table (spec 5.1; reference A.1).
 * Returns its address, or null with `f` filled (C_BAD_STREAMID, F_STE_FETCH).
 */
export function locateSte(
  mem: PhysMemory,
  hw: HwParams,
  st: StrtabRegs,
  sid: number,
  f: FaultInfo,
  reads: { n: number },
): number | null {
  const log2 = Math.min(st.log2size, hw.sidBits);
  if (sid >= 2 ** log2) return bad(f, SMMU_EVENT.C_BAD_STREAMID, 'StreamID >= 2^STRTAB_BASE_CFG.LOG2SIZE');
  let steAddr: number;
  if (st.fmt === STRTAB_FMT.TWO_LEVEL) {
    const l1Addr = st.base + Math.floor(sid / 2 ** st.split) * 8;
    const l1w = readWords(mem, l1Addr, 2);
    reads.n++;
    if (l1w === undefined) {
      f.fetchAddr = l1Addr;
      return bad(f, SMMU_EVENT.F_STE_FETCH, 'level-1 stream table descriptor not readable');
    }
    const l1 = decodeL1Std(l1w);
    if (l1.Span === 0) return bad(f, SMMU_EVENT.C_BAD_STREAMID, 'level-1 descriptor Span = 0 (invalid)');
    const low = sid % 2 ** st.split;
    // A Span above SPLIT + 1 is taken as SPLIT + 1: the level-2 table never exceeds 2^SPLIT STEs.
    if (low >= 2 ** (Math.min(l1.Span, st.split + 1) - 1)) {
      return bad(f, SMMU_EVENT.C_BAD_STREAMID, 'StreamID beyond the level-2 table Span');
    }
    steAddr = l1.L2Ptr + low * 64;
  } else {
    steAddr = st.base + sid * 64;
  }
  return steAddr;
}

/**
 * Loads the configuration of `sid`. Returns null and fills `f` (code, reason, fetch
 * address, S2/CLASS/IPA for a nested CD fetch) when the configuration is bad.
 * `reads` counts the memory reads made.
 */
export function loadConfig(
  mem: PhysMemory,
  hw: HwParams,
  st: StrtabRegs,
  sid: number,
  f: FaultInfo,
  reads: { n: number },
): StreamConfig | null {
  const steAddr = locateSte(mem, hw, st, sid, f, reads);
  if (steAddr === null) return null;
  const steW = readWords(mem, steAddr, STE_WORDS);
  reads.n++;
  if (steW === undefined) {
    f.fetchAddr = steAddr;
    return bad(f, SMMU_EVENT.F_STE_FETCH, 'STE not readable');
  }
  const ste = decodeSte(steW);
  const cfg = new StreamConfig();
  cfg.sid = sid;
  cfg.steAddr = steAddr;
  cfg.ste = steW;
  if (ste.V === 0) return bad(f, SMMU_EVENT.C_BAD_STE, 'STE.V = 0');
  if ((ste.Config & 0b100) === 0) {
    cfg.kind = CFG.ABORT;
    return cfg;
  }
  const s1 = (ste.Config & 1) !== 0;
  const s2 = (ste.Config & 2) !== 0;
  cfg.kind = s1 && s2 ? CFG.NESTED : s1 ? CFG.S1 : s2 ? CFG.S2 : CFG.BYPASS;
  if (cfg.kind === CFG.BYPASS) return cfg;
  if (s1 && !hw.s1) return bad(f, SMMU_EVENT.C_BAD_STE, 'STE.Config uses stage 1, which is not implemented');
  if (s2 && !hw.s2) return bad(f, SMMU_EVENT.C_BAD_STE, 'STE.Config uses stage 2, which is not implemented');
  cfg.vmid = hw.s2 ? ste.S2VMID : NO_S2_VMID;
  if (s2 && !decodeS2(hw, ste, cfg, f)) return null;
  if (!s1) return cfg;
  if (ste.S1CDMax !== 0)
    return bad(f, SMMU_EVENT.C_BAD_STE, 'STE.S1CDMax > IDR1.SSIDSIZE (0: substreams not supported)');
  if (ste.S1STALLD !== 0)
    return bad(f, SMMU_EVENT.C_BAD_STE, 'STE.S1STALLD = 1 but stalls are not supported');
  if (ste.STRW !== 0)
    return bad(f, SMMU_EVENT.C_BAD_STE, 'STE.STRW selects EL2/EL3, not supported (IDR0.HYP = 0)');

  // Context descriptor: one per stream (S1CDMax = 0). Nested: S1ContextPtr is an IPA.
  let cdAddr = ste.S1ContextPtr;
  if (s2) {
    const o = new WalkOut();
    walkStage(mem, cfg.s2, Math.floor(cdAddr / 4096), o, null, null);
    reads.n += o.reads;
    if (o.fault === 0 && (o.perm & PERM.PR) === 0) o.fault = SMMU_EVENT.F_PERMISSION;
    if (o.fault !== 0) {
      f.code = o.fault;
      f.s2 = true;
      f.cls = EVENT_CLASS.CD;
      f.ipa = cdAddr;
      f.fetchAddr = o.fetchAddr;
      f.level = o.level;
      f.read = true;
      f.record = o.fault === SMMU_EVENT.F_WALK_EABT || cfg.recordS2;
      f.reason = 'stage 2 fault while fetching the CD';
      return null;
    }
    cdAddr = o.outPfn * 4096 + (cdAddr % 4096);
  }
  const cdW = readWords(mem, cdAddr, CD_WORDS);
  reads.n++;
  if (cdW === undefined) {
    f.fetchAddr = cdAddr;
    return bad(f, SMMU_EVENT.F_CD_FETCH, 'CD not readable');
  }
  cfg.cdAddr = cdAddr;
  cfg.cd = cdW;
  return decodeS1(hw, cdW, cfg, f) ? cfg : null;
}

function decodeS2(hw: HwParams, ste: SteFields, cfg: StreamConfig, f: FaultInfo): boolean {
  const g = S2TG_GRANULE_SHIFT[ste.S2TG]!;
  if (ste.S2AA64 !== 1) return !!bad(f, SMMU_EVENT.C_BAD_STE, 'STE.S2AA64 = 0: AArch32 tables not supported');
  if (ste.S2ENDI !== 0)
    return !!bad(f, SMMU_EVENT.C_BAD_STE, 'STE.S2ENDI = 1: big-endian walks not supported');
  if (ste.S2S !== 0) return !!bad(f, SMMU_EVENT.C_BAD_STE, 'STE.S2S = 1 but stalls are not supported');
  if (g === 0) return !!bad(f, SMMU_EVENT.C_BAD_STE, 'STE.S2TG = 3 (reserved)');
  if (ste.S2SL0 === 3) return !!bad(f, SMMU_EVENT.C_BAD_STE, 'STE.S2SL0 = 3 (reserved)');
  const ipaBits = 64 - ste.S2T0SZ;
  if (ipaBits > hw.oasBits || ipaBits < 25) {
    return !!bad(f, SMMU_EVENT.C_BAD_STE, 'STE.S2T0SZ out of range (IPA size must be 25..IAS bits)');
  }
  const start = g === 12 ? 2 - ste.S2SL0 : 3 - ste.S2SL0;
  const startBits = ipaBits - levelShift(g, start);
  // The start level resolves 1..stride bits, or up to 16 concatenated tables (stride + 4).
  if (startBits < 1 || startBits > g - 3 + 4) {
    return !!bad(
      f,
      SMMU_EVENT.C_BAD_STE,
      'STE.S2SL0 inconsistent with S2T0SZ (more than 16 concatenated tables)',
    );
  }
  const oa = Math.min(PS_BITS[ste.S2PS] || hw.oasBits, hw.oasBits);
  if (ste.S2TTB >= 2 ** oa) return !!bad(f, SMMU_EVENT.C_BAD_STE, 'STE.S2TTB beyond the output size S2PS');
  const r = cfg.s2;
  r.granule = g;
  r.startLevel = start;
  r.startEntries = 2 ** startBits;
  r.table = ste.S2TTB;
  r.oaBits = oa;
  r.affd = ste.S2AFFD === 1;
  r.stage2 = true;
  r.inputBits = ipaBits;
  cfg.ipaBits = ipaBits;
  cfg.recordS2 = ste.S2R === 1;
  return true;
}

function decodeS1(hw: HwParams, w: Uint32Array, cfg: StreamConfig, f: FaultInfo): boolean {
  const cd = decodeCd(w);
  if (cd.V === 0) return !!bad(f, SMMU_EVENT.C_BAD_CD, 'CD.V = 0');
  if (cd.AA64 !== 1) return !!bad(f, SMMU_EVENT.C_BAD_CD, 'CD.AA64 = 0: AArch32 tables not supported');
  if (cd.ENDI !== 0) return !!bad(f, SMMU_EVENT.C_BAD_CD, 'CD.ENDI = 1: big-endian walks not supported');
  if (cd.HA !== 0 || cd.HD !== 0)
    return !!bad(f, SMMU_EVENT.C_BAD_CD, 'CD.HA/HD = 1 but HTTU is not supported');
  if (cd.S !== 0) return !!bad(f, SMMU_EVENT.C_BAD_CD, 'CD.S = 1 but stalls are not supported');
  if (cd.A !== 1) return !!bad(f, SMMU_EVENT.C_BAD_CD, 'CD.A = 0 but IDR0.TERM_MODEL = 1 (abort only)');
  if (cd.TBI !== 0)
    return !!bad(f, SMMU_EVENT.C_BAD_CD, 'CD.TBI != 0: top-byte-ignore is not modelled', true);
  // Stage 1 output: a PA, or an IPA when nested (IAS = OAS here).
  const oa = Math.min(PS_BITS[cd.IPS] || hw.oasBits, hw.oasBits);
  cfg.asid = cd.ASID;
  cfg.recordS1 = cd.R === 1;
  cfg.tt0On = cd.EPD0 === 0;
  cfg.tt1On = cd.EPD1 === 0;
  // TxSZ sizes the region even when its walks are disabled (EPDx = 1).
  cfg.in0Bits = 64 - Math.min(39, Math.max(16, cd.T0SZ));
  cfg.in1Bits = 64 - Math.min(39, Math.max(16, cd.T1SZ));
  if (cfg.tt0On) {
    const g = TG0_GRANULE_SHIFT[cd.TG0]!;
    if (g === 0) return !!bad(f, SMMU_EVENT.C_BAD_CD, 'CD.TG0 = 3 (reserved)');
    if (cd.T0SZ < 16 || cd.T0SZ > 39) return !!bad(f, SMMU_EVENT.C_BAD_CD, 'CD.T0SZ out of range 16..39');
    cfg.in0Bits = 64 - cd.T0SZ;
    setS1(cfg.tt0, g, cfg.in0Bits, cd.TTB0, oa, cd, cd.HAD0 === 1);
  }
  if (cfg.tt1On) {
    const g = TG1_GRANULE_SHIFT[cd.TG1]!;
    if (g === 0) return !!bad(f, SMMU_EVENT.C_BAD_CD, 'CD.TG1 = 0 (reserved)');
    if (cd.T1SZ < 16 || cd.T1SZ > 39) return !!bad(f, SMMU_EVENT.C_BAD_CD, 'CD.T1SZ out of range 16..39');
    cfg.in1Bits = 64 - cd.T1SZ;
    setS1(cfg.tt1, g, cfg.in1Bits, cd.TTB1, oa, cd, cd.HAD1 === 1);
  }
  return true;
}

function setS1(
  r: StageRegime,
  g: number,
  inBits: number,
  ttb: number,
  oa: number,
  cd: { AFFD: number; WXN: number; PAN: number },
  had: boolean,
): void {
  r.granule = g;
  r.startLevel = s1StartLevel(g, inBits);
  r.startEntries = 2 ** (inBits - levelShift(g, r.startLevel));
  r.table = ttb;
  r.oaBits = oa;
  r.affd = cd.AFFD === 1;
  r.had = had;
  r.wxn = cd.WXN === 1;
  r.pan = cd.PAN === 1;
  r.stage2 = false;
  r.inputBits = inBits;
}
