/**
 * The __NAME__ unit. Its one page table is an array of 64-bit entries in
 * simulated memory, indexed by input page number:
 *   bit 0 present, bit 1 readable, bit 2 writable, bits 63:12 output page.
 * A direct-mapped TLB caches entries until invalidated, so a missing
 * invalidation is observable, as on real hardware.
 */
import {
  type CacheCounters,
  copyInto,
  type DeviceConfig,
  type ErrnoCode,
  type EventSink,
  emptyCounters,
  FAULT_KIND,
  type IommuUnit,
  type JsonValue,
  type PageRequestInput,
  type PhysMemory,
  type TranslationRequest,
  type TranslationResult,
  type UnitCapabilities,
  type UnitStats,
  type VendorOps,
} from '__API__';

declare module '__API__' {
  interface SimEventMap {
    '__NAME__.fault.recorded': { sid: number; vpn: number; kind: number };
  }
}

export interface __CLASS__Options {
  readonly tableEntries: number;
  readonly tlbEntries: number;
}

/** The architecture's own fault codes (make these your spec's names). */
export const __UPPER___FAULT = {
  NOT_PRESENT: 1,
  NO_PERMISSION: 2,
  OUT_OF_RANGE: 3,
  NO_TABLE: 4,
} as const;

export class __CLASS__Unit implements IommuUnit {
  readonly id: string;
  readonly plugin = '__NAME__';
  /** No UAPI vendor ops: the core answers ENODEV, as v5.10 did for drivers without nesting. */
  readonly ops: VendorOps = {};
  readonly #memory: PhysMemory;
  readonly #events: EventSink;
  readonly #options: __CLASS__Options;
  #tableBase = -1;
  readonly #tlbVpn: Float64Array;
  readonly #tlbOut: Float64Array;
  readonly #tlbPerm: Uint8Array;
  readonly #tlb: CacheCounters;
  #translations = 0;
  #faults = 0;
  #memReads = 0;

  constructor(id: string, memory: PhysMemory, events: EventSink, options: __CLASS__Options) {
    this.id = id;
    this.#memory = memory;
    this.#events = events;
    this.#options = options;
    this.#tlbVpn = new Float64Array(options.tlbEntries).fill(-1);
    this.#tlbOut = new Float64Array(options.tlbEntries);
    this.#tlbPerm = new Uint8Array(options.tlbEntries);
    this.#tlb = emptyCounters(options.tlbEntries);
  }

  capabilities(): UnitCapabilities {
    return {
      arch: '__NAME__',
      profile: 'v5.10',
      pasidBits: 0,
      cacheInvalidation: [],
      bindFormats: [],
      pageRequests: false,
      nested: false,
      ats: false,
      caches: ['tlb'],
      notModelled: ['PASIDs', 'page requests', 'UAPI vendor ops (ENODEV)'],
    };
  }

  addDevice(_device: DeviceConfig): ErrnoCode {
    return 0;
  }

  translate(req: TranslationRequest, out: TranslationResult): number {
    this.#translations++;
    out.offset = req.offset;
    const vpn = req.iovaPfn;
    const slot = vpn & (this.#options.tlbEntries - 1);
    this.#tlb.lookups++;
    let perm: number;
    if (this.#tlbVpn[slot] === vpn) {
      this.#tlb.hits++;
      out.hit = true;
      out.outPfn = this.#tlbOut[slot]!;
      perm = this.#tlbPerm[slot]!;
    } else {
      this.#tlb.misses++;
      if (this.#tableBase < 0) {
        return this.#fault(req, out, FAULT_KIND.BAD_CONFIG, __UPPER___FAULT.NO_TABLE);
      }
      if (vpn >= this.#options.tableEntries) {
        return this.#fault(req, out, FAULT_KIND.ADDRESS_SIZE, __UPPER___FAULT.OUT_OF_RANGE);
      }
      const pa = this.#tableBase + vpn * 8;
      const page = this.#memory.page(Math.floor(pa / 4096));
      out.memReads++;
      this.#memReads++;
      if (page === undefined) {
        return this.#fault(req, out, FAULT_KIND.WALK_ABORT, __UPPER___FAULT.NO_TABLE);
      }
      const i = (pa % 4096) >>> 2;
      const lo = page[i]!;
      const hi = page[i + 1]!;
      if ((lo & 1) === 0) {
        return this.#fault(req, out, FAULT_KIND.TRANSLATION, __UPPER___FAULT.NOT_PRESENT);
      }
      perm = ((lo >>> 1) & 1) | (((lo >>> 2) & 1) << 1);
      out.outPfn = hi * 2 ** 20 + (lo >>> 12);
      if (this.#tlbVpn[slot] !== -1) this.#tlb.evictions++;
      this.#tlbVpn[slot] = vpn;
      this.#tlbOut[slot] = out.outPfn;
      this.#tlbPerm[slot] = perm;
      this.#tlb.fills++;
    }
    out.perm = perm;
    out.pageShift = 12;
    if ((req.access & 3 & ~perm) !== 0) {
      return this.#fault(req, out, FAULT_KIND.PERMISSION, __UPPER___FAULT.NO_PERMISSION);
    }
    return 0;
  }

  #fault(req: TranslationRequest, out: TranslationResult, kind: number, code: number): number {
    this.#faults++;
    out.kind = kind;
    out.archCode = code;
    this.#events.emit('__NAME__.fault.recorded', {
      sid: req.sid,
      vpn: req.iovaPfn,
      kind: code,
    });
    return kind;
  }

  pageRequest(_device: DeviceConfig, _req: PageRequestInput): ErrnoCode {
    return 'ENODEV';
  }

  /** Points the unit at its page table (the __NAME__.table.set command). */
  setTable(base: number): void {
    this.#tableBase = base;
  }

  /** Writes the entry of input page `vpn` (no TLB invalidation). */
  setPte(vpn: number, outPfn: number, write: boolean): void {
    const entry = (BigInt(outPfn) << 12n) | (write ? 0b111n : 0b011n);
    this.#memory.write64(this.#tableBase + vpn * 8, entry);
  }

  clearPte(vpn: number): void {
    this.#memory.write64(this.#tableBase + vpn * 8, 0n);
  }

  /** Drops every TLB entry; returns how many were live. */
  invalidateTlb(): number {
    const live = this.#tlbVpn.filter((v) => v !== -1).length;
    this.#tlbVpn.fill(-1);
    this.#tlb.invalidated += live;
    return live;
  }

  stats(): UnitStats {
    return {
      translations: this.#translations,
      faults: this.#faults,
      memReads: this.#memReads,
      caches: { tlb: { ...this.#tlb } },
    };
  }

  /** The state checkpoints digest (core.state.digested): JSON-safe, stable key order. */
  digestState(): JsonValue {
    return {
      tableBase: this.#tableBase,
      tlb: Array.from(this.#tlbVpn),
      stats: this.stats() as unknown as JsonValue,
    };
  }

  /** Everything the next command can observe, for snapshots (viommu replay --from). Add each new field here. */
  saveState(): __CLASS__State {
    return {
      tableBase: this.#tableBase,
      tlb: [this.#tlbVpn, this.#tlbOut, this.#tlbPerm],
      counters: this.#tlb,
      totals: [this.#translations, this.#faults, this.#memReads],
    };
  }

  loadState(state: unknown): void {
    const s = state as __CLASS__State;
    this.#tableBase = s.tableBase;
    copyInto(this.#tlbVpn, s.tlb[0], 'tlb vpn');
    copyInto(this.#tlbOut, s.tlb[1], 'tlb out');
    copyInto(this.#tlbPerm, s.tlb[2], 'tlb perm');
    Object.assign(this.#tlb, s.counters);
    [this.#translations, this.#faults, this.#memReads] = s.totals;
  }
}

interface __CLASS__State {
  readonly tableBase: number;
  readonly tlb: readonly [Float64Array, Float64Array, Uint8Array];
  readonly counters: CacheCounters;
  readonly totals: readonly [number, number, number];
}
