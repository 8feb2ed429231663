/**
 * One SMMUv3 instance behind the common contract: registers, stream table
 * lookups, config cache and TLB, event and command queues, and the vendor
 * UAPI ops of the selected profile.
 */

import type { EventSink } from '../../core/events/event-map.js';
import type { FrameAllocator } from '../../core/memory/frame-allocator.js';
import type { PhysMemory } from '../../core/memory/phys-memory.js';
import { TranslationMeter } from '../../core/metrics/translation-meter.js';
import type { TranslationRequest, TranslationResult } from '../../core/model/translation.js';
import { NO_PASID } from '../../core/model/translation.js';
import type {
  DeviceConfig,
  IommuUnit,
  JsonObject,
  JsonValue,
  PageRequestInput,
  UnitCapabilities,
  UnitStats,
} from '../../core/plugin/contract.js';
import type { FaultReporter, UnitIdentity } from '../../core/plugin/tokens.js';
import type { SeededRng } from '../../core/sim/rng.js';
import { refillMap } from '../../core/state/stateful.js';
import type { ErrnoCode } from '../../core/uapi/errno.js';
import type { VendorOps } from '../../core/uapi/vendor-ops.js';
import { SmmuBuilder, type TableRoot } from './builders.js';
import { SmmuCaches, type SmmuCachesState } from './caches.js';
import { capabilitiesOf, programIdRegs, type SmmuOptions } from './capabilities.js';
import type { HwParams } from './config.js';
import { EventQueue, type RecordOutcome } from './event-queue.js';
import './events.js';
import type { FaultInfo } from './fault-info.js';
import { SMMU_EVENT, SMMU_EVENT_NAME } from './faults.js';
import { CommandQueue, type ConsumeReport } from './invalidation.js';
import { RegisterFile } from './register-file.js';
import { Translator } from './translate.js';
import { hostFaultOf, makeVendorOps } from './uapi.js';

export interface SmmuDeps {
  readonly memory: PhysMemory;
  readonly frames: FrameAllocator;
  readonly rng: SeededRng;
  readonly events: EventSink;
  readonly faults: FaultReporter;
  readonly identity: UnitIdentity;
}

/** A page-table root made by `smmuv3.table.create`. */
export interface NamedTable extends TableRoot {
  readonly stage: 1 | 2;
  readonly inputBits: number;
}

const CLASS_NAME = ['cd', 'ttd', 'in', 'reserved'];

interface SmmuState {
  readonly regs: { readonly [field: string]: number };
  readonly caches: SmmuCachesState;
  /** Event queue written and lost, command queue syncs and consumed. */
  readonly counters: readonly [number, number, number, number];
  /** translations, faults, memReads. */
  readonly totals: readonly [number, number, number];
  /** TranslationMeter state: walks, faults by kind. */
  readonly meter: readonly number[];
  readonly tables: ReadonlyMap<string, NamedTable>;
  readonly cds: ReadonlyMap<string, number>;
  readonly attached: ReadonlyMap<number, { readonly config: string; readonly basePtr: number }>;
}

export class SmmuUnit implements IommuUnit {
  readonly #meter = new TranslationMeter();
  readonly id: string;
  readonly plugin = 'smmuv3';
  readonly options: SmmuOptions;
  readonly hw: HwParams;
  readonly regs = new RegisterFile();
  readonly caches: SmmuCaches;
  readonly evtq: EventQueue;
  readonly cmdq: CommandQueue;
  readonly translator: Translator;
  readonly builder: SmmuBuilder;
  readonly deps: SmmuDeps;
  readonly ops: VendorOps;
  /** Named table roots made by `smmuv3.table.create`, for later `smmuv3.table.map`. */
  readonly tables = new Map<string, NamedTable>();
  /** Named CD addresses made by `smmuv3.cd.write`, for `smmuv3.ste.write { cd }`. */
  readonly cds = new Map<string, number>();
  /** Streams whose guest CD table is attached through the proposed UAPI. */
  readonly attached = new Map<number, { readonly config: string; readonly basePtr: number }>();

  constructor(deps: SmmuDeps, options: SmmuOptions) {
    this.deps = deps;
    this.id = deps.identity.id;
    this.options = options;
    this.hw = {
      s1: options.stages !== 's2',
      s2: options.stages !== 's1',
      oasBits: options.oas,
      sidBits: options.sidBits,
    };
    programIdRegs(this.regs, options);
    this.caches = new SmmuCaches(options.tlb, options.configCache, deps.rng);
    this.evtq = new EventQueue(deps.memory, this.regs);
    this.cmdq = new CommandQueue(deps.memory, this.regs, this.caches, {
      s1: this.hw.s1,
      s2: this.hw.s2,
      ril: options.ril,
    });
    this.translator = new Translator(deps.memory, this.hw, this.regs, this.caches, (f) =>
      this.#recordFault(f),
    );
    this.builder = new SmmuBuilder(deps.memory, deps.frames);
    this.ops = makeVendorOps(this);
  }

  capabilities(): UnitCapabilities {
    return capabilitiesOf(this.options);
  }

  addDevice(device: DeviceConfig): ErrnoCode {
    // StreamIDs beyond IDR1.SIDSIZE cannot exist behind this SMMU.
    if (!Number.isInteger(device.sid) || device.sid < 0 || device.sid >= 2 ** this.options.sidBits)
      return 'EINVAL';
    return 0;
  }

  translate(req: TranslationRequest, out: TranslationResult): number {
    const kind = this.translator.translate(req, out);
    this.#meter.count(kind, out);
    return kind;
  }

  /** PRI is not modelled (IDR0.PRI = 0): ENODEV. */
  pageRequest(_device: DeviceConfig, _req: PageRequestInput): ErrnoCode {
    return 'ENODEV';
  }

  stats(): UnitStats {
    return {
      translations: this.translator.translations,
      faults: this.translator.faults,
      memReads: this.translator.memReads,
      caches: { tlb: this.caches.tlb.counters(), config: this.caches.config.counters() },
      walks: this.#meter.walks,
      faultsByKind: this.#meter.faultsByKind(),
    };
  }

  digestState(): JsonValue {
    return {
      registers: this.regs.dump(),
      tlb: this.caches.tlb.liveEntries().map((e) => {
        const tags = this.caches.tagsOf(e.ctx);
        return {
          vmid: tags.vmid,
          asid: tags.asid,
          page: `0x${e.vpn.toString(16)}`,
          shift: [0, 2, 4, 9, 13, 17, 18][e.size]! + 12,
          out: `0x${e.outPage.toString(16)}`,
          s1perm: e.perm,
          s2perm: e.aux0,
          level: e.aux1,
        };
      }),
      configs: this.caches.config.size,
      eventsWritten: this.evtq.written,
      eventsLost: this.evtq.lost,
      commandsConsumed: this.cmdq.consumed,
      syncs: this.cmdq.syncs,
      attached: [...this.attached.entries()]
        .sort((a, b) => a[0] - b[0])
        .map(([sid, a]) => ({ sid, config: a.config, basePtr: `0x${a.basePtr.toString(16)}` })),
    };
  }

  /** Registers, caches, queue counters and the set-up commands' names, for snapshots. */
  saveState(): SmmuState {
    const t = this.translator;
    return {
      regs: { ...this.regs },
      caches: this.caches.saveState(),
      counters: [this.evtq.written, this.evtq.lost, this.cmdq.syncs, this.cmdq.consumed],
      totals: [t.translations, t.faults, t.memReads],
      meter: this.#meter.saveState(),
      tables: this.tables,
      cds: this.cds,
      attached: this.attached,
    };
  }

  loadState(state: unknown): void {
    const s = state as SmmuState;
    Object.assign(this.regs, s.regs);
    this.caches.loadState(s.caches);
    [this.evtq.written, this.evtq.lost, this.cmdq.syncs, this.cmdq.consumed] = s.counters;
    const t = this.translator;
    [t.translations, t.faults, t.memReads] = s.totals;
    this.#meter.loadState(s.meter);
    refillMap(this.tables, s.tables);
    refillMap(this.cds, s.cds);
    refillMap(this.attached, s.attached);
  }

  /** Consumes the command queue and emits an event per command (source "cmdq"). */
  consumeQueue(): ConsumeReport {
    const report = this.cmdq.consume();
    for (const c of report.executed) {
      if (c.ok)
        this.deps.events.emit('smmuv3.command.executed', {
          unit: this.id,
          source: 'cmdq',
          op: c.op,
          detail: c.detail,
        });
    }
    const e = report.error;
    if (e && !e.ok) {
      this.deps.events.emit('smmuv3.command.failed', {
        unit: this.id,
        source: 'cmdq',
        op: e.op,
        cerror: e.cerror === 1 ? 'CERROR_ILL' : e.cerror === 2 ? 'CERROR_ABT' : `0x${e.cerror.toString(16)}`,
        reason: e.reason,
        cons: this.regs.cmdqCons % 2 ** 24,
      });
    }
    return report;
  }

  /**
   * Cold path: records a fault in the event queue, emits it, and (proposed profile) reports it to
   * user space when its record reached the queue.
   */
  #recordFault(f: FaultInfo): void {
    const outcome: RecordOutcome = f.record ? this.evtq.record(f) : 'not-recorded';
    const fetch =
      f.code === SMMU_EVENT.F_STE_FETCH ||
      f.code === SMMU_EVENT.F_CD_FETCH ||
      f.code === SMMU_EVENT.F_WALK_EABT;
    const input = (BigInt(f.inPfn) << 12n) | BigInt(f.offset);
    this.deps.events.emit('smmuv3.fault.raised', {
      unit: this.id,
      code: f.code,
      name: SMMU_EVENT_NAME[f.code] ?? `0x${f.code.toString(16)}`,
      sid: f.sid,
      ssid: f.ssid === NO_PASID ? null : f.ssid,
      s2: f.s2,
      class: CLASS_NAME[f.cls] ?? 'in',
      input: `0x${input.toString(16)}`,
      ipa: f.s2 ? `0x${f.ipa.toString(16)}` : null,
      fetchAddr: fetch ? `0x${f.fetchAddr.toString(16)}` : null,
      read: f.read,
      outcome,
      notModelled: f.notModelled,
      reason: f.reason,
    });
    // The host driver learns of a fault only from its event record, so nothing is reported when
    // CD.R / STE.S2R suppressed it or the queue was disabled, full or unwritable (reference A.6).
    if (outcome === 'queued' && this.options.profile === 'proposed' && this.attached.has(f.sid)) {
      const fault = hostFaultOf(f);
      if (fault !== null) this.deps.faults.report(f.sid, fault);
    }
  }
}

const SMMU_SCOPES: Readonly<Record<string, string>> = {
  CMD_TLBI_NH_ALL: 'iotlb.domain',
  CMD_TLBI_S12_VMALL: 'iotlb.domain',
  CMD_TLBI_NH_ASID: 'iotlb.domain',
  CMD_TLBI_NH_VA: 'iotlb.page',
  CMD_TLBI_NH_VAA: 'iotlb.page',
  CMD_TLBI_S2_IPA: 'iotlb.page',
  CMD_TLBI_NSNH_ALL: 'iotlb.global',
  CMD_ATC_INV: 'devtlb.page',
  CMD_CFGI_STE: 'context.device',
  CMD_CFGI_STE_RANGE: 'context.device',
  CMD_CFGI_ALL: 'context.global',
  CMD_CFGI_CD: 'pasid.pasid',
  CMD_CFGI_CD_ALL: 'pasid.domain',
  CMD_SYNC: 'sync',
};

/** Which executed commands are one invalidation, in core/metrics' scope names (a stage-1 domain owns one ASID, so an ASID flush is domain-wide). */
export function smmuInvalidationScope(type: string, data: JsonObject): string | null {
  if (type !== 'smmuv3.command.executed') return null;
  return SMMU_SCOPES[String(data.op)] ?? null;
}
