/**
 * Test and bench fixtures: a VtdHardware over fresh simulated memory, with
 * recording event and fault sinks.
 */
import type { SimEventType } from '../../../core/events/event-map.js';
import { FrameAllocator } from '../../../core/memory/frame-allocator.js';
import { PhysMemory } from '../../../core/memory/phys-memory.js';
import type { IommuFault } from '../../../core/uapi/structs.js';
import { DEFAULT_CACHE_OPTIONS, type VtdCacheOptions } from '../caches/cache-options.js';
import { parseVtdCaps, type VtdCaps } from '../capabilities.js';
import { VtdHardware } from '../hardware.js';

export interface Fixture {
  readonly hw: VtdHardware;
  readonly memory: PhysMemory;
  readonly frames: FrameAllocator;
  readonly events: { type: SimEventType; data: unknown }[];
  readonly reported: { sid: number; fault: IommuFault }[];
}

export function makeFixture(
  o: { caps?: Partial<VtdCaps>; caches?: VtdCacheOptions; memoryBytes?: number; seed?: number } = {},
): Fixture {
  const memory = new PhysMemory(o.memoryBytes ?? 2 ** 27);
  const frames = new FrameAllocator(memory);
  const events: { type: SimEventType; data: unknown }[] = [];
  const reported: { sid: number; fault: IommuFault }[] = [];
  const hw = new VtdHardware({
    unitId: 'iommu0',
    memory,
    frames,
    caps: parseVtdCaps(o.caps as never),
    events: { emit: (type, data) => events.push({ type, data }) },
    faults: {
      report: (sid, fault) => {
        reported.push({ sid, fault });
        return 0;
      },
    },
    caches: o.caches ?? DEFAULT_CACHE_OPTIONS,
    seed: o.seed ?? 1,
  });
  return { hw, memory, frames, events, reported };
}
