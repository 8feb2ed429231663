/**
 * "flat": the smallest complete plugin. A one-level map from input page to
 * output page per PASID, a tiny direct-mapped cache, every UAPI vendor op
 * answered, page requests forwarded as iommu_fault events. It proves the
 * contract and the routing in core tests, and it is the shape
 * `viommu plugin new` starts a plugin from.
 */

import { type CacheCounters, emptyCounters } from '../cache/stats.js';
import { type CommandsOf, defineCommand } from '../command/catalog.js';
import { addr, int, pages, str } from '../command/field.js';
import type { EventSink } from '../events/event-map.js';
import { TranslationMeter } from '../metrics/translation-meter.js';
import { hex64 } from '../model/hex.js';
import { FAULT_KIND, type TranslationRequest, type TranslationResult } from '../model/translation.js';
import {
  CONTRACT_VERSION,
  type DeviceConfig,
  type IommuUnit,
  type JsonObject,
  type JsonValue,
  type PageRequestInput,
  type UnitCapabilities,
  type UnitStats,
} from '../plugin/contract.js';
import { definePlugin } from '../plugin/define-plugin.js';
import { instanceCachingFactory } from '../plugin/di.js';
import { type FaultReporter, resolve, TOKENS } from '../plugin/tokens.js';
import { copyInto, refillMap } from '../state/stateful.js';
import { type ErrnoCode, fail, ok, type UapiResult } from '../uapi/errno.js';
import type { IommuFault } from '../uapi/structs.js';
import type { VendorOps } from '../uapi/vendor-ops.js';

declare module '../events/event-map.js' {
  interface SimEventMap {
    'flat.op.called': { op: string; device: string; detail: JsonObject };
    'flat.fault.recorded': { sid: number; pasid: number; iova: string; access: number };
  }
}

export interface FlatOptions {
  /** Entries of the direct-mapped cache (a power of two). */
  readonly cacheEntries: number;
  /** When true the vendor ops are absent, as on a v5.10 driver without nesting support. */
  readonly noUapi: boolean;
}

const ABSENT = -1;

interface FlatState {
  readonly table: ReadonlyMap<number, number>;
  readonly cacheKey: Float64Array;
  readonly cacheVal: Float64Array;
  readonly counters: CacheCounters;
  readonly totals: readonly [number, number, number];
  /** Flushes, then the TranslationMeter state. */
  readonly meter: readonly number[];
}

export class FlatUnit implements IommuUnit {
  readonly id: string;
  readonly plugin = 'flat';
  readonly ops: VendorOps;
  readonly #events: EventSink;
  readonly #faults: FaultReporter;
  /** (pasid+1) * 2^40 + vpn -> out pfn * 8 + perm; a Map is fine for a test plugin. */
  readonly #table = new Map<number, number>();
  readonly #cacheKey: Float64Array;
  readonly #cacheVal: Float64Array;
  readonly #counters: CacheCounters;
  #translations = 0;
  #faultCount = 0;
  #memReads = 0;
  #flushes = 0;
  readonly #meter = new TranslationMeter();

  constructor(id: string, events: EventSink, faults: FaultReporter, options: FlatOptions) {
    this.id = id;
    this.#events = events;
    this.#faults = faults;
    this.#cacheKey = new Float64Array(options.cacheEntries).fill(ABSENT);
    this.#cacheVal = new Float64Array(options.cacheEntries);
    this.#counters = emptyCounters(options.cacheEntries);
    this.ops = options.noUapi ? {} : this.#vendorOps();
  }

  capabilities(): UnitCapabilities {
    const uapi = Object.keys(this.ops).length > 0;
    return {
      arch: 'flat',
      profile: 'v5.10',
      pasidBits: 20,
      cacheInvalidation: uapi ? [{ cache: 'iotlb', granularities: ['domain', 'pasid', 'addr'] }] : [],
      bindFormats: uapi ? [1] : [],
      pageRequests: true,
      nested: false,
      ats: false,
      caches: ['tlb'],
      notModelled: ['real hardware: this is a test plugin'],
    };
  }

  addDevice(_device: DeviceConfig): ErrnoCode {
    return 0;
  }

  translate(req: TranslationRequest, out: TranslationResult): number {
    const kind = this.#translate(req, out);
    this.#meter.count(kind, out);
    return kind;
  }

  #translate(req: TranslationRequest, out: TranslationResult): number {
    this.#translations++;
    const key = (req.pasid + 1) * 2 ** 40 + req.iovaPfn;
    const slot = req.iovaPfn & (this.#cacheKey.length - 1);
    this.#counters.lookups++;
    let v: number | undefined;
    if (this.#cacheKey[slot] === key) {
      this.#counters.hits++;
      out.hit = true;
      v = this.#cacheVal[slot]!;
    } else {
      this.#counters.misses++;
      this.#memReads++;
      out.memReads = 1;
      v = this.#table.get(key);
      if (v !== undefined) {
        if (this.#cacheKey[slot] !== ABSENT) this.#counters.evictions++;
        this.#cacheKey[slot] = key;
        this.#cacheVal[slot] = v;
        this.#counters.fills++;
      }
    }
    out.offset = req.offset;
    if (v === undefined) return this.#fault(req, out, FAULT_KIND.TRANSLATION);
    const perm = v % 8;
    out.perm = perm;
    if ((req.access & 7 & ~perm) !== 0) return this.#fault(req, out, FAULT_KIND.PERMISSION);
    out.outPfn = Math.floor(v / 8);
    out.pageShift = 12;
    return 0;
  }

  saveState(): FlatState {
    return {
      table: this.#table,
      cacheKey: this.#cacheKey,
      cacheVal: this.#cacheVal,
      counters: this.#counters,
      totals: [this.#translations, this.#faultCount, this.#memReads],
      meter: [this.#flushes, ...this.#meter.saveState()],
    };
  }

  loadState(state: unknown): void {
    const s = state as FlatState;
    refillMap(this.#table, s.table);
    copyInto(this.#cacheKey, s.cacheKey, 'flat cache keys');
    copyInto(this.#cacheVal, s.cacheVal, 'flat cache values');
    Object.assign(this.#counters, s.counters);
    [this.#translations, this.#faultCount, this.#memReads] = s.totals;
    this.#flushes = s.meter[0] ?? 0;
    this.#meter.loadState(s.meter.slice(1));
  }

  #fault(req: TranslationRequest, out: TranslationResult, kind: number): number {
    this.#faultCount++;
    out.kind = kind;
    out.archCode = kind;
    const iova = hex64(BigInt(req.iovaPfn) * 4096n + BigInt(req.offset));
    this.#events.emit('flat.fault.recorded', { sid: req.sid, pasid: req.pasid, iova, access: req.access });
    this.#faults.report(req.sid, unrecoverable(req, kind));
    return kind;
  }

  pageRequest(device: DeviceConfig, req: PageRequestInput): ErrnoCode {
    const fault = blankFault();
    fault.type = 2; // IOMMU_FAULT_PAGE_REQ
    fault.prm.flags =
      (req.pasid !== null ? 0x1 | 0x8 : 0) | (req.last ? 0x2 : 0) | (req.privateData ? 0x4 : 0);
    fault.prm.pasid = req.pasid ?? 0;
    fault.prm.grpid = req.grpid;
    fault.prm.perm = (req.read ? 1 : 0) | (req.write ? 2 : 0) | (req.exec ? 4 : 0) | (req.priv ? 8 : 0);
    fault.prm.addr = req.addr;
    if (req.privateData) fault.prm.private_data = [req.privateData[0], req.privateData[1]];
    return this.#faults.report(device.sid, fault);
  }

  /** Maps `pages` pages from `iovaPfn` to `outPfn` under `pasid` (-1: none). */
  map(pasid: number, iovaPfn: number, outPfn: number, pages: number, perm: number): void {
    for (let i = 0; i < pages; i++)
      this.#table.set((pasid + 1) * 2 ** 40 + iovaPfn + i, (outPfn + i) * 8 + perm);
  }

  unmap(pasid: number, iovaPfn: number): void {
    this.#table.delete((pasid + 1) * 2 ** 40 + iovaPfn);
  }

  flush(): void {
    this.#flushes++;
    this.#counters.invalidated += this.#cacheKey.filter((k) => k !== ABSENT).length;
    this.#cacheKey.fill(ABSENT);
  }

  stats(): UnitStats {
    return {
      ...this.#ownStats(),
      walks: this.#meter.walks,
      faultsByKind: this.#meter.faultsByKind(),
      invalidations: { 'iotlb.global': this.#flushes },
    };
  }

  #ownStats(): UnitStats {
    return {
      translations: this.#translations,
      faults: this.#faultCount,
      memReads: this.#memReads,
      caches: { tlb: { ...this.#counters } },
    };
  }

  digestState(): JsonValue {
    const entries = [...this.#table.entries()].sort((a, b) => a[0] - b[0]);
    return { table: entries.map(([k, v]) => [k, v]), stats: this.#ownStats() as unknown as JsonValue };
  }

  #vendorOps(): VendorOps {
    const note = (op: string, device: string, detail: JsonObject): ErrnoCode => {
      this.#events.emit('flat.op.called', { op, device, detail });
      return 0;
    };
    return {
      cacheInvalidate: (call, info) => {
        this.flush();
        return note('cache_invalidate', call.device.name, {
          argsz: info.argsz,
          cache: info.cache,
          granularity: info.granularity,
        });
      },
      bindGpasid: (call, data) =>
        note('bind', call.device.name, { hpasid: hex64(data.hpasid), argsz: data.argsz }),
      unbindGpasid: (call, pasid) => note('unbind', call.device.name, { pasid }),
      pageResponse: (call, pending, msg) =>
        note('page_response', call.device.name, {
          grpid: pending.prm.grpid,
          code: msg.code,
          pasid: msg.pasid,
        }),
    };
  }
}

function blankFault(): IommuFault {
  return {
    type: 0,
    padding: 0,
    event: { reason: 0, flags: 0, pasid: 0, perm: 0, addr: 0n, fetch_addr: 0n },
    prm: { flags: 0, pasid: 0, grpid: 0, perm: 0, addr: 0n, private_data: [0n, 0n] },
  };
}

function unrecoverable(req: TranslationRequest, kind: number): IommuFault {
  const f = blankFault();
  f.type = 1; // IOMMU_FAULT_DMA_UNRECOV
  f.event.reason = kind === FAULT_KIND.PERMISSION ? 6 : 5; // PERMISSION, PTE_FETCH
  f.event.flags = 0x2 | (req.pasid >= 0 ? 0x1 : 0);
  f.event.pasid = Math.max(req.pasid, 0);
  f.event.perm = req.access;
  f.event.addr = BigInt(req.iovaPfn) * 4096n;
  return f;
}

const FLAT_OPTIONS = ['cacheEntries', 'noUapi'];

/** Parses a scenario's options for flat; throws RangeError/TypeError naming the field. */
function parseFlatOptions(raw: JsonObject | undefined): FlatOptions {
  // An unknown name is refused, so a typo cannot silently run with the default.
  for (const k of Object.keys(raw ?? {})) {
    if (!FLAT_OPTIONS.includes(k)) {
      throw new RangeError(`flat options: unknown option "${k}" (known: ${FLAT_OPTIONS.join(', ')})`);
    }
  }
  const entries = raw?.cacheEntries ?? 64;
  if (typeof entries !== 'number' || entries < 1 || (entries & (entries - 1)) !== 0) {
    throw new RangeError(
      `flat options.cacheEntries: expected a power of two, got ${JSON.stringify(entries)}`,
    );
  }
  const noUapi = raw?.noUapi ?? false;
  if (typeof noUapi !== 'boolean')
    throw new TypeError(`flat options.noUapi: expected a boolean, got ${JSON.stringify(noUapi)}`);
  return { cacheEntries: entries, noUapi };
}

const pasidField = int(-1, 0xfffff).describe('the PASID the mapping is under; -1 for none').def(-1);

/** The flat unit's commands. */
export const FLAT_COMMANDS = [
  defineCommand('flat.map', {
    doc: 'Maps `pages` consecutive pages from iova to pa (no cache invalidation); answers the page count.',
    fields: {
      iova: addr().describe('first input address (its page)'),
      pa: addr().describe('first output address (its page)'),
      pages: pages().def(1),
      perm: int(0, 7).describe('permission bits: 1 read, 2 write, 4 execute').def(3),
      pasid: pasidField,
    },
    handler: (u: FlatUnit, d) => {
      u.map(d.pasid, Math.floor(d.iova / 4096), Math.floor(d.pa / 4096), d.pages, d.perm);
      return ok(d.pages);
    },
  }),
  defineCommand('flat.unmap', {
    doc: 'Removes the mapping of one page (no cache invalidation).',
    fields: { iova: addr().describe('an address in the page'), pasid: pasidField },
    handler: (u: FlatUnit, d) => {
      u.unmap(d.pasid, Math.floor(d.iova / 4096));
      return ok(null);
    },
  }),
  defineCommand('flat.tlb.flush', {
    doc: 'Drops every cached translation.',
    fields: {},
    handler: (u: FlatUnit) => {
      u.flush();
      return ok(null);
    },
  }),
  defineCommand('flat.crash.now', {
    doc: 'Throws `message`, as a buggy plugin would (tests the plugin-error path); without it, EINVAL.',
    fields: { message: str().describe('the exception message').opt() },
    handler: (_u: FlatUnit, d): UapiResult<JsonValue> => {
      if (d.message === undefined) return fail('EINVAL', 'flat.crash.now: needs "message"');
      throw new Error(`flat: ${d.message}`);
    },
  }),
];

declare module '../command/catalog.js' {
  interface CommandMap extends CommandsOf<typeof FLAT_COMMANDS> {}
}

export const flatPlugin = definePlugin<FlatOptions, FlatUnit>({
  meta: {
    name: 'flat',
    version: '0.1.0',
    contractVersion: CONTRACT_VERSION,
    description: 'A one-level test IOMMU',
  },
  commands: FLAT_COMMANDS,
  parseOptions: parseFlatOptions,
  register(container, options) {
    container.register(TOKENS.Unit, {
      useFactory: instanceCachingFactory(
        (c) =>
          new FlatUnit(
            resolve(c, TOKENS.UnitIdentity).id,
            resolve(c, TOKENS.Events),
            resolve(c, TOKENS.Faults),
            options,
          ),
      ),
    });
  },
});
