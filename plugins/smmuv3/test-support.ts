/**
 * Test and bench support: a unit in its own container with recorded events and
 * host fault reports, without the simulator. Not a test file itself.
 */
import { container } from 'tsyringe';
import { runCommand } from '../../core/command/catalog.js';
import type { SimEventMap, SimEventType } from '../../core/events/event-map.js';
import { FrameAllocator } from '../../core/memory/frame-allocator.js';
import { PhysMemory } from '../../core/memory/phys-memory.js';
import { ACCESS, NO_PASID, TranslationRequest, TranslationResult } from '../../core/model/translation.js';
import type { DeviceConfig, JsonObject } from '../../core/plugin/contract.js';
import { TOKENS } from '../../core/plugin/tokens.js';
import { SimClock } from '../../core/sim/clock.js';
import { SeededRng } from '../../core/sim/rng.js';
import type { IommuFault } from '../../core/uapi/structs.js';
import { linuxLikeCd, s2Ste, type TableRoot } from './builders.js';
import { SMMUV3_COMMANDS } from './commands.js';
import plugin from './index.js';
import type { CdFields } from './structures/cd.js';
import type { SteFields } from './structures/ste.js';
import type { SmmuUnit } from './unit.js';

export interface Recorded {
  readonly type: SimEventType;
  readonly data: SimEventMap[SimEventType];
}

export interface TestRig {
  readonly unit: SmmuUnit;
  readonly memory: PhysMemory;
  readonly frames: FrameAllocator;
  readonly events: Recorded[];
  readonly reported: { sid: number; fault: IommuFault }[];
  readonly devices: Map<number, DeviceConfig>;
  /** Runs a unit command and throws if it failed. */
  cmd(type: string, data?: JsonObject): unknown;
  eventsOf<K extends SimEventType>(type: K): SimEventMap[K][];
}

export function makeRig(options?: JsonObject, memoryBytes = 2 ** 32, seed = 1): TestRig {
  const memory = new PhysMemory(memoryBytes);
  const frames = new FrameAllocator(memory);
  const events: Recorded[] = [];
  const reported: { sid: number; fault: IommuFault }[] = [];
  const devices = new Map<number, DeviceConfig>();
  const c = container.createChildContainer();
  c.register(TOKENS.Memory, { useValue: memory });
  c.register(TOKENS.Frames, { useValue: frames });
  c.register(TOKENS.Clock, { useValue: new SimClock() });
  c.register(TOKENS.Rng, { useValue: new SeededRng(seed) });
  c.register(TOKENS.Events, {
    useValue: { emit: (type: SimEventType, data: unknown) => events.push({ type, data } as Recorded) },
  });
  c.register(TOKENS.Faults, {
    useValue: {
      report: (sid: number, fault: IommuFault) => {
        reported.push({ sid, fault });
        return 0;
      },
    },
  });
  c.register(TOKENS.UnitIdentity, { useValue: { id: 'smmu0', devices } });
  plugin.register(c, plugin.parseOptions(options));
  const unit = c.resolve(TOKENS.Unit) as SmmuUnit;
  return {
    unit,
    memory,
    frames,
    events,
    reported,
    devices,
    cmd(type, data = {}) {
      const r = runCommand(SMMUV3_COMMANDS, unit, type, data);
      if (!r.ok) throw new Error(`${type}: ${r.errno} ${r.detail}`);
      return r.value;
    },
    eventsOf<K extends SimEventType>(type: K): SimEventMap[K][] {
      return events.filter((e) => e.type === type).map((e) => e.data as SimEventMap[K]);
    },
  };
}

const req = new TranslationRequest();
/** The result of the last dma() call. */
export const res = new TranslationResult();

/** One DMA through the unit's translate(); returns the fault kind (0 = translated), result in `res`. */
export function dma(
  rig: TestRig,
  sid: number,
  iova: number | bigint,
  access: number = ACCESS.READ,
  o: { readonly pasid?: number; readonly ats?: boolean } = {},
): number {
  const a = BigInt(iova);
  req.sid = sid;
  req.pasid = o.pasid ?? NO_PASID;
  req.iovaPfn = Number(a >> 12n);
  req.offset = Number(a & 0xfffn);
  req.access = access;
  req.ats = o.ats ?? false;
  res.reset();
  return rig.unit.translate(req, res);
}

/** The output byte address of the last successful dma(). */
export function outAddr(): number {
  return res.outPfn * 4096 + res.offset;
}

export interface StreamOptions {
  readonly asid?: number;
  readonly vmid?: number;
  /** log2 granule: 12, 14 or 16. */
  readonly granule?: number;
  /** Input bits of the stage-1 region (TTB0) or the IPA size (stage 2). */
  readonly bits?: number;
  readonly cd?: Partial<CdFields>;
  readonly ste?: Partial<SteFields>;
}

/** Writes the STE of `sid` through the unit command (adds the level-2 table of a 2-level stream table). */
export function writeSte(rig: TestRig, sid: number, fields: Partial<SteFields>): void {
  rig.cmd('smmuv3.ste.write', { sid, fields: fields as JsonObject });
}

/** A stage-1 stream (STE.Config = S1 translate) with a Linux-like CD and an empty TTB0 table. */
export function s1Stream(rig: TestRig, sid: number, o: StreamOptions = {}): TableRoot & { cd: number } {
  const b = rig.unit.builder;
  const g = o.granule ?? 12;
  const root = b.s1Root(g, o.bits ?? 48);
  const cd = b.alloc(64);
  const tg0 = g === 12 ? 0 : g === 16 ? 1 : 2;
  b.writeCd(cd, linuxLikeCd(root.table, o.asid ?? 1, { TG0: tg0, T0SZ: 64 - (o.bits ?? 48), ...o.cd }));
  writeSte(rig, sid, { V: 1, Config: 0b101, S1ContextPtr: cd, S2VMID: o.vmid ?? 0, ...o.ste });
  return { ...root, cd };
}

/** A stage-2-only stream (STE.Config = S2 translate, S2R = 1) with an empty table. */
export function s2Stream(rig: TestRig, sid: number, o: StreamOptions = {}): TableRoot {
  const bits = o.bits ?? 40;
  const root = rig.unit.builder.s2Root(o.granule ?? 12, bits, 1);
  writeSte(rig, sid, { ...s2Ste(root, bits, o.vmid ?? 1), ...o.ste });
  return root;
}

/** A record as `smmuv3.evtq.read` returns it. */
export interface EvtqRecord {
  readonly type: number;
  readonly name: string;
  readonly sid: number;
  readonly ssv: number;
  readonly ssid: number;
  readonly rnw: number;
  readonly ind: number;
  readonly pnu: number;
  readonly s2: number;
  readonly class: number;
  readonly input: string;
  readonly dw3: string;
}

/** Drains the event queue as the driver's event thread would. */
export function readEvents(rig: TestRig): EvtqRecord[] {
  return (rig.cmd('smmuv3.evtq.read') as { events: EvtqRecord[] }).events;
}

/** Submits JSON commands to the command queue; returns the CMDQ_PROD write's report. */
export function submit(
  rig: TestRig,
  commands: JsonObject[],
): { executed: number; error: { op: string; cerror: number; reason: string } | null; cons: string } {
  return rig.cmd('smmuv3.cmdq.submit', { commands }) as ReturnType<typeof submit>;
}
