/**
 * DMA translation (reference smmuv3-amdvi.md B.2, B.3): DeviceID -> DTE (DTE
 * cache) -> IOTLB (tagged by DomainID) -> v1 walk on a miss. Hot path:
 * synchronous, allocation-free; faults go to the cold path `#fault`, which
 * records the event-log entry and emits events.
 */
import type { EventSink } from '../../core/events/event-map.js';
import type { PhysMemory } from '../../core/memory/phys-memory.js';
import {
  ACCESS,
  FAULT_KIND,
  NO_PASID,
  type TranslationRequest,
  type TranslationResult,
} from '../../core/model/translation.js';
import { type AmdviIotlb, AUX0_SHIFT_MASK, DTE_F, type DteCache } from './caches.js';
import type { EventLog, RaisedEvent } from './event-log.js';
import { AMDVI_EVENT, AMDVI_EVENT_FLAG } from './faults.js';
import type { AmdviRegisters } from './registers.js';
import {
  DTE_BYTES,
  DTE_RSVD_W0,
  DTE_RSVD_W1,
  DTE_RSVD_W5,
  DTE_RSVD_W6,
  DTE_RSVD_W7,
  DTES_PER_PAGE,
} from './structures/dte.js';
import { WALK, WalkState, walkV1 } from './walk.js';
import './events.js';

/**
 * DTE bits for features EFR does not advertise (GT, PPR, HA/HD): q0 HAD 8:7,
 * PPR 52, GIoV 54, GV 55. The model treats them like reserved bits.
 */
const DTE_UNSUPPORTED_W0 = 0x0000_0180;
const DTE_UNSUPPORTED_W1 = 0x00d0_0000;
const RW = ACCESS.READ | ACCESS.WRITE;

/** Counters the unit reports in stats(). */
export class TranslateCounters {
  translations = 0;
  faults = 0;
  memReads = 0;
}

export class AmdviTranslator {
  readonly #unit: string;
  readonly #mem: PhysMemory;
  readonly #regs: AmdviRegisters;
  readonly #dte: DteCache;
  readonly #iotlb: AmdviIotlb;
  readonly #log: EventLog;
  readonly #events: EventSink;
  readonly #walk = new WalkState();
  readonly counters = new TranslateCounters();
  /** Called for each translation event written to the event log (the UAPI fault-report hook). */
  onFault: ((sid: number, e: RaisedEvent, req: TranslationRequest, kind: number) => void) | undefined;

  constructor(
    unit: string,
    mem: PhysMemory,
    regs: AmdviRegisters,
    dte: DteCache,
    iotlb: AmdviIotlb,
    log: EventLog,
    events: EventSink,
  ) {
    this.#unit = unit;
    this.#mem = mem;
    this.#regs = regs;
    this.#dte = dte;
    this.#iotlb = iotlb;
    this.#log = log;
    this.#events = events;
  }

  translate(req: TranslationRequest, out: TranslationResult): number {
    out.reset();
    out.offset = req.offset;
    this.counters.translations++;
    if (!this.#regs.iommuEn) return passthrough(req, out);
    const devid = req.sid & 0xffff;
    const dc = this.#dte;
    if (!dc.lookup(devid)) {
      const code = this.#fetchDte(devid, req, out);
      if (code >= 0) return code;
    }
    const f = dc.flags[devid];
    if ((f & DTE_F.V) === 0) return passthrough(req, out);
    const domainId = dc.domainId[devid];
    // V=1, TV=0: no valid translation information, the request is blocked [S: reported as IO_PAGE_FAULT].
    if ((f & DTE_F.TV) === 0)
      return this.#pageFault(req, out, domainId, f, 0, FAULT_KIND.BLOCKED, 'DTE.TV = 0');
    if (req.ats) {
      if ((f & DTE_F.I) === 0) {
        return this.#fault(req, out, FAULT_KIND.BAD_CONFIG, {
          code: AMDVI_EVENT.INVALID_DEVICE_REQUEST,
          deviceId: devid,
          domainId: 0,
          pasid: NO_PASID,
          flags: AMDVI_EVENT_FLAG.TR | rwFlag(req),
          address: byteAddr(req),
          detail: 'ATS translation request but DTE.I = 0',
        });
      }
      return this.#unmodelled(req, out, 'ATS translation requests (device IOTLB)');
    }
    const mode = dc.mode[devid];
    let perm = (f & DTE_F.IR ? ACCESS.READ : 0) | (f & DTE_F.IW ? ACCESS.WRITE : 0);
    if (mode === 0) {
      // Mode 0: no translation, but IR/IW still apply.
      out.outPfn = req.iovaPfn;
      out.perm = perm;
      return this.#checkPerm(req, out, domainId, f);
    }
    const slot = this.#iotlb.lookupHost(domainId, devid, req.iovaPfn);
    if (slot >= 0) {
      out.hit = true;
      out.outPfn = this.#iotlb.outputFor(slot, req.iovaPfn);
      out.perm = this.#iotlb.cache.perm[slot];
      out.pageShift = this.#iotlb.cache.aux0[slot] & AUX0_SHIFT_MASK;
      return this.#checkPerm(req, out, domainId, f);
    }
    const w = this.#walk;
    const r = walkV1(this.#mem, dc.rootPfn[devid], mode, req.iovaPfn, perm & 1, (perm >>> 1) & 1, w);
    out.memReads += w.reads;
    this.counters.memReads += w.reads;
    if (r !== WALK.OK) return this.#walkFault(req, out, domainId, f, r);
    perm = (w.ir ? ACCESS.READ : 0) | (w.iw ? ACCESS.WRITE : 0);
    out.outPfn = w.basePfn + (req.iovaPfn % 2 ** (w.shift - 12));
    out.pageShift = w.shift;
    out.perm = perm;
    this.#iotlb.insert(domainId, devid, NO_PASID, req.iovaPfn, w.basePfn, w.shift, perm);
    return this.#checkPerm(req, out, domainId, f);
  }

  #checkPerm(req: TranslationRequest, out: TranslationResult, domainId: number, f: number): number {
    if ((req.access & RW & ~out.perm) === 0) return 0;
    return this.#pageFault(
      req,
      out,
      domainId,
      f,
      AMDVI_EVENT_FLAG.PR | AMDVI_EVENT_FLAG.PE,
      FAULT_KIND.PERMISSION,
      '',
    );
  }

  // ---- cold paths ----

  /** Reads and checks the DTE; fills the DTE cache. Returns -1 when usable, else the fault kind. */
  #fetchDte(devid: number, req: TranslationRequest, out: TranslationResult): number {
    const r = this.#regs;
    const dteAddr = r.devTabBase + devid * DTE_BYTES;
    const ev = (code: number, detail: string): RaisedEvent => ({
      code,
      deviceId: devid,
      domainId: 0,
      pasid: NO_PASID,
      flags: rwFlag(req),
      address: BigInt(dteAddr),
      detail,
    });
    if (devid >= r.devTabPages * DTES_PER_PAGE) {
      // [S] a DeviceID beyond DEV_TAB_BASE.Size has no DTE; reported as an illegal entry.
      return this.#fault(
        req,
        out,
        FAULT_KIND.BAD_CONFIG,
        ev(AMDVI_EVENT.ILLEGAL_DEV_TABLE_ENTRY, 'DeviceID beyond the device table size'),
      );
    }
    const page = this.#mem.page(Math.floor(dteAddr / 4096));
    out.memReads++;
    this.counters.memReads++;
    if (page === undefined)
      return this.#fault(
        req,
        out,
        FAULT_KIND.WALK_ABORT,
        ev(AMDVI_EVENT.DEV_TAB_HARDWARE_ERROR, 'DTE not in backed memory'),
      );
    const i = (dteAddr % 4096) / 4;
    const w0 = page[i];
    const w1 = page[i + 1];
    const w2 = page[i + 2];
    const w3 = page[i + 3];
    if ((w0 & 1) === 0) {
      this.#dte.fill(devid, 0, 0, 0, 0);
      return -1;
    }
    const mode = (w0 >>> 9) & 7;
    let bad = '';
    if (
      w0 & DTE_RSVD_W0 ||
      w1 & DTE_RSVD_W1 ||
      page[i + 5] & DTE_RSVD_W5 ||
      page[i + 6] & DTE_RSVD_W6 ||
      page[i + 7] & DTE_RSVD_W7
    ) {
      bad = 'reserved bit set';
    } else if (mode === 7) bad = 'Mode = 7 (reserved)';
    else if (w0 & DTE_UNSUPPORTED_W0 || w1 & DTE_UNSUPPORTED_W1)
      bad = 'HAD/PPR/GIoV/GV set, but EFR does not advertise HA/HD, PPR or GT (not modelled)';
    if (bad !== '') {
      const e = ev(AMDVI_EVENT.ILLEGAL_DEV_TABLE_ENTRY, bad);
      e.flags |= AMDVI_EVENT_FLAG.RZ;
      return this.#fault(req, out, FAULT_KIND.BAD_CONFIG, e);
    }
    const flags =
      DTE_F.V |
      (w0 & 2 ? DTE_F.TV : 0) |
      ((w1 >>> 29) & 1 ? DTE_F.IR : 0) |
      ((w1 >>> 30) & 1 ? DTE_F.IW : 0) |
      (w3 & 4 ? DTE_F.SA : 0) |
      (w3 & 1 ? DTE_F.I : 0);
    const rootPfn = (w1 & 0xfffff) * 1048576 + (w0 >>> 12);
    this.#dte.fill(devid, flags, mode, rootPfn, w2 & 0xffff);
    return -1;
  }

  #walkFault(
    req: TranslationRequest,
    out: TranslationResult,
    domainId: number,
    f: number,
    r: number,
  ): number {
    const w = this.#walk;
    switch (r) {
      case WALK.NOT_PRESENT:
        return this.#pageFault(
          req,
          out,
          domainId,
          f,
          0,
          FAULT_KIND.TRANSLATION,
          `PTE not present at level ${w.level}`,
        );
      case WALK.ABORT:
        return this.#fault(req, out, FAULT_KIND.WALK_ABORT, {
          code: AMDVI_EVENT.PAGE_TAB_HARDWARE_ERROR,
          deviceId: req.sid & 0xffff,
          domainId,
          pasid: NO_PASID,
          flags: rwFlag(req),
          address: BigInt(w.entryAddr),
          detail: `level-${w.level} table not in backed memory`,
        });
      case WALK.BAD_NEXT_LEVEL:
        return this.#pageFault(
          req,
          out,
          domainId,
          f,
          AMDVI_EVENT_FLAG.PR | AMDVI_EVENT_FLAG.RZ,
          FAULT_KIND.RESERVED_BITS,
          `PDE at level ${w.level} has NextLevel >= its own level`,
        );
      case WALK.SKIPPED_BITS:
        return this.#pageFault(
          req,
          out,
          domainId,
          f,
          AMDVI_EVENT_FLAG.PR,
          FAULT_KIND.TRANSLATION,
          `skipped IOVA bits below level ${w.level} not zero`,
        );
      case WALK.ADDRESS_SIZE:
        return this.#pageFault(
          req,
          out,
          domainId,
          f,
          0,
          FAULT_KIND.ADDRESS_SIZE,
          'IOVA wider than DTE.Mode allows',
        );
      default:
        return this.#unmodelled(
          req,
          out,
          `NextLevel-7 page size outside (level size, 512 x level size] at level ${w.level}`,
        );
    }
  }

  #pageFault(
    req: TranslationRequest,
    out: TranslationResult,
    domainId: number,
    f: number,
    flags: number,
    kind: number,
    detail: string,
  ): number {
    return this.#fault(req, out, kind, {
      code: AMDVI_EVENT.IO_PAGE_FAULT,
      deviceId: req.sid & 0xffff,
      domainId,
      pasid: NO_PASID,
      flags: flags | rwFlag(req),
      address: byteAddr(req),
      suppressed: f & DTE_F.SA ? 'DTE.SA suppresses I/O page-fault logging' : undefined,
      detail,
    });
  }

  #fault(req: TranslationRequest, out: TranslationResult, kind: number, e: RaisedEvent): number {
    out.kind = kind;
    out.archCode = e.code;
    out.outPfn = 0;
    out.perm = 0;
    this.counters.faults++;
    // The host driver learns of a fault only through the event log: report only what reached it.
    if (this.#log.record(e)) this.onFault?.(req.sid, e, req, kind);
    return kind;
  }

  #unmodelled(req: TranslationRequest, out: TranslationResult, what: string): number {
    out.kind = FAULT_KIND.NOT_MODELLED;
    out.archCode = 0;
    this.counters.faults++;
    this.#events.emit('amdvi.request.unmodelled', { unit: this.#unit, deviceId: req.sid & 0xffff, what });
    return FAULT_KIND.NOT_MODELLED;
  }
}

function passthrough(req: TranslationRequest, out: TranslationResult): number {
  out.outPfn = req.iovaPfn;
  out.perm = RW;
  return 0;
}

function rwFlag(req: TranslationRequest): number {
  return req.access & ACCESS.WRITE ? AMDVI_EVENT_FLAG.RW : 0;
}

function byteAddr(req: TranslationRequest): bigint {
  return (BigInt(req.iovaPfn) << 12n) | BigInt(req.offset);
}
