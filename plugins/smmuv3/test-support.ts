/**
 * Test and bench support: a unit in its own container with recorded events and
 * host fault reports, without the simulator. Not a test file itself.
 */
import { container } from 'tsyringe';
import type { SimEventMap, SimEventType } from '../../core/events/event-map.js';
import { FrameAllocator } from '../../core/memory/frame-allocator.js';
import { PhysMemory } from '../../core/memory/phys-memory.js';
import type { DeviceConfig, JsonObject } from '../../core/plugin/contract.js';
import { TOKENS } from '../../core/plugin/tokens.js';
import { SimClock } from '../../core/sim/clock.js';
import { SeededRng } from '../../core/sim/rng.js';
import type { IommuFault } from '../../core/uapi/structs.js';
import plugin from './index.js';
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
      const r = unit.command(type, data);
      if (!r.ok) throw new Error(`${type}: ${r.errno} ${r.detail}`);
      return r.value;
    },
    eventsOf<K extends SimEventType>(type: K): SimEventMap[K][] {
      return events.filter((e) => e.type === type).map((e) => e.data as SimEventMap[K]);
    },
  };
}
