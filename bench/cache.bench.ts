/**
 * Translation-cache benchmarks: the typed cache (core/cache, LRU), the same cache with QEMU's
 * flush-on-full policy, and the naive Map<string> baseline, on the same seeded workload in the
 * same process. Workload as in perf-notes §1/§6: 64 contexts, 4 KiB entries in runs of 16 pages
 * at random 36-bit VPNs, lookups in shuffled order.
 *
 * Run: npm run bench -- cache   (or: node scripts/run-bench.mjs cache [--json])
 */
import { hashKey } from '../core/cache/cache-key.js';
import { createTranslationCache } from '../core/cache/create-cache.js';
import type { TranslationCache } from '../core/cache/translation-cache.js';
import { SeededRng } from '../core/sim/rng.js';
import { NaiveCache } from './baselines/naive-cache.js';
import { type BenchResult, finish, fmt, line, note, ratio, run, section } from './harness.js';

const CONTEXTS = 64;
const RUN = 16;
const MISS_OFFSET = 2 ** 40;

interface Keys {
  readonly ctx: Int32Array;
  readonly vpn: Float64Array;
}

/** n keys: runs of 16 pages at random 36-bit bases, each run in a random context; shuffled. */
function makeKeys(n: number, seed: number): Keys {
  const rng = new SeededRng(seed);
  const ctx = new Int32Array(n);
  const vpn = new Float64Array(n);
  for (let i = 0; i < n; i += RUN) {
    const c = rng.below(CONTEXTS);
    const base = rng.below(2 ** 36 - RUN);
    for (let j = i; j < Math.min(n, i + RUN); j++) {
      ctx[j] = c;
      vpn[j] = base + (j - i);
    }
  }
  for (let i = n - 1; i > 0; i--) {
    const j = rng.below(i + 1);
    const tc = ctx[i];
    ctx[i] = ctx[j];
    ctx[j] = tc;
    const tv = vpn[i];
    vpn[i] = vpn[j];
    vpn[j] = tv;
  }
  return { ctx, vpn };
}

// One loop function per cache class keeps every call site monomorphic (perf-notes §1).

/** Memory floor (perf-notes §1): the same hash and one random read of the key and value arrays, no compare. */
function floorTyped(c: TranslationCache, k: Keys): number {
  const keys = c.keys;
  const perm = c.perm;
  const mask = c.slotCount - 1;
  let sum = 0;
  for (let i = 0; i < k.ctx.length; i++) {
    const s = hashKey(k.vpn[i] | 0, k.ctx[i] << 17) & mask;
    sum += keys[2 * s] + perm[s]; // 2 = SLOT_STRIDE, key word 0 of slot s
  }
  return sum;
}

function fillTyped(c: TranslationCache, k: Keys): void {
  for (let i = 0; i < k.ctx.length; i++) c.insert(k.ctx[i], k.vpn[i], 0, k.vpn[i] + 7, 3);
}
function lookupTyped(c: TranslationCache, k: Keys, offset: number): number {
  let sum = 0;
  for (let i = 0; i < k.ctx.length; i++) {
    const s = c.lookup(k.ctx[i], k.vpn[i] + offset, 0);
    sum += s < 0 ? 1 : c.perm[s];
  }
  return sum;
}
function lookupAnyTyped(c: TranslationCache, k: Keys): number {
  let sum = 0;
  for (let i = 0; i < k.ctx.length; i++) {
    const s = c.lookupAny(k.ctx[i], k.vpn[i]);
    sum += s < 0 ? 1 : c.perm[s];
  }
  return sum;
}
function invalidateContextsTyped(c: TranslationCache): number {
  let n = 0;
  for (let ctx = 0; ctx < CONTEXTS; ctx++) n += c.invalidateContext(ctx);
  return n;
}
function invalidateRangesTyped(c: TranslationCache, k: Keys, count: number, pages: number): number {
  let n = 0;
  for (let i = 0; i < count; i++)
    n += c.invalidateRange(k.ctx[i], Math.floor(k.vpn[i] / pages) * pages, pages);
  return n;
}

function fillNaive(c: NaiveCache, k: Keys): void {
  for (let i = 0; i < k.ctx.length; i++) c.insert(k.ctx[i], k.vpn[i], 0, k.vpn[i] + 7, 3);
}
function lookupNaive(c: NaiveCache, k: Keys, offset: number): number {
  let sum = 0;
  for (let i = 0; i < k.ctx.length; i++) {
    const e = c.lookup(k.ctx[i], k.vpn[i] + offset, 0);
    sum += e === undefined ? 1 : e.perm;
  }
  return sum;
}
function invalidateContextsNaive(c: NaiveCache): number {
  let n = 0;
  for (let ctx = 0; ctx < CONTEXTS; ctx++) n += c.invalidateContext(ctx);
  return n;
}
function invalidateRangesNaive(c: NaiveCache, k: Keys, count: number, pages: number): number {
  let n = 0;
  for (let i = 0; i < count; i++)
    n += c.invalidateRange(k.ctx[i], Math.floor(k.vpn[i] / pages) * pages, pages);
  return n;
}

interface Row {
  readonly label: string;
  readonly typed: BenchResult;
  readonly qemu: BenchResult;
  readonly naive: BenchResult;
}
const rows: Row[] = [];

function compare(
  label: string,
  n: number,
  fns: {
    typed: [() => unknown, number, (() => void)?];
    qemu: [() => unknown, number, (() => void)?];
    naive: [() => unknown, number, (() => void)?];
  },
): void {
  section(`${label} (${n} entries)`);
  const one = (name: string, [fn, ops, setup]: [() => unknown, number, (() => void)?]) =>
    run(`${label} @${n}: ${name}`, fn, { ops, setup });
  rows.push({
    label: `${label} @${n}`,
    typed: one('typed lru', fns.typed),
    qemu: one("typed 'qemu'", fns.qemu),
    naive: one('naive Map<string>', fns.naive),
  });
}

function lookups(n: number): void {
  const k = makeKeys(n, n);
  const typed = createTranslationCache({ entries: n, policy: 'lru' });
  const qemu = createTranslationCache({ entries: n, policy: 'qemu' });
  const naive = new NaiveCache(n);
  fillTyped(typed, k);
  fillTyped(qemu, k);
  fillNaive(naive, k);
  compare('hit', n, {
    typed: [() => lookupTyped(typed, k, 0), n],
    qemu: [() => lookupTyped(qemu, k, 0), n],
    naive: [() => lookupNaive(naive, k, 0), n],
  });
  compare('miss', n, {
    typed: [() => lookupTyped(typed, k, MISS_OFFSET), n],
    qemu: [() => lookupTyped(qemu, k, MISS_OFFSET), n],
    naive: [() => lookupNaive(naive, k, MISS_OFFSET), n],
  });
  section(`reference rows (${n} entries)`);
  run(`lookupAny hit @${n}: typed lru (one size present)`, () => lookupAnyTyped(typed, k), { ops: n });
  run(`floor @${n}: hash + 1 random read, no compare`, () => floorTyped(typed, k), { ops: n });
}

function inserts(n: number): void {
  const a = makeKeys(n, 1);
  const b = makeKeys(n, 2);
  const typed = createTranslationCache({ entries: n, policy: 'lru' });
  const qemu = createTranslationCache({ entries: n, policy: 'qemu' });
  const naive = new NaiveCache(n);
  let flip = false;
  const next = (): Keys => {
    flip = !flip;
    return flip ? a : b;
  };
  // Each call inserts n keys the cache does not hold (alternating two key sets), so every insert
  // evicts (lru: one entry; 'qemu': a whole-table flush every n inserts; naive: FIFO).
  compare('insert (full cache, evicting)', n, {
    typed: [() => fillTyped(typed, next()), n],
    qemu: [() => fillTyped(qemu, next()), n],
    naive: [() => fillNaive(naive, next()), n],
  });
}

function invalidations(n: number): void {
  const k = makeKeys(n, 3);
  const typed = createTranslationCache({ entries: n, policy: 'lru' });
  const qemu = createTranslationCache({ entries: n, policy: 'qemu' });
  const naive = new NaiveCache(n);
  const refillTyped = (c: TranslationCache) => () => {
    c.invalidateAll();
    fillTyped(c, k);
  };
  const refillNaive = () => {
    naive.invalidateAll();
    fillNaive(naive, k);
  };
  compare('domain invalidation', n, {
    typed: [() => invalidateContextsTyped(typed), CONTEXTS, refillTyped(typed)],
    qemu: [() => invalidateContextsTyped(qemu), CONTEXTS, refillTyped(qemu)],
    naive: [() => invalidateContextsNaive(naive), CONTEXTS, refillNaive],
  });
  // Full scans make the naive cache ~1 ms per call, so it runs fewer invalidations per sample.
  for (const pages of [1, 512]) {
    const many = pages === 1 ? 1000 : 200;
    const few = 16;
    compare(`page invalidation, ${pages} page${pages > 1 ? 's' : ''}`, n, {
      typed: [() => invalidateRangesTyped(typed, k, many, pages), many, refillTyped(typed)],
      qemu: [() => invalidateRangesTyped(qemu, k, many, pages), many, refillTyped(qemu)],
      naive: [() => invalidateRangesNaive(naive, k, few, pages), few, refillNaive],
    });
  }
}

lookups(1e3);
lookups(1e5);
inserts(1e5);
invalidations(1e3);
invalidations(1e5);

note('### Summary (median ns/op; ratio = naive / typed lru)\n');
line('| case | typed lru | typed qemu | naive Map<string> | naive ÷ typed |\n|---|---:|---:|---:|---:|');
for (const r of rows) {
  line(
    `| ${r.label} | ${fmt(r.typed.nsPerOp)} | ${fmt(r.qemu.nsPerOp)} | ${fmt(r.naive.nsPerOp)} | ${ratio(r.naive, r.typed).toFixed(1)}x |`,
  );
}
finish();
