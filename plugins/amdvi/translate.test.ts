import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ACCESS, FAULT_KIND } from '../../core/model/translation.js';
import { V1TableBuilder, writeU64 } from './builders.js';
import { referenceWalk } from './reference-walker.js';
import { Fixture } from './test-fixture.js';

const SHIFTS = [12, 13, 14, 16, 20, 21, 22, 25, 30, 31, 39];
const WHY_TO_KIND = {
  'not-present': FAULT_KIND.TRANSLATION,
  abort: FAULT_KIND.WALK_ABORT,
  'bad-next-level': FAULT_KIND.RESERVED_BITS,
  'skipped-bits': FAULT_KIND.TRANSLATION,
  'address-size': FAULT_KIND.ADDRESS_SIZE,
  'nl7-size': FAULT_KIND.NOT_MODELLED,
} as const;

const mapping = fc.record({
  slot: fc.bigInt({ min: 0n, max: 2n ** 52n - 1n }),
  shiftIdx: fc.integer({ min: 0, max: SHIFTS.length - 1 }),
  pa: fc.integer({ min: 0, max: 2 ** 28 }),
  ir: fc.boolean(),
  iw: fc.boolean(),
  skip: fc.integer({ min: 0, max: 3 }),
});
const corruption = fc.record({
  which: fc.nat(),
  level: fc.integer({ min: 1, max: 6 }),
  lo: fc.integer({ min: 0, max: 0xffff_ffff }),
  hi: fc.integer({ min: 0, max: 0xffff_ffff }),
});
const query = fc.record({
  which: fc.nat(),
  offset: fc.bigInt({ min: 0n, max: 2n ** 39n - 1n }),
  random: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
  useRandom: fc.boolean(),
  write: fc.boolean(),
});

describe('translate vs the uncached reference walker', () => {
  it('agrees on random tables (levels skipped, NextLevel-7 pages, corrupted entries), on the miss and on the hit', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.boolean(),
        fc.boolean(),
        fc.array(mapping, { minLength: 1, maxLength: 12 }),
        fc.array(corruption, { maxLength: 3 }),
        fc.array(query, { minLength: 1, maxLength: 12 }),
        (mode, dteR, dteW, maps, corrupt, queries) => {
          const f = new Fixture({ iotlb: { entries: 64, policy: 'lru' } });
          const { root } = f.setup({ mode });
          f.dte(0x10, { mode, root: `0x${root.toString(16)}`, domainId: 1, ir: dteR, iw: dteW });
          const b = new V1TableBuilder(f.mem, f.frames, mode, root / 4096);
          const bases: bigint[] = [];
          for (const m of maps) {
            const shift = SHIFTS[m.shiftIdx]!;
            const inputBits = BigInt(Math.min(64, 12 + 9 * mode));
            if (BigInt(shift) > inputBits - 1n) continue;
            const iova = (m.slot << 12n) & ((1n << inputBits) - 1n) & ~((1n << BigInt(shift)) - 1n);
            const paPfn = Math.floor(m.pa / 2 ** (shift - 12)) * 2 ** (shift - 12);
            try {
              b.map(Number(iova >> 12n), paPfn, shift, { ir: m.ir, iw: m.iw, skip: m.skip });
              bases.push(iova);
            } catch (e) {
              if (!(e instanceof RangeError)) throw e; // overlapping mappings are skipped
            }
          }
          // Find every target before writing any: a corrupted upper entry may
          // point outside memory, and a later lookup must not follow it.
          const targets: [number, bigint][] = [];
          for (const c of corrupt) {
            if (bases.length === 0) break;
            const at = b.entryAddress(Number(bases[c.which % bases.length]! >> 12n), Math.min(c.level, mode));
            if (at !== undefined) targets.push([at, (BigInt(c.hi) << 32n) | BigInt(c.lo)]);
          }
          for (const [at, value] of targets) writeU64(f.mem, at, value);
          for (const q of queries) {
            const iova =
              q.useRandom || bases.length === 0 ? q.random : bases[q.which % bases.length]! + q.offset;
            const iovaMasked = iova & (2n ** 64n - 1n);
            const ref = referenceWalk(f.mem, BigInt(root), mode, iovaMasked, dteR, dteW);
            const access = q.write ? ACCESS.WRITE : ACCESS.READ;
            // Each query starts cold: an entry an earlier query cached may cover this address too
            // (a NextLevel-7 page is one IOTLB entry over replicated PTEs), and when a corruption
            // broke one replica, the cached page and this address's own PTE rightly disagree.
            f.unit.iotlb.invalidateAll();
            for (const pass of ['first', 'again']) {
              const kind = f.dma(0x10, iovaMasked, access);
              if (ref.ok) {
                const allowed = q.write ? ref.write : ref.read;
                expect(kind, pass).toBe(allowed ? 0 : FAULT_KIND.PERMISSION);
                if (allowed) {
                  expect(f.outAddr, pass).toBe(ref.pa);
                  expect(2n ** BigInt(f.out.pageShift), pass).toBe(ref.pageBytes);
                  expect(f.out.perm, pass).toBe(
                    (ref.read ? ACCESS.READ : 0) | (ref.write ? ACCESS.WRITE : 0),
                  );
                }
              } else {
                expect(kind, `${pass} ${ref.why}`).toBe(WHY_TO_KIND[ref.why]);
              }
            }
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
