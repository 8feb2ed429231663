/**
 * One AMD-Vi IOMMU (implements IommuUnit). It owns the register file, the
 * DTE cache and IOTLB, the event log and the command buffer; translate() is
 * the translator's hot path, command() the set-up and driver interface.
 */

import type { EventSink } from '../../core/events/event-map.js';
import type { FrameAllocator } from '../../core/memory/frame-allocator.js';
import type { PhysMemory } from '../../core/memory/phys-memory.js';
import { TranslationMeter } from '../../core/metrics/translation-meter.js';
import { FAULT_KIND, type TranslationRequest, type TranslationResult } from '../../core/model/translation.js';
import type {
  DeviceConfig,
  IommuUnit,
  JsonObject,
  JsonValue,
  PageRequestInput,
  UnitCapabilities,
  UnitStats,
} from '../../core/plugin/contract.js';
import type { FaultReporter } from '../../core/plugin/tokens.js';
import type { SimClock } from '../../core/sim/clock.js';
import type { SeededRng } from '../../core/sim/rng.js';
import { refillMap } from '../../core/state/stateful.js';
import type { ErrnoCode } from '../../core/uapi/errno.js';
import type { VendorOps } from '../../core/uapi/vendor-ops.js';
import { V1TableBuilder } from './builders.js';
import { AmdviIotlb, DteCache } from './caches.js';
import { amdviCapabilities } from './capabilities.js';
import { EventLog } from './event-log.js';
import { eventName } from './faults.js';
import { CommandExecutor } from './invalidation.js';
import type { AmdviOptions } from './options.js';
import { AmdviRegisters } from './registers.js';
import { AmdviTranslator, type TranslateCounters } from './translate.js';
import { amdviOps, reportProposedFault } from './uapi.js';

export interface AmdviServices {
  readonly id: string;
  readonly memory: PhysMemory;
  readonly frames: FrameAllocator;
  readonly rng: SeededRng;
  readonly clock: SimClock;
  readonly events: EventSink;
  readonly faults: FaultReporter;
}

interface AmdviState {
  readonly regs: { readonly raw: AmdviRegisters['raw']; readonly fields: object };
  readonly dte: ReturnType<DteCache['saveState']>;
  readonly iotlb: ReturnType<AmdviIotlb['saveState']>;
  readonly raised: ReadonlyMap<number, number>;
  readonly executed: ReadonlyMap<string, number>;
  readonly counters: TranslateCounters;
  /** TranslationMeter state: walks, faults by kind. */
  readonly meter: readonly number[];
  /** [mode, root page frame] of each table made by amdvi.pagetable.create. */
  readonly tables: readonly (readonly [number, number])[];
}

export class AmdviUnit implements IommuUnit {
  readonly #meter = new TranslationMeter();
  readonly id: string;
  readonly plugin = 'amdvi';
  readonly ops: VendorOps;
  readonly options: AmdviOptions;
  readonly mem: PhysMemory;
  readonly frames: FrameAllocator;
  readonly events: EventSink;
  readonly regs = new AmdviRegisters();
  readonly dte = new DteCache();
  readonly iotlb: AmdviIotlb;
  readonly log: EventLog;
  readonly exec: CommandExecutor;
  readonly translator: AmdviTranslator;
  /** Page tables made by amdvi.pagetable.create, by root address. */
  readonly tables = new Map<number, V1TableBuilder>();
  readonly devices = new Map<number, DeviceConfig>();

  constructor(s: AmdviServices, options: AmdviOptions) {
    this.id = s.id;
    this.options = options;
    this.mem = s.memory;
    this.frames = s.frames;
    this.events = s.events;
    this.iotlb = new AmdviIotlb(options.iotlb, s.rng);
    this.log = new EventLog(s.id, s.memory, this.regs, s.events);
    this.exec = new CommandExecutor(s.id, s.memory, this.regs, this.dte, this.iotlb, this.log, s.events);
    this.translator = new AmdviTranslator(
      s.id,
      s.memory,
      this.regs,
      this.dte,
      this.iotlb,
      this.log,
      s.events,
    );
    this.ops = amdviOps(options.profile, s.memory, this.regs, this.exec);
    if (options.profile === 'proposed') {
      const faults = s.faults;
      this.translator.onFault = (sid, e, req, kind) =>
        reportProposedFault(faults, sid, e, req, kind === FAULT_KIND.ADDRESS_SIZE);
    }
  }

  capabilities(): UnitCapabilities {
    return amdviCapabilities(this.options.profile, 'iotlb');
  }

  /** DeviceIDs are 16 bits (bus << 8 | devfn); anything wider cannot index the device table. */
  addDevice(device: DeviceConfig): ErrnoCode {
    if (!Number.isInteger(device.sid) || device.sid < 0 || device.sid > 0xffff) return 'EINVAL';
    this.devices.set(device.sid, device);
    return 0;
  }

  translate(req: TranslationRequest, out: TranslationResult): number {
    const kind = this.translator.translate(req, out);
    this.#meter.count(kind, out);
    return kind;
  }

  /** No PPR log is modelled (EFR.PPRSup = 0). */
  pageRequest(_device: DeviceConfig, _req: PageRequestInput): ErrnoCode {
    return 'ENODEV';
  }

  stats(): UnitStats {
    return { ...this.#ownStats(), walks: this.#meter.walks, faultsByKind: this.#meter.faultsByKind() };
  }

  #ownStats(): UnitStats {
    const c = this.translator.counters;
    return {
      translations: c.translations,
      faults: c.faults,
      memReads: c.memReads,
      caches: { iotlb: this.iotlb.counters(), dte: this.dte.counters() },
    };
  }

  /** Registers, caches, counters and the page tables made by commands, for snapshots. */
  saveState(): AmdviState {
    const { raw, ...fields } = this.regs;
    return {
      regs: { raw, fields },
      dte: this.dte.saveState(),
      iotlb: this.iotlb.saveState(),
      raised: this.log.raised,
      executed: this.exec.executed,
      counters: { ...this.translator.counters },
      meter: this.#meter.saveState(),
      tables: [...this.tables.values()].map((b) => [b.mode, b.rootPfn]),
    };
  }

  loadState(state: unknown): void {
    const s = state as AmdviState;
    for (const [name, v] of s.regs.raw) this.regs.raw.set(name, v);
    Object.assign(this.regs, s.regs.fields);
    this.dte.loadState(s.dte);
    this.iotlb.loadState(s.iotlb);
    refillMap(this.log.raised, s.raised);
    refillMap(this.exec.executed, s.executed);
    Object.assign(this.translator.counters, s.counters);
    this.#meter.loadState(s.meter);
    this.tables.clear();
    for (const [mode, rootPfn] of s.tables) {
      this.tables.set(rootPfn * 4096, new V1TableBuilder(this.mem, this.frames, mode, rootPfn));
    }
  }

  digestState(): JsonValue {
    const count = (
      m: Map<string | number, number>,
      name: (k: string | number) => string,
    ): { [k: string]: number } => {
      const out: { [k: string]: number } = {};
      for (const k of [...m.keys()].sort()) out[name(k)] = m.get(k)!;
      return out;
    };
    return {
      profile: this.options.profile,
      registers: this.regs.dump(),
      // The counters as before the common metrics (walks, faults by kind), so digests keep their values.
      stats: { ...this.#ownStats() } as unknown as JsonValue,
      events: count(this.log.raised as Map<string | number, number>, (k) => eventName(Number(k))),
      commands: count(this.exec.executed as Map<string | number, number>, String),
      iotlb: this.iotlb.cache.liveEntries().map((e) => [e.ctx, e.vpn, e.size, e.outPage, e.perm, e.aux0]),
    };
  }
}

/** Which AMD-Vi events are one invalidation, in core/metrics' scope names. */
export function amdviInvalidationScope(type: string, data: JsonObject): string | null {
  if (type === 'amdvi.iotlb.invalidated') {
    if (data.domainId === null) return 'iotlb.global';
    if (data.pages === 'all') return data.pasid === null ? 'iotlb.domain' : 'iotlb.pasid';
    return 'iotlb.page';
  }
  if (type === 'amdvi.completion.signalled') return 'sync';
  if (type === 'amdvi.dte.invalidated') return data.deviceId === null ? 'context.global' : 'context.device';
  return null;
}
