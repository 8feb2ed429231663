/**
 * SMMUv3 translation benchmarks: the unit's whole translate() path (config
 * cache by StreamID, TLB tagged by VMID/ASID, VMSAv8-64 stage-1 walk) with the
 * typed LRU TLB and with the 'qemu' policy (256 entries, flushed when full),
 * beside a naive baseline that runs the same walker behind a Map<string> cache
 * (bench/baselines/naive-cache.ts), all on the same seeded workload in the same
 * process.
 *
 * Workload: 200 4 KiB pages at random 48-bit VAs in a 4-level 4K stage-1 table,
 * one stream, requests in a fixed random order. 200 pages fit QEMU's 256-entry
 * TLB, so "hit" is a hit for every cache. "miss" = the TLB emptied before each
 * pass, so each request walks 4 levels and fills.
 *
 * A last section times an SMMUv3 hit beside an AMD-Vi hit (same page count, both LRU) in the
 * same process, for issue 16's target (SMMUv3 hit <= 2x AMD-Vi hit).
 *
 * Run: npm run bench -- smmuv3   (or: node scripts/run-bench.mjs smmuv3 [--json])
 */
import 'reflect-metadata';
import { ACCESS, TranslationRequest, TranslationResult } from '../core/model/translation.js';
import { SeededRng } from '../core/sim/rng.js';
import { V1TableBuilder } from '../plugins/amdvi/builders.js';
import { Fixture } from '../plugins/amdvi/test-fixture.js';
import { makeRig, s1Stream, type TestRig } from '../plugins/smmuv3/test-support.js';
import type { StageRegime } from '../plugins/smmuv3/walk.js';
import { WalkOut, walkStage } from '../plugins/smmuv3/walk.js';
import { NaiveCache } from './baselines/naive-cache.js';
import { type BenchResult, finish, fmt, line, note, ratio, run, section } from './harness.js';

const N = 200;
const SID = 3;

interface World {
  rig: TestRig;
  vpn: Float64Array;
}

function world(policy: 'lru' | 'qemu'): World {
  const rig = makeRig({ tlb: policy === 'qemu' ? { policy } : { policy, entries: 1024 } });
  rig.cmd('smmuv3.init', { log2size: 6 });
  const root = s1Stream(rig, SID, { asid: 1 });
  const rng = new SeededRng(7);
  const vpn = new Float64Array(N);
  const seen = new Set<number>();
  for (let i = 0; i < N; i++) {
    let p = rng.below(2 ** 36);
    while (seen.has(p)) p = rng.below(2 ** 36);
    seen.add(p);
    vpn[i] = p;
    rig.unit.builder.map(root, p, (0x1000 + i) * 4096, 3, 1);
  }
  return { rig, vpn };
}

const req = new TranslationRequest();
const res = new TranslationResult();

function translateAll(w: World): number {
  const u = w.rig.unit;
  let sum = 0;
  req.sid = SID;
  req.access = ACCESS.READ;
  for (let i = 0; i < N; i++) {
    req.iovaPfn = w.vpn[i]!;
    sum += u.translate(req, res) + res.outPfn;
  }
  return sum;
}

/** The baseline: the same stage-1 walker behind a Map<string> cache, with the stream's decoded regime. */
const wo = new WalkOut();
function translateNaive(w: World, regime: StageRegime, cache: NaiveCache): number {
  const mem = w.rig.memory;
  let sum = 0;
  for (let i = 0; i < N; i++) {
    const vpn = w.vpn[i]!;
    const e = cache.lookup(1, vpn, 0);
    if (e !== undefined) {
      sum += e.outPage;
      continue;
    }
    wo.clear();
    walkStage(mem, regime, vpn, wo, null, null);
    if (wo.fault === 0) {
      cache.insert(1, vpn, 0, wo.outPfn, wo.perm);
      sum += wo.outPfn;
    }
  }
  return sum;
}

const lru = world('lru');
const qemu = world('qemu');
const base = world('lru');
const naive = new NaiveCache(1024);
translateAll(lru);
translateAll(qemu);
// The first translate() decoded the STE and CD: the baseline walks the same regime.
translateAll(base);
const regime = base.rig.unit.caches.config.get(0, SID)!.tt0;
translateNaive(base, regime, naive);

const rows: { label: string; typed: BenchResult; qemu: BenchResult; naive: BenchResult }[] = [];

section(`translate() hit (${N} pages cached)`);
rows.push({
  label: 'hit',
  typed: run('hit: smmuv3 lru', () => translateAll(lru), { ops: N }),
  qemu: run("hit: smmuv3 'qemu'", () => translateAll(qemu), { ops: N }),
  naive: run('hit: naive Map<string> + same walker', () => translateNaive(base, regime, naive), { ops: N }),
});

section(`translate() miss + 4-level walk + fill (${N} pages, TLB emptied before each pass)`);
rows.push({
  label: 'miss+walk+fill',
  typed: run('miss: smmuv3 lru', () => translateAll(lru), {
    ops: N,
    setup: () => lru.rig.unit.caches.tlb.invalidateAll(),
  }),
  qemu: run("miss: smmuv3 'qemu'", () => translateAll(qemu), {
    ops: N,
    setup: () => qemu.rig.unit.caches.tlb.invalidateAll(),
  }),
  naive: run('miss: naive Map<string> + same walker', () => translateNaive(base, regime, naive), {
    ops: N,
    setup: () => naive.invalidateAll(),
  }),
});

// Issue 16: SMMUv3 hit beside an AMD-Vi hit in the same process, same page count, both LRU.
const AMDVI_SID = 0x10;
function amdviWorld(): { f: Fixture; iovaPfn: Float64Array } {
  const f = new Fixture({ iotlb: { policy: 'lru', entries: 1024 } });
  const { root } = f.setup({ mode: 4, domainId: 1 });
  const b = new V1TableBuilder(f.mem, f.frames, 4, root / 4096);
  const rng = new SeededRng(7);
  const iovaPfn = new Float64Array(N);
  const seen = new Set<number>();
  for (let i = 0; i < N; i++) {
    let p = rng.below(2 ** 36);
    while (seen.has(p)) p = rng.below(2 ** 36);
    seen.add(p);
    iovaPfn[i] = p;
    b.map(p, 0x1000 + i, 12);
  }
  return { f, iovaPfn };
}
const amd = amdviWorld();
function translateAmdvi(): number {
  const u = amd.f.unit;
  let sum = 0;
  req.sid = AMDVI_SID;
  req.access = ACCESS.READ;
  for (let i = 0; i < N; i++) {
    req.iovaPfn = amd.iovaPfn[i]!;
    sum += u.translate(req, res) + res.outPfn;
  }
  return sum;
}
translateAmdvi();
section(`translate() hit, SMMUv3 beside AMD-Vi (${N} pages cached, both LRU, same process; issue 16)`);
const amdHit = run('hit: amdvi lru', () => translateAmdvi(), { ops: N });
const smmuHit = run('hit: smmuv3 lru (again)', () => translateAll(lru), { ops: N });
note(`SMMUv3 hit / AMD-Vi hit: ${ratio(smmuHit, amdHit).toFixed(2)}x (target <= 2x)`);

note('| case | smmuv3 lru ns | smmuv3 qemu ns | naive ns | naive / lru |');
line('|---|---:|---:|---:|---:|');
for (const r of rows) {
  line(
    `| ${r.label} | ${fmt(r.typed.nsPerOp)} | ${fmt(r.qemu.nsPerOp)} | ${fmt(r.naive.nsPerOp)} | ${ratio(r.naive, r.typed).toFixed(2)}x |`,
  );
}
finish();
