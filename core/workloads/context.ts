/** What every generator gets: the simulator, its seeded RNG, the target's templates, the DMA issuer. */
import type { IommuUnit, JsonObject, JsonValue } from '../plugin/contract.js';
import { SeededRng } from '../sim/rng.js';
import type { Simulator } from '../sim/simulator.js';
import { ArchOps } from './arch-ops.js';
import { DmaIssuer } from './dma-issuer.js';
import { InvalidationStrategy } from './invalidation-strategy.js';
import type { IovaAllocator } from './iova-allocator.js';
import { int, str } from './params.js';

export interface Device {
  readonly name: string;
  readonly unit: IommuUnit;
  readonly sid: number;
}

export class GenContext {
  readonly sim: Simulator;
  readonly data: JsonObject;
  readonly rng: SeededRng;
  readonly ops: ArchOps;
  readonly dma: DmaIssuer;

  constructor(sim: Simulator, data: JsonObject) {
    this.sim = sim;
    this.data = data;
    this.rng = new SeededRng(int(data, 'seed', 0));
    const first = this.device(
      str(
        data,
        'device',
        typeof data.devices === 'object' ? String((data.devices as JsonValue[])[0]) : undefined,
      ),
    );
    this.ops = new ArchOps(sim, first.unit, data.ops);
    this.dma = new DmaIssuer(sim);
  }

  /**
   * Maps one page: the `map` template, then `after-map` when the target has one (a guest under
   * caching mode must invalidate after every map, and the VMM re-syncs its shadow then).
   */
  map(iova: string, pa: string, extra: { readonly [k: string]: number | string } = {}): void {
    this.ops.run('map', { ...extra, iova, pa });
    if (this.ops.has('after-map')) this.ops.run('after-map', { ...extra, iova, pa });
  }

  device(name: string): Device {
    const d = this.sim.device(name);
    return { name, unit: d.unit, sid: d.config.sid };
  }

  /** The workload's invalidation strategy (`strategy`, `batch`, `lazyBatch`, `flushNs` parameters) over `iovas`. */
  strategy(iovas: IovaAllocator, args: { readonly [k: string]: number | string } = {}): InvalidationStrategy {
    const name = str(this.data, 'strategy', 'strict');
    // Linux's flush queue: IOVA_FQ_SIZE 256 entries, IOVA_FQ_TIMEOUT 10 ms; batched: 32 per run.
    // Both sizes are read whatever the strategy, so a sweep may set them for every cell.
    const lazyBatch = int(this.data, 'lazyBatch', 256, 1);
    const batch = int(this.data, 'batch', 32, 1);
    return new InvalidationStrategy(name, this.ops, this.sim, iovas, {
      batch: name === 'lazy' ? lazyBatch : batch,
      flushNs: int(this.data, 'flushNs', 10_000_000),
      args,
    });
  }
}
