/**
 * The VT-d remapping hardware: registers, the structures it reads from
 * simulated memory, its caches, the invalidation queue and fault recording.
 * The unit (unit.ts) wraps it for the core; the driver side
 * (driver/index.ts) programs it through the methods below.
 */
import type { EventSink } from '../../core/events/event-map.js';
import type { FrameAllocator } from '../../core/memory/frame-allocator.js';
import type { PhysMemory } from '../../core/memory/phys-memory.js';
import { hex64 } from '../../core/model/hex.js';
import type { TranslationRequest, TranslationResult } from '../../core/model/translation.js';
import type { FaultReporter } from '../../core/plugin/tokens.js';
import { refillMap } from '../../core/state/stateful.js';
import type { IommuFault } from '../../core/uapi/structs.js';
import { DEFAULT_CACHE_OPTIONS, type VtdCacheOptions } from './caches/cache-options.js';
import { VtdCaches, type VtdCachesState } from './caches/vtd-caches.js';
import type { VtdCaps } from './capabilities.js';
import { isQualified, VTD_FAULT_NAME } from './fault-reasons.js';
import { type FaultInput, FaultRecorder } from './faults/fault-recorder.js';
import { uapiFaultReason } from './faults/uapi-reason.js';
import { QueuedInvalidation, type SubmitResult } from './invalidation/queued-invalidation.js';
import type { PageRequestQueue } from './page-requests/page-request-queue.js';
import { type RegisterFileState, VtdRegisterFile } from './registers/register-file.js';
import { decodeScalableContext, readWords, scalableContextAddress } from './structures/context-entry.js';
import {
  decodePasidDirEntry,
  encodePasidDirEntry,
  pasidDirIndex,
  pasidTableIndex,
} from './structures/pasid-dir-entry.js';
import { decodeScalableRoot, readEntry128, rootEntryAddress } from './structures/root-entry.js';
import { VtdTranslator } from './translate.js';

import './events.js';

/** A host (second-level) domain the unit's set-up commands or the driver created. */
export interface HostDomain {
  readonly did: number;
  /** Second-level table root, physical byte address. */
  readonly slptptr: number;
  readonly levels: 3 | 4 | 5;
  /** Address width of the SL tables: 30 + 9·(levels − 2). */
  readonly agaw: number;
  readonly nesting: boolean;
  /** Highest second-level address mapped so far (exclusive end of the last mapping). */
  maxAddr: bigint;
}

export interface VtdHardwareState {
  /** rootTable, scalable, rootSet, preferScalable, translationEnabled. */
  readonly root: readonly [number, boolean, boolean, boolean, boolean];
  readonly domains: ReadonlyMap<number, HostDomain>;
  readonly attached: ReadonlyMap<number, number>;
  /** translations, faultCount, memReads. */
  readonly totals: readonly [number, number, number];
  readonly caches: VtdCachesState;
  readonly faults: ReturnType<FaultRecorder['saveState']>;
  readonly qi: ReturnType<QueuedInvalidation['saveState']>;
  readonly regs?: RegisterFileState;
}

export interface VtdHardwareOptions {
  readonly unitId: string;
  readonly memory: PhysMemory;
  readonly frames: FrameAllocator;
  readonly caps: VtdCaps;
  readonly events: EventSink;
  readonly faults: FaultReporter;
  readonly caches?: VtdCacheOptions;
  /** Seed for the caches' random replacement. */
  readonly seed?: number;
  /** `qemu`: QEMU's register side effects (SRTP and TE toggles empty the context cache and IOTLB). */
  readonly profile?: 'default' | 'qemu';
}

export class VtdHardware {
  readonly unitId: string;
  readonly caps: VtdCaps;
  readonly memory: PhysMemory;
  readonly frames: FrameAllocator;
  readonly events: EventSink;
  readonly faults: FaultReporter;
  readonly caches: VtdCaches;
  readonly faultRecorder: FaultRecorder;
  readonly qi: QueuedInvalidation;
  /** GCMD/GSTS, RTADDR, IRTA, IQA/IQT, CCMD, IVA/IOTLB (registers/register-file.ts). */
  readonly regs: VtdRegisterFile;
  /** The page request queue (the driver makes it), for PRS/PQH/PQT reads. */
  prq: PageRequestQueue | null = null;
  readonly #translator: VtdTranslator;

  /** RTADDR: root table address and its TTM bit (true = scalable-mode root table). */
  rootTable = 0;
  scalable = false;
  /** GSTS.RTPS: a root table pointer was latched (SRTP). */
  rootSet = false;
  /** The configured mode (plugin option `mode`): what `vtd.root.set` builds by default. */
  preferScalable = true;
  /** `qemu`: SRTP and TE toggles reset the caches as QEMU's vtd_reset_caches does; `default`: the spec (no flush). */
  readonly profile: 'default' | 'qemu';
  #te = false;

  /** GSTS.TES: translation enabled. Toggling it flushes nothing unless the profile is `qemu`. */
  get translationEnabled(): boolean {
    return this.#te;
  }

  set translationEnabled(on: boolean) {
    if (on !== this.#te && this.profile === 'qemu') this.resetCaches('te');
    this.#te = on;
  }

  /** Host domains by DID; the device attachments by SID. */
  readonly domains = new Map<number, HostDomain>();
  readonly attached = new Map<number, number>();

  /** Counters reported by stats(). */
  translations = 0;
  faultCount = 0;
  memReads = 0;

  constructor(o: VtdHardwareOptions) {
    this.unitId = o.unitId;
    this.caps = o.caps;
    this.memory = o.memory;
    this.frames = o.frames;
    this.events = o.events;
    this.faults = o.faults;
    this.caches = new VtdCaches(o.caches ?? DEFAULT_CACHE_OPTIONS, o.seed ?? 1);
    this.profile = o.profile ?? 'default';
    this.faultRecorder = new FaultRecorder(o.caps.nfr);
    this.qi = new QueuedInvalidation(this);
    this.regs = new VtdRegisterFile(this);
    this.#translator = new VtdTranslator(this);
  }

  /** Registers, domains, caches, the queue and the fault registers, for snapshots. */
  saveState(): VtdHardwareState {
    return {
      root: [this.rootTable, this.scalable, this.rootSet, this.preferScalable, this.#te],
      domains: this.domains,
      attached: this.attached,
      totals: [this.translations, this.faultCount, this.memReads],
      caches: this.caches.saveState(),
      faults: this.faultRecorder.saveState(),
      qi: this.qi.saveState(),
      regs: this.regs.saveState(),
    };
  }

  loadState(s: VtdHardwareState): void {
    let te: boolean;
    [this.rootTable, this.scalable, this.rootSet, this.preferScalable, te] = s.root;
    this.#te = te;
    refillMap(this.domains, s.domains, (d) => ({ ...d }));
    refillMap(this.attached, s.attached);
    [this.translations, this.faultCount, this.memReads] = s.totals;
    this.caches.loadState(s.caches);
    this.faultRecorder.loadState(s.faults);
    this.qi.loadState(s.qi);
    if (s.regs !== undefined) this.regs.loadState(s.regs);
  }

  /** Translates one DMA request (hot path): fills `out`, returns its FAULT_KIND. */
  translate(req: TranslationRequest, out: TranslationResult): number {
    return this.#translator.translate(req, out);
  }

  /**
   * Latches a root table (GCMD.SRTP). By the spec this invalidates nothing: software must flush
   * the context cache; the `qemu` profile empties the context cache and the IOTLB, as QEMU does.
   */
  setRootTable(pa: number, scalable: boolean): void {
    if (scalable && !this.caps.smts) throw new RangeError('root table: scalable mode needs ECAP.SMTS');
    if (this.profile === 'qemu') this.resetCaches('srtp');
    this.rootTable = pa;
    this.scalable = scalable;
    this.rootSet = true;
  }

  /**
   * Empties the context, PASID and IOTLB caches (with the paging-structure caches), as QEMU's
   * vtd_reset_caches does on SRTP, a TE toggle or a device reset. Returns the entries dropped.
   */
  resetCaches(why: string): number {
    const c = this.caches;
    const ctx = c.contextGlobal();
    const pasid = c.pasidGlobal();
    const iotlb = c.iotlbGlobal();
    // Only caches that held something report it (a reset of empty caches, as at set-up, is silent).
    const emit = (cache: string, entries: number): void => {
      if (entries === 0) return;
      this.events.emit('vtd.cache.invalidated', {
        unit: this.unitId,
        cache,
        granularity: `reset-${why}`,
        did: null,
        pasid: null,
        sid: null,
        addr: null,
        pages: null,
        entries,
      });
    };
    emit('context', ctx);
    emit('pasid', pasid);
    emit('iotlb', iotlb);
    return ctx + pasid + iotlb;
  }

  /**
   * Runs queued-invalidation descriptors (128-bit: 2 qwords, 256-bit: 4 qwords)
   * in order. A bad descriptor sets FSTS.IQE and stops the queue there.
   */
  submitDescriptors(descs: readonly (readonly bigint[])[]): SubmitResult {
    if (!this.regs.qies)
      return {
        processed: 0,
        error: { index: 0, reason: 'queued invalidation is disabled (GSTS.QIES clear)' },
      };
    if (!this.qi.iqe) this.regs.tail = this.qi.head + descs.length;
    return this.qi.submit(descs);
  }

  /**
   * Scalable mode: the physical address of the PASID-table entry of (sid,
   * pasid), walking root -> context -> PASID directory. With `allocate`, a
   * missing PASID table is allocated and its directory entry made present.
   * Undefined when the unit is not in scalable mode, the root or context entry
   * is not present, or the PASID lies beyond the directory.
   */
  pasidEntryAddress(sid: number, pasid: number, allocate: boolean): number | undefined {
    if (!this.scalable || !this.rootSet || pasid < 0 || pasid >= 1 << 20) return undefined;
    const root = readEntry128(this.memory, rootEntryAddress(this.rootTable, sid >>> 8));
    if (root === undefined) return undefined;
    const r = decodeScalableRoot(root);
    const devfn = sid & 0xff;
    const upper = devfn >= 128;
    if (!(upper ? r.UP : r.LP)) return undefined;
    const ctp = Number(upper ? r.UCTP : r.LCTP);
    const ce = readWords(this.memory, scalableContextAddress(ctp, devfn), 4);
    if (ce === undefined) return undefined;
    const ctx = decodeScalableContext(ce);
    if (!ctx.P) return undefined;
    const dirIndex = pasidDirIndex(pasid);
    if (dirIndex >= 2 ** (ctx.PDTS + 7)) return undefined;
    const dirPa = Number(ctx.PASIDDIRPTR) + 8 * dirIndex;
    const raw = this.memory.read64(dirPa);
    if (raw === undefined) return undefined;
    const de = decodePasidDirEntry(raw);
    let table = Number(de.SMPTBLPTR);
    if (!de.P) {
      if (!allocate) return undefined;
      table = this.frames.alloc(1);
      this.memory.write64(dirPa, encodePasidDirEntry({ P: true, FPD: de.FPD, SMPTBLPTR: BigInt(table) }));
    }
    return table + 64 * pasidTableIndex(pasid);
  }

  /** The host domain a device is attached to (set-up commands), if any. */
  hostDomainOf(sid: number): HostDomain | undefined {
    const did = this.attached.get(sid);
    return did === undefined ? undefined : this.domains.get(did);
  }

  /**
   * Records a fault (VT-d 7.2): honours FPD for qualified faults, applies
   * compression and overflow, and reports recorded faults to the host as
   * unrecoverable iommu_fault events. Returns true when recorded.
   */
  recordFault(f: FaultInput, fpd: boolean): boolean {
    this.faultCount++;
    if (fpd && isQualified(f.reason)) {
      this.events.emit('vtd.fault.dropped', { unit: this.unitId, reason: f.reason, sid: f.sid, why: 'fpd' });
      return false;
    }
    const res = this.faultRecorder.record(f, this.qi.iqe);
    if (!res.recorded) {
      this.events.emit('vtd.fault.dropped', {
        unit: this.unitId,
        reason: f.reason,
        sid: f.sid,
        why: res.why,
      });
      return false;
    }
    const addr = BigInt(f.pfn) << 12n;
    this.events.emit('vtd.fault.recorded', {
      unit: this.unitId,
      index: res.index,
      reason: f.reason,
      reasonName: VTD_FAULT_NAME.get(f.reason) ?? 'UNKNOWN',
      sid: f.sid,
      pasid: f.pasid < 0 ? null : f.pasid,
      addr: hex64(addr),
      write: f.write,
      exec: f.exec,
      priv: f.priv,
    });
    const perm = (f.write ? 2 : 1) | (f.exec ? 4 : 0) | (f.priv ? 8 : 0);
    const fault: IommuFault = {
      type: 1,
      padding: 0,
      event: {
        reason: uapiFaultReason(f.reason),
        flags: (f.pasid >= 0 ? 1 : 0) | 2,
        pasid: Math.max(f.pasid, 0),
        perm,
        addr,
        fetch_addr: 0n,
      },
      prm: { flags: 0, pasid: 0, grpid: 0, perm: 0, addr: 0n, private_data: [0n, 0n] },
    };
    this.faults.report(f.sid, fault);
    return true;
  }
}
