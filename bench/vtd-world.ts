/**
 * The VT-d bench workload, shared by bench/vtd.bench.ts and scripts/ab-bench.mjs: seeded tables
 * of n pages over 64 domains in runs of 16 (or perf-notes §3's one table in runs of 64), units
 * over them with the plugin's or QEMU's caches, the translation loop, the cache flush before a
 * miss pass and the QI descriptors. It imports only core/ and plugins/vtd through relative paths,
 * so the A/B script can put a copy of it into an older checkout and bundle it against that
 * checkout's code.
 */
import { FrameAllocator } from '../core/memory/frame-allocator.js';
import { PhysMemory } from '../core/memory/phys-memory.js';
import { ACCESS, NO_PASID, TranslationRequest, TranslationResult } from '../core/model/translation.js';
import { SeededRng } from '../core/sim/rng.js';
import {
  DEFAULT_CACHE_OPTIONS,
  QEMU_CACHE_OPTIONS,
  type VtdCacheOptions,
} from '../plugins/vtd/caches/cache-options.js';
import { DEFAULT_VTD_CAPS } from '../plugins/vtd/capabilities.js';
import { VtdHardware } from '../plugins/vtd/hardware.js';
import { attachDevice, createDomain, initRootTable, nestedSpace } from '../plugins/vtd/setup.js';
import { flMap, hostSpace, slMap, type TableSpace } from '../plugins/vtd/structures/page-table-builder.js';

/** The main workload: 64 domains, pages in runs of 16. */
export const DOMAINS = 64;
const RUN = 16;
/** perf-notes §3's walk workload, which its 150 ns miss target was added up on: one table, runs of 64. */
export const PERF_NOTES_SHAPE = { domains: 1, run: 64 } as const;
/** Source-id of device d: bus 1, devfn d. */
const SID0 = 0x100;
/** Output (host) page of request i: OUT0 + i, above the interrupt range and the table frames. */
const OUT0 = 0x10_0000;
/** Nested: the guest-physical page the first level maps request i to. */
const GPA0 = 0x20_0000;
/** 4 GiB of sparse memory: table frames come from the upper half (pages 0x80000-0xfffff). */
const MEMORY_BYTES = 2 ** 32;

/** What the units emitted and reported, counted and dropped (a run must report no fault). */
export const seen = { events: 0, faults: 0 };

export interface World {
  readonly n: number;
  readonly memory: PhysMemory;
  readonly rootTable: number;
  /** Per request, shuffled: source-id, DID, input page, expected output page, its domain's SL root page. */
  readonly sid: Int32Array;
  readonly did: Int32Array;
  readonly vpn: Float64Array;
  readonly out: Float64Array;
  readonly slRoot: Float64Array;
}

/**
 * Builds the tables of n pages over `domains` devices and domains ('sl': second level only;
 * 'nested'), in runs of `run` pages.
 */
export function buildWorld(
  n: number,
  mode: 'sl' | 'nested',
  seed: number,
  { domains, run }: { domains: number; run: number } = { domains: DOMAINS, run: RUN },
): World {
  const memory = new PhysMemory(MEMORY_BYTES);
  const frames = new FrameAllocator(memory);
  const hw = unitOver(memory, frames, 0, DEFAULT_CACHE_OPTIONS);
  const rootTable = initRootTable(hw, true);
  const host = hostSpace(frames);
  const slRoot: number[] = [];
  const flRoot: number[] = [];
  const flSpace: TableSpace[] = [];
  for (let d = 0; d < domains; d++) {
    const dom = createDomain(hw, d + 1, 4, mode === 'nested');
    const { flptptr } = attachDevice(hw, SID0 + d, d + 1, mode, { flLevels: 4 });
    slRoot.push(dom.slptptr / 4096);
    if (mode === 'nested') {
      flRoot.push(flptptr! / 4096);
      flSpace.push(nestedSpace(hw, dom));
    }
  }
  const rng = new SeededRng(seed);
  const sid = new Int32Array(n);
  const did = new Int32Array(n);
  const vpn = new Float64Array(n);
  const out = new Float64Array(n);
  const root = new Float64Array(n);
  const used = new Set<number>();
  for (let i = 0; i < n; i += run) {
    const d = rng.below(domains);
    // Runs are aligned below 2^35 pages: canonical 48-bit first-level input, and distinct.
    let base = rng.below(2 ** 35 / run) * run;
    while (used.has(d * 2 ** 35 + base)) base = rng.below(2 ** 35 / run) * run;
    used.add(d * 2 ** 35 + base);
    for (let j = i; j < Math.min(n, i + run); j++) {
      const page = base + (j - i);
      sid[j] = SID0 + d;
      did[j] = d + 1;
      vpn[j] = page;
      out[j] = OUT0 + j;
      root[j] = slRoot[d]!;
      if (mode === 'sl') {
        slMap(memory, host, slRoot[d]!, 4, page, OUT0 + j, 12, { r: true, w: true });
      } else {
        flMap(memory, flSpace[d]!, flRoot[d]!, 4, page, GPA0 + j, 12, { w: true, u: true });
        slMap(memory, host, slRoot[d]!, 4, GPA0 + j, OUT0 + j, 12, { r: true, w: true });
      }
    }
  }
  for (let i = n - 1; i > 0; i--) {
    const j = rng.below(i + 1);
    swap(sid, i, j);
    swap(did, i, j);
    swap(vpn, i, j);
    swap(out, i, j);
    swap(root, i, j);
  }
  return { n, memory, rootTable, sid, did, vpn, out, slRoot: root };
}

function swap(a: Int32Array | Float64Array, i: number, j: number): void {
  const t = a[i]!;
  a[i] = a[j]!;
  a[j] = t;
}

/** A VT-d unit over `memory` with the default capabilities and the given caches. */
export function unitOver(
  memory: PhysMemory,
  frames: FrameAllocator,
  rootTable: number,
  caches: VtdCacheOptions,
) {
  const hw = new VtdHardware({
    unitId: 'iommu0',
    memory,
    frames,
    caps: DEFAULT_VTD_CAPS,
    events: {
      emit: () => {
        seen.events++;
      },
    },
    faults: {
      report: () => {
        seen.faults++;
        return 0;
      },
    },
    caches,
    seed: 1,
  });
  if (rootTable !== 0) {
    hw.setRootTable(rootTable, true);
    hw.translationEnabled = true;
  }
  return hw;
}

/** A unit under test over the world's tables. */
export function unit(w: World, caches: VtdCacheOptions): VtdHardware {
  return unitOver(w.memory, new FrameAllocator(w.memory), w.rootTable, caches);
}

/** The plugin's default caches with an IOTLB that holds `n` entries. */
export function vtdCaches(n: number): VtdCacheOptions {
  return { ...DEFAULT_CACHE_OPTIONS, iotlb: { entries: Math.max(4096, n), ways: 'full', policy: 'lru' } };
}

/** QEMU's caches with an IOTLB that holds `n` entries (QEMU's own is 1024). */
export function qemuCaches(n: number): VtdCacheOptions {
  return { ...QEMU_CACHE_OPTIONS, iotlb: { entries: Math.max(1024, n), ways: 'full', policy: 'qemu' } };
}

// ---- the translation loop ----

/** Every request is a read without PASID; only sid and iovaPfn change. */
const req = new TranslationRequest();
req.pasid = NO_PASID;
req.access = ACCESS.READ;
const res = new TranslationResult();

export function translateAll(hw: VtdHardware, w: World): number {
  const sid = w.sid;
  const vpn = w.vpn;
  let sum = 0;
  for (let i = 0; i < sid.length; i++) {
    req.sid = sid[i]!;
    req.iovaPfn = vpn[i]!;
    sum += hw.translate(req, res) + res.outPfn;
  }
  return sum;
}

/** Set-up of a miss pass: empties the unit's IOTLB and paging-structure caches. */
export function coldCaches(hw: VtdHardware): () => void {
  return () => {
    hw.caches.iotlb.invalidateAll();
    hw.caches.slPsc?.invalidateAll();
    hw.caches.flPsc?.invalidateAll();
  };
}

/** Submits descriptors to the unit's queue; the number processed, or -1 if one was refused. */
export function submit(hw: VtdHardware, descs: readonly (readonly bigint[])[]): number {
  const r = hw.submitDescriptors(descs);
  return r.error === null ? r.processed : -1;
}

// ---- queued-invalidation descriptors (VT-d 6.5.2.3, 128-bit form), built untimed ----

/** IOTLB invalidation, domain-selective (G = 2). */
export function domainDescriptor(did: number): readonly bigint[] {
  return [0x2n | (2n << 4n) | (BigInt(did) << 16n), 0n];
}

/** IOTLB invalidation, page-selective (G = 3), 2^am pages at `vpn`, IH = 0. */
export function pageDescriptor(did: number, vpn: number, am: number): readonly bigint[] {
  return [0x2n | (3n << 4n) | (BigInt(did) << 16n), (BigInt(vpn) << 12n) | BigInt(am)];
}
