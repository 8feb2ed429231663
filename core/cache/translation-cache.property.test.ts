import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SeededRng } from '../sim/rng.js';
import type { LruOrder, ReplacementPolicy } from './cache-options.js';
import { createTranslationCache } from './create-cache.js';
import type { TranslationCache } from './translation-cache.js';

const SHIFTS = [0, 9, 18];
/** Size codes of a cache whose smallest entry spans pages, as VT-d's paging-structure caches do. */
const SPAN_SHIFTS = [9, 18, 27];

type Op =
  | { t: 'insert'; ctx: number; vpn: number; size: number; out: number }
  | { t: 'lookup'; ctx: number; vpn: number; size: number }
  | { t: 'lookupAny'; ctx: number; vpn: number }
  | { t: 'invCtx'; ctx: number }
  | { t: 'invRange'; ctx: number; vpn: number; pages: number }
  | { t: 'invAll' };

const ctxA = fc.integer({ min: 0, max: 3 });
// Boundary pages of 4 KiB / 2 MiB entries often, so inserts and ranges meet exactly.
const vpnA = fc.oneof(
  fc.integer({ min: 0, max: 2047 }),
  fc.constantFrom(0, 1, 511, 512, 513, 1023, 1024, 1536, 2047),
);
const sizeA = fc.integer({ min: 0, max: 2 });
const opA: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      t: fc.constant('insert' as const),
      ctx: ctxA,
      vpn: vpnA,
      size: sizeA,
      out: fc.integer({ min: 0, max: 2 ** 40 }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ t: fc.constant('lookup' as const), ctx: ctxA, vpn: vpnA, size: sizeA }),
  },
  { weight: 4, arbitrary: fc.record({ t: fc.constant('lookupAny' as const), ctx: ctxA, vpn: vpnA }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('invCtx' as const), ctx: ctxA }) },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant('invRange' as const),
      ctx: ctxA,
      vpn: vpnA,
      pages: fc.integer({ min: 1, max: 1100 }),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ t: 'invAll' as const }) },
);

/** Reference model: every inserted, not yet invalidated entry, by "ctx:size:base". */
class Model {
  readonly m = new Map<string, number>();
  readonly shifts: readonly number[];
  constructor(shifts: readonly number[] = SHIFTS) {
    this.shifts = shifts;
  }
  static key(ctx: number, size: number, vpn: number, shifts: readonly number[] = SHIFTS): string {
    const span = 2 ** shifts[size];
    return `${ctx}:${size}:${Math.floor(vpn / span) * span}`;
  }
  /** Output page for (ctx, vpn) through the smallest present size, or -1. */
  any(ctx: number, vpn: number): number {
    for (let size = 0; size < this.shifts.length; size++) {
      const out = this.m.get(Model.key(ctx, size, vpn, this.shifts));
      if (out !== undefined) return out + (vpn % 2 ** this.shifts[size]);
    }
    return -1;
  }
  drop(pred: (ctx: number, size: number, base: number) => boolean): number {
    let n = 0;
    for (const k of [...this.m.keys()]) {
      const [ctx, size, base] = k.split(':').map(Number);
      if (pred(ctx, size, base)) {
        this.m.delete(k);
        n++;
      }
    }
    return n;
  }
}

/** Called with the cache's and the model's answer to each lookup / invalidation. */
type Observer = (kind: string, cache: number, model: number) => void;

function run(c: TranslationCache, ops: readonly Op[], see: Observer, shifts = SHIFTS): Model {
  const model = new Model(shifts);
  const key = (ctx: number, size: number, vpn: number) => Model.key(ctx, size, vpn, shifts);
  for (const op of ops) {
    switch (op.t) {
      case 'insert':
        c.insert(op.ctx, op.vpn, op.size, op.out, 3);
        model.m.set(key(op.ctx, op.size, op.vpn), op.out);
        break;
      case 'lookup': {
        const s = c.lookup(op.ctx, op.vpn, op.size);
        see('lookup', s < 0 ? -1 : c.outPage[s], model.m.get(key(op.ctx, op.size, op.vpn)) ?? -1);
        break;
      }
      case 'lookupAny': {
        const s = c.lookupAny(op.ctx, op.vpn);
        see('lookupAny', s < 0 ? -1 : c.outputFor(s, op.vpn), model.any(op.ctx, op.vpn));
        if (s >= 0) {
          // The hit's own size: a bounded cache may have evicted a smaller page the model still has.
          const want = model.m.get(key(op.ctx, c.sizeOf(s), op.vpn));
          see('lookupAnyHit', c.outPage[s], want ?? -1);
        }
        break;
      }
      case 'invCtx':
        see(
          'invCtx',
          c.invalidateContext(op.ctx),
          model.drop((ctx) => ctx === op.ctx),
        );
        break;
      case 'invRange': {
        const end = op.vpn + op.pages;
        const n = model.drop(
          (ctx, size, base) => ctx === op.ctx && base < end && base + 2 ** shifts[size] > op.vpn,
        );
        see('invRange', c.invalidateRange(op.ctx, op.vpn, op.pages), n);
        break;
      }
      case 'invAll':
        see(
          'invAll',
          c.invalidateAll(),
          model.drop(() => true),
        );
        break;
    }
  }
  return model;
}

const policies: ReplacementPolicy[] = ['lru', 'fifo', 'random', 'qemu'];

describe('translation cache against a reference model', () => {
  it('unbounded capacity: same answers as the model, for every policy and layout', () => {
    const layout = fc.constantFrom<[ReplacementPolicy, number | 'full']>(
      ...policies.map((p): [ReplacementPolicy, number | 'full'] => [p, 'full']),
      ['lru', 256],
      ['fifo', 256],
      ['random', 256],
    );
    fc.assert(
      fc.property(layout, fc.array(opA, { maxLength: 200, size: 'max' }), ([policy, ways], ops) => {
        const c = createTranslationCache({ entries: 256, ways, policy, rng: new SeededRng(7) });
        const model = run(c, ops, (kind, got, want) => {
          if (got !== want) expect([kind, got]).toEqual([kind, want]); // plain compare first: fast
        });
        const snap = c.liveEntries().map((e) => [Model.key(e.ctx, e.size, e.vpn), e.outPage]);
        expect(new Map(snap as [string, number][])).toEqual(model.m);
        const k = c.counters();
        expect(k.evictions).toBe(0);
        expect(k.hits + k.misses).toBe(k.lookups);
      }),
      { numRuns: 200 },
    );
  });

  it('unbounded capacity, smallest size spanning 512 pages: lookupAny finds an entry from any page it covers', () => {
    const layout = fc.constantFrom<[ReplacementPolicy, number | 'full']>(
      ...policies.map((p): [ReplacementPolicy, number | 'full'] => [p, 'full']),
      ['lru', 256],
    );
    fc.assert(
      fc.property(layout, fc.array(opA, { maxLength: 200, size: 'max' }), ([policy, ways], ops) => {
        const c = createTranslationCache({
          entries: 256,
          ways,
          policy,
          rng: new SeededRng(7),
          pageShifts: SPAN_SHIFTS,
        });
        const model = run(
          c,
          ops,
          (kind, got, want) => {
            if (got !== want) expect([kind, got]).toEqual([kind, want]);
          },
          SPAN_SHIFTS,
        );
        const snap = c.liveEntries().map((e) => [Model.key(e.ctx, e.size, e.vpn, SPAN_SHIFTS), e.outPage]);
        expect(new Map(snap as [string, number][])).toEqual(model.m);
      }),
      { numRuns: 200 },
    );
  });

  it('any capacity and policy: never returns an invalidated or overwritten entry', () => {
    const config = fc
      .record({
        policy: fc.constantFrom(...policies),
        entries: fc.integer({ min: 1, max: 16 }),
        setWays: fc.integer({ min: 1, max: 16 }),
        full: fc.boolean(),
        seed: fc.integer({ min: 0, max: 1000 }),
      })
      .map((r) => ({
        ...r,
        // a divisor of entries, or 'full' ('qemu' needs 'full')
        ways: r.full || r.policy === 'qemu' || r.entries % r.setWays !== 0 ? ('full' as const) : r.setWays,
      }));
    fc.assert(
      fc.property(config, fc.array(opA, { maxLength: 200, size: 'max' }), (cfg, ops) => {
        const c = createTranslationCache({ ...cfg, rng: new SeededRng(cfg.seed) });
        const model = run(c, ops, (kind, got, want) => {
          const hitOk = (kind !== 'lookup' && kind !== 'lookupAnyHit') || got === -1 || got === want;
          if (!hitOk) expect([kind, got]).toEqual([kind, want]);
          if (kind.startsWith('inv') && got > want) expect([kind, got]).toEqual([kind, want]);
          if (c.liveCount() > cfg.entries) expect(c.liveCount()).toBeLessThanOrEqual(cfg.entries);
        });
        for (const e of c.liveEntries()) expect(model.m.get(Model.key(e.ctx, e.size, e.vpn))).toBe(e.outPage);
      }),
      { numRuns: 200 },
    );
  });

  it('lru and fifo (fully associative): the victim is exactly the one an ordered list names', () => {
    // Reference: keys in replacement order, oldest first; lru moves a key to the end on a hit or a
    // re-fill, fifo only on a fresh fill. The cache's list, or its ticks and lazy heap, must pick
    // the same victims.
    const config = fc.record({
      policy: fc.constantFrom<ReplacementPolicy>('lru', 'fifo'),
      entries: fc.integer({ min: 1, max: 12 }),
      lruOrder: fc.constantFrom<LruOrder>('list', 'ticks'),
    });
    fc.assert(
      fc.property(config, fc.array(opA, { maxLength: 300, size: 'max' }), (cfg, ops) => {
        const c = createTranslationCache({ ...cfg, ways: 'full' });
        const order: string[] = [];
        const use = (k: string) => {
          const i = order.indexOf(k);
          if (i >= 0) order.splice(i, 1);
          order.push(k);
        };
        const dropWhere = (pred: (ctx: number, size: number, base: number) => boolean) => {
          for (let i = order.length - 1; i >= 0; i--) {
            const [ctx, size, base] = order[i].split(':').map(Number);
            if (pred(ctx, size, base)) order.splice(i, 1);
          }
        };
        for (const op of ops) {
          switch (op.t) {
            case 'insert': {
              const k = Model.key(op.ctx, op.size, op.vpn);
              c.insert(op.ctx, op.vpn, op.size, op.out, 3);
              if (!order.includes(k)) {
                if (order.length === cfg.entries) order.shift();
                order.push(k);
              } else if (cfg.policy === 'lru') use(k);
              break;
            }
            case 'lookup': {
              const s = c.lookup(op.ctx, op.vpn, op.size);
              const k = Model.key(op.ctx, op.size, op.vpn);
              expect(s >= 0).toBe(order.includes(k));
              if (s >= 0 && cfg.policy === 'lru') use(k);
              break;
            }
            case 'lookupAny': {
              const s = c.lookupAny(op.ctx, op.vpn);
              const k = [0, 1, 2].map((z) => Model.key(op.ctx, z, op.vpn)).find((x) => order.includes(x));
              expect(s < 0 ? undefined : Model.key(op.ctx, c.sizeOf(s), op.vpn)).toBe(k);
              if (k !== undefined && cfg.policy === 'lru') use(k);
              break;
            }
            case 'invCtx':
              c.invalidateContext(op.ctx);
              dropWhere((ctx) => ctx === op.ctx);
              break;
            case 'invRange': {
              c.invalidateRange(op.ctx, op.vpn, op.pages);
              const end = op.vpn + op.pages;
              dropWhere(
                (ctx, size, base) => ctx === op.ctx && base < end && base + 2 ** SHIFTS[size] > op.vpn,
              );
              break;
            }
            case 'invAll':
              c.invalidateAll();
              order.length = 0;
              break;
          }
          const live = c.liveEntries().map((e) => Model.key(e.ctx, e.size, e.vpn));
          expect(live.sort()).toEqual([...order].sort());
        }
      }),
      { numRuns: 300 },
    );
  });

  it('is deterministic: same operations and seed give the same contents and counters', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...policies),
        fc.array(opA, { maxLength: 150, size: 'max' }),
        (policy, ops) => {
          const once = () => {
            const c = createTranslationCache({ entries: 8, policy, rng: new SeededRng(3) });
            run(c, ops, () => {});
            return { snap: c.liveEntries(), counters: c.counters(), slots: [...c.keys] };
          };
          expect(once()).toEqual(once());
        },
      ),
      { numRuns: 100 },
    );
  });
});
