/**
 * AMD-Vi translation benchmarks: the unit's whole translate() path (DTE cache,
 * DomainID-tagged IOTLB, v1 walk) with the typed LRU IOTLB and with the 'qemu'
 * policy (1024 entries, flushed when full), beside a naive baseline that runs
 * the same walker behind a Map<string> cache (bench/baselines/naive-cache.ts),
 * all on the same seeded workload in the same process.
 *
 * Workload: 1000 4 KiB pages at random 48-bit IOVAs in a 4-level table, one
 * device, requests in shuffled order. "hit" = every page cached; "miss" = the
 * IOTLB emptied before each pass, so each request walks 4 levels and fills.
 *
 * Run: npm run bench -- amdvi   (or: node scripts/run-bench.mjs amdvi [--json])
 */
import 'reflect-metadata';
import { ACCESS, TranslationRequest, TranslationResult } from '../core/model/translation.js';
import { SeededRng } from '../core/sim/rng.js';
import { V1TableBuilder } from '../plugins/amdvi/builders.js';
import { Fixture } from '../plugins/amdvi/test-fixture.js';
import { WALK, WalkState, walkV1 } from '../plugins/amdvi/walk.js';
import { NaiveCache } from './baselines/naive-cache.js';
import { type BenchResult, finish, fmt, line, note, ratio, run, section } from './harness.js';

const N = 1000;
const SID = 0x10;
const DOMAIN = 1;

interface World {
  f: Fixture;
  rootPfn: number;
  iovaPfn: Float64Array;
}

function world(policy: 'lru' | 'qemu'): World {
  const f = new Fixture({ iotlb: policy === 'qemu' ? { policy } : { policy, entries: 4096 } });
  const { root } = f.setup({ mode: 4, domainId: DOMAIN });
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
  return { f, rootPfn: root / 4096, iovaPfn };
}

const req = new TranslationRequest();
const res = new TranslationResult();

function translateAll(w: World): number {
  const u = w.f.unit;
  let sum = 0;
  req.sid = SID;
  req.access = ACCESS.READ;
  for (let i = 0; i < N; i++) {
    req.iovaPfn = w.iovaPfn[i];
    sum += u.translate(req, res) + res.outPfn;
  }
  return sum;
}

/** The baseline: the same walker behind a Map<string> cache. */
const ws = new WalkState();
function translateNaive(w: World, cache: NaiveCache): number {
  const mem = w.f.mem;
  let sum = 0;
  for (let i = 0; i < N; i++) {
    const vpn = w.iovaPfn[i];
    const e = cache.lookup(DOMAIN, vpn, 0);
    if (e !== undefined) {
      sum += e.outPage;
      continue;
    }
    if (walkV1(mem, w.rootPfn, 4, vpn, 1, 1, ws) === WALK.OK) {
      cache.insert(DOMAIN, vpn, 0, ws.basePfn, 3);
      sum += ws.basePfn;
    }
  }
  return sum;
}

const lru = world('lru');
const qemu = world('qemu');
const base = world('lru');
const naive = new NaiveCache(4096);
translateAll(lru);
translateAll(qemu);
translateNaive(base, naive);

const rows: { label: string; typed: BenchResult; qemu: BenchResult; naive: BenchResult }[] = [];

section(`translate() hit (${N} pages cached)`);
rows.push({
  label: 'hit',
  typed: run('hit: amdvi lru', () => translateAll(lru), { ops: N }),
  qemu: run("hit: amdvi 'qemu'", () => translateAll(qemu), { ops: N }),
  naive: run('hit: naive Map<string> + same walker', () => translateNaive(base, naive), { ops: N }),
});

section(`translate() miss + 4-level walk + fill (${N} pages, IOTLB emptied before each pass)`);
rows.push({
  label: 'miss+walk+fill',
  typed: run('miss: amdvi lru', () => translateAll(lru), {
    ops: N,
    setup: () => lru.f.unit.iotlb.invalidateAll(),
  }),
  qemu: run("miss: amdvi 'qemu'", () => translateAll(qemu), {
    ops: N,
    setup: () => qemu.f.unit.iotlb.invalidateAll(),
  }),
  naive: run('miss: naive Map<string> + same walker', () => translateNaive(base, naive), {
    ops: N,
    setup: () => naive.invalidateAll(),
  }),
});

note('| case | amdvi lru ns | amdvi qemu ns | naive ns | naive / lru |');
line('|---|---:|---:|---:|---:|');
for (const r of rows) {
  line(
    `| ${r.label} | ${fmt(r.typed.nsPerOp)} | ${fmt(r.qemu.nsPerOp)} | ${fmt(r.naive.nsPerOp)} | ${ratio(r.naive, r.typed).toFixed(2)}x |`,
  );
}
finish();
