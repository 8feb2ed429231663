/**
 * The translation path (reference A.0, A.4, A.8): SMMUEN/GBPA, config cache
 * (StreamID), TLB (VMID, ASID, page, size), walks on a miss, permission
 * checks, and faults handed to the recorder. translate() is the hot path: it
 * allocates nothing on a config-cache hit (a config miss decodes the STE/CD).
 */
import type { PhysMemory } from '../../core/memory/phys-memory.js';
import {
  ACCESS,
  FAULT_KIND,
  NO_PASID,
  type TranslationRequest,
  type TranslationResult,
} from '../../core/model/translation.js';
import { SIZE_CODE_OF_SHIFT, type SmmuCaches, TLB_PAGE_SHIFTS, tlbVpn } from './caches.js';
import { CFG, type HwParams, loadConfig, type StreamConfig } from './config.js';
import { FaultInfo } from './fault-info.js';
import { EVENT_CLASS, faultKindOf, SMMU_EVENT } from './faults.js';
import type { RegisterFile } from './register-file.js';
import { PERM } from './structures/descriptor.js';
import { CR0, GBPA } from './structures/registers.js';
import { neededPerm, type StageRegime, WalkOut, walkStage } from './walk.js';

const PFN_LIMIT = 2 ** 52;
/** Hot-decode slots, direct-mapped by the low StreamID bits (a power of two). */
const HOT_SLOTS = 64;

export class Translator {
  readonly #mem: PhysMemory;
  readonly #hw: HwParams;
  readonly #regs: RegisterFile;
  readonly #caches: SmmuCaches;
  readonly #onFault: (f: FaultInfo) => void;
  readonly #f = new FaultInfo();
  readonly #o1 = new WalkOut();
  readonly #o2 = new WalkOut();
  readonly #on = new WalkOut();
  readonly #reads = { n: 0 };
  /**
   * Hot decode of cached configurations (issue 16), direct-mapped by StreamID (HOT_SLOTS):
   * the region limits and regimes translate() needs, derived from the config cache's own
   * StreamConfig object. A slot is used only while the config cache returns that very object,
   * so a CFGI, an eviction or a loadState (after each, the next lookup misses or returns a new
   * object) leaves it stale by identity: the config cache alone decides what is current.
   */
  readonly #hotCfg: (StreamConfig | null)[] = new Array<StreamConfig | null>(HOT_SLOTS).fill(null);
  /** Input pages below this use TTB0: 2^(in0Bits - 12). */
  readonly #hotIn0Limit = new Float64Array(HOT_SLOTS);
  /** Input pages from this up use TTB1: 2^52 - 2^(in1Bits - 12). */
  readonly #hotIn1Base = new Float64Array(HOT_SLOTS);
  /** The stage-1 regime of each region, or null when its walks are disabled (EPDx). */
  readonly #hotTt0: (StageRegime | null)[] = new Array<StageRegime | null>(HOT_SLOTS).fill(null);
  readonly #hotTt1: (StageRegime | null)[] = new Array<StageRegime | null>(HOT_SLOTS).fill(null);
  /** Input pages at or above this exceed the IAS (stage 1 bypassed): 2^(OAS - 12). */
  readonly #iasLimit: number;
  translations = 0;
  faults = 0;
  memReads = 0;

  constructor(
    mem: PhysMemory,
    hw: HwParams,
    regs: RegisterFile,
    caches: SmmuCaches,
    onFault: (f: FaultInfo) => void,
  ) {
    this.#mem = mem;
    this.#hw = hw;
    this.#regs = regs;
    this.#caches = caches;
    this.#onFault = onFault;
    this.#iasLimit = 2 ** (hw.oasBits - 12);
  }

  translate(req: TranslationRequest, out: TranslationResult): number {
    this.translations++;
    out.offset = req.offset;
    out.hit = false;
    out.memReads = 0;
    const f = this.#f;
    if ((this.#regs.cr0 & CR0.SMMUEN) === 0) {
      // SMMU disabled: GBPA decides, without an event (spec 6.3.14).
      if (this.#regs.gbpa & GBPA.ABORT) return this.#blocked(out);
      return this.#identity(req, out);
    }
    if (req.ats) {
      this.#begin(req);
      f.code = SMMU_EVENT.F_BAD_ATS_TREQ;
      f.reason = 'ATS translation request: ATS is not modelled (IDR0.ATS = 0)';
      f.notModelled = true;
      return this.#fail(out);
    }
    let cfg = this.#caches.config.get(0, req.sid);
    if (cfg === undefined) {
      this.#begin(req);
      this.#reads.n = 0;
      const loaded = loadConfig(this.#mem, this.#hw, this.#regs.strtab(), req.sid, f, this.#reads);
      out.memReads += this.#reads.n;
      this.memReads += this.#reads.n;
      if (loaded === null) return this.#fail(out);
      cfg = loaded;
      if (cfg.kind >= CFG.S1)
        cfg.ctx = this.#caches.contextFor(cfg.vmid, cfg.kind === CFG.S2 ? -1 : cfg.asid);
      this.#caches.config.set(0, req.sid, cfg);
    }
    const hot = req.sid & (HOT_SLOTS - 1);
    if (this.#hotCfg[hot] !== cfg) this.#decodeHot(hot, cfg);
    const kind = cfg.kind;
    if (kind === CFG.ABORT) return this.#blocked(out);
    if (kind === CFG.BYPASS) return this.#identity(req, out);
    if (req.pasid !== NO_PASID) {
      this.#begin(req);
      f.code = SMMU_EVENT.C_BAD_SUBSTREAMID;
      f.reason = 'transaction has a SubstreamID but STE.S1CDMax = 0';
      return this.#fail(out);
    }
    const inPfn = req.iovaPfn;
    let s1: StageRegime | null = null;
    if (kind === CFG.S2) {
      if (inPfn >= this.#iasLimit) {
        // Stage 1 bypassed: the input must fit the IAS, else a stage-1 address size fault (reference A.4).
        this.#begin(req);
        f.code = SMMU_EVENT.F_ADDR_SIZE;
        f.record = cfg.recordS2;
        f.reason = 'input address beyond IAS with stage 1 bypassed';
        return this.#fail(out);
      }
    } else {
      // TTB0 covers inputs whose top bits are all 0, TTB1 those whose top bits are all 1 (reference A.3).
      if (inPfn < this.#hotIn0Limit[hot]!) s1 = this.#hotTt0[hot] as StageRegime | null;
      else if (inPfn >= this.#hotIn1Base[hot]!) s1 = this.#hotTt1[hot] as StageRegime | null;
      if (s1 === null) {
        this.#begin(req);
        f.code = SMMU_EVENT.F_TRANSLATION;
        f.cls = EVENT_CLASS.IN;
        f.record = cfg.recordS1;
        f.reason = 'input address outside TTB0/TTB1 regions, or the region is disabled (EPDx)';
        return this.#fail(out);
      }
    }
    const vpn = tlbVpn(inPfn);
    const need = neededPerm(req.access);
    const tlb = this.#caches.tlb;
    const slot = tlb.lookupAny(cfg.ctx, vpn);
    if (slot >= 0) {
      const p = tlb.perm[slot]! & tlb.aux0[slot]!;
      // An entry without the needed permission is walked again: the walk reports the fault with
      // its stage and IPA, or refreshes an entry whose permissions software has since raised.
      if ((p & need) === need) {
        out.hit = true;
        out.outPfn = tlb.outputFor(slot, vpn);
        out.pageShift = TLB_PAGE_SHIFTS[tlb.sizeOf(slot)]! + 12;
        out.perm = accessBits(p, req.access);
        out.kind = 0;
        out.archCode = 0;
        return 0;
      }
    }
    return this.#walk(req, out, cfg, s1, vpn, need);
  }

  /** Fills hot slot `hot` from `cfg` (a config-cache miss, a reload, or another StreamID in the slot). */
  #decodeHot(hot: number, cfg: StreamConfig): void {
    this.#hotCfg[hot] = cfg;
    this.#hotIn0Limit[hot] = 2 ** (cfg.in0Bits - 12);
    this.#hotIn1Base[hot] = PFN_LIMIT - 2 ** (cfg.in1Bits - 12);
    this.#hotTt0[hot] = cfg.tt0On ? cfg.tt0 : null;
    this.#hotTt1[hot] = cfg.tt1On ? cfg.tt1 : null;
  }

  #walk(
    req: TranslationRequest,
    out: TranslationResult,
    cfg: StreamConfig,
    s1: StageRegime | null,
    vpn: number,
    need: number,
  ): number {
    const inPfn = req.iovaPfn;
    const o1 = this.#o1;
    const o2 = this.#o2;
    const nested = cfg.kind === CFG.NESTED;
    let s1Perm: number = PERM.ALL;
    let s2Perm: number = PERM.ALL;
    let shift = 64;
    let pfn = inPfn;
    if (s1 !== null) {
      o1.clear();
      walkStage(this.#mem, s1, inPfn, o1, nested ? cfg.s2 : null, nested ? this.#on : null);
      out.memReads += o1.reads;
      this.memReads += o1.reads;
      if (o1.fault !== 0) {
        this.#begin(req);
        const f = this.#f;
        f.code = o1.fault;
        f.level = o1.level;
        f.fetchAddr = o1.fetchAddr;
        if (o1.s2Fault) {
          // A stage-2 fault while fetching a stage-1 descriptor (nested, reference A.4).
          f.s2 = true;
          f.cls = EVENT_CLASS.TTD;
          f.ipa = o1.ipa;
          f.record = o1.fault === SMMU_EVENT.F_WALK_EABT || cfg.recordS2;
        } else {
          f.cls = o1.fault === SMMU_EVENT.F_WALK_EABT ? EVENT_CLASS.TTD : EVENT_CLASS.IN;
          f.record = o1.fault === SMMU_EVENT.F_WALK_EABT || cfg.recordS1;
        }
        return this.#fail(out);
      }
      s1Perm = o1.perm;
      if ((s1Perm & need) !== need) {
        this.#begin(req);
        return this.#permFault(out, cfg, true, 0);
      }
      shift = o1.shift;
      pfn = o1.outPfn;
    }
    if (cfg.kind === CFG.S2 || nested) {
      o2.clear();
      walkStage(this.#mem, cfg.s2, pfn, o2, null, null);
      out.memReads += o2.reads;
      this.memReads += o2.reads;
      if (o2.fault !== 0) {
        this.#begin(req);
        const f = this.#f;
        f.code = o2.fault;
        f.level = o2.level;
        f.fetchAddr = o2.fetchAddr;
        f.s2 = true;
        f.cls = o2.fault === SMMU_EVENT.F_WALK_EABT ? EVENT_CLASS.TTD : EVENT_CLASS.IN;
        f.ipa = pfn * 4096;
        f.record = o2.fault === SMMU_EVENT.F_WALK_EABT || cfg.recordS2;
        return this.#fail(out);
      }
      s2Perm = o2.perm;
      if ((s2Perm & need) !== need) {
        this.#begin(req);
        return this.#permFault(out, cfg, false, pfn);
      }
      if (o2.shift < shift) shift = o2.shift;
      pfn = o2.outPfn;
    }
    // Fill: the entry covers the aligned block of the smaller of the stage sizes.
    const span = 2 ** (shift - 12);
    const base = vpn - (vpn % span);
    const off = inPfn % span;
    const code = SIZE_CODE_OF_SHIFT[shift]!;
    this.#caches.tlb.insert(
      cfg.ctx,
      base,
      code,
      pfn - off,
      s1Perm,
      s2Perm,
      s1 !== null ? o1.level : o2.level,
    );
    out.outPfn = pfn;
    out.pageShift = shift;
    out.perm = accessBits(s1Perm & s2Perm, req.access);
    out.kind = 0;
    out.archCode = 0;
    return 0;
  }

  /** F_PERMISSION at stage 1 (atS1) or stage 2 at IPA page `ipaPfn`. */
  #permFault(out: TranslationResult, cfg: StreamConfig, atS1: boolean, ipaPfn: number): number {
    const f = this.#f;
    f.code = SMMU_EVENT.F_PERMISSION;
    f.cls = EVENT_CLASS.IN;
    if (atS1) {
      f.record = cfg.recordS1;
    } else {
      f.s2 = true;
      f.ipa = ipaPfn * 4096;
      f.record = cfg.recordS2;
    }
    return this.#fail(out);
  }

  #begin(req: TranslationRequest): void {
    const f = this.#f;
    f.reset();
    f.sid = req.sid;
    f.ssid = req.pasid;
    f.inPfn = req.iovaPfn;
    f.offset = req.offset;
    f.read = (req.access & ACCESS.WRITE) === 0;
    f.exec = (req.access & ACCESS.EXEC) !== 0;
    f.priv = (req.access & ACCESS.PRIV) !== 0;
  }

  #fail(out: TranslationResult): number {
    const f = this.#f;
    const kind = f.notModelled ? FAULT_KIND.NOT_MODELLED : faultKindOf(f.code);
    this.faults++;
    out.kind = kind;
    out.archCode = f.code;
    this.#onFault(f);
    return kind;
  }

  #blocked(out: TranslationResult): number {
    this.faults++;
    out.kind = FAULT_KIND.BLOCKED;
    out.archCode = 0;
    return FAULT_KIND.BLOCKED;
  }

  #identity(req: TranslationRequest, out: TranslationResult): number {
    out.outPfn = req.iovaPfn;
    out.pageShift = 12;
    out.perm = ACCESS.READ | ACCESS.WRITE | ACCESS.EXEC;
    out.kind = 0;
    out.archCode = 0;
    return 0;
  }
}

/** ACCESS R/W/X bits a PERM mask grants at the request's privilege. */
function accessBits(perm: number, access: number): number {
  return access & ACCESS.PRIV ? perm & 7 : (perm >>> 3) & 7;
}
