/**
 * The cached translate() path against the independent reference walker on random tables, for
 * each granule: stage 1 (TTB0 and TTB1 regions), stage 2 only, and nested. Every query runs twice
 * (a walk, then possibly a TLB hit) and both answers must equal the reference's.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TranslationRequest, TranslationResult } from '../../core/model/translation.js';
import type { TableRoot } from './builders.js';
import { referenceTranslate } from './reference-walker.js';
import { firstBlockLevel, levelShift } from './structures/descriptor.js';
import { makeRig, type TestRig } from './test-support.js';

const req = new TranslationRequest();
const res = new TranslationResult();
const OAS = 44;

const mapArb = fc.record({
  page: fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
  upper: fc.boolean(),
  leafUp: fc.integer({ min: 0, max: 2 }),
  pa: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  ap: fc.integer({ min: 0, max: 3 }),
  af: fc.integer({ min: 0, max: 9 }).map((n) => n > 0),
  pxn: fc.boolean(),
  uxn: fc.boolean(),
  corrupt: fc.option(
    fc.tuple(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.integer({ min: 0, max: 2 ** 32 - 1 })),
    {
      freq: 6,
    },
  ),
  offset: fc.integer({ min: 0, max: 2 ** 30 - 1 }),
  access: fc.integer({ min: 1, max: 15 }),
});

function check(rig: TestRig, strtab: number, sid: number, iova: bigint, access: number): void {
  const ref = referenceTranslate(rig.memory, OAS, strtab, sid, iova, access);
  for (let pass = 0; pass < 2; pass++) {
    req.sid = sid;
    req.pasid = -1;
    req.iovaPfn = Number(iova >> 12n);
    req.offset = Number(iova & 0xfffn);
    req.access = access;
    res.reset();
    const kind = rig.unit.translate(req, res);
    const what = `iova 0x${iova.toString(16)} access ${access} pass ${pass}`;
    if (ref.fault === 0) {
      expect(kind, what).toBe(0);
      expect(BigInt(res.outPfn) * 4096n + BigInt(res.offset), what).toBe(ref.out);
      expect(res.pageShift, what).toBe(ref.shift);
    } else {
      expect(res.archCode, what).toBe(ref.fault);
      const ev = rig.eventsOf('smmuv3.fault.raised').at(-1)!;
      expect(ev.s2, what).toBe(ref.s2);
    }
  }
}

type MapSpec = typeof mapArb extends fc.Arbitrary<infer T> ? T : never;

function leafLevel(root: TableRoot, up: number): number {
  return Math.max(3 - up, firstBlockLevel(root.granule), root.startLevel);
}

function mapAll(
  rig: TestRig,
  roots: readonly TableRoot[],
  inBits: readonly number[],
  maps: MapSpec[],
  stage: 1 | 2,
  toPa?: (ipa: number) => number,
): bigint[] {
  const b = rig.unit.builder;
  const queries: bigint[] = [];
  // Corrupt only after every mapping is built: a later map must not walk
  // through an entry that an earlier one corrupted.
  const corruptions: [number, readonly [number, number]][] = [];
  for (const m of maps) {
    const r = m.upper && roots.length > 1 ? 1 : 0;
    const root = roots[r]!;
    const bitsIn = inBits[r]!;
    const level = leafLevel(root, m.leafUp);
    const shift = levelShift(root.granule, level);
    const blocks = 2 ** (bitsIn - shift);
    const block = Math.floor(m.page * blocks);
    let pfn = (block * 2 ** shift) / 4096;
    if (r === 1) pfn += 2 ** 52 - 2 ** (bitsIn - 12);
    const at = b.map(root, pfn, m.pa * 2 ** 13 - ((m.pa * 2 ** 13) % 2 ** shift), level, stage, m, { toPa });
    if (m.corrupt) corruptions.push([at, m.corrupt]);
    const off = m.offset % 2 ** shift;
    queries.push(BigInt(pfn) * 4096n + BigInt(off));
  }
  for (const [at, [x, y]] of corruptions) {
    const [lo, hi] = b.readDesc(at);
    b.writeDesc(at, [(lo ^ x) >>> 0, (hi ^ (y & 0x7fff_ffff)) >>> 0]);
  }
  return queries;
}

const GRANULES = [12, 14, 16];
const S2_GEOMETRY: { [g: number]: { ipaBits: number; sl0: number } } = {
  12: { ipaBits: 40, sl0: 1 },
  14: { ipaBits: 40, sl0: 1 },
  16: { ipaBits: 42, sl0: 1 },
};
const TG0 = { 12: 0, 14: 2, 16: 1 } as const;
const TG1 = { 12: 2, 14: 1, 16: 3 } as const;
const S2TG = { 12: 0, 14: 2, 16: 1 } as const;

describe('translate() agrees with the reference walker on random tables', () => {
  for (const g of GRANULES) {
    const name = `${2 ** (g - 10)}K`;
    it(`stage 1, ${name} granule, TTB0 and TTB1`, () => {
      fc.assert(
        fc.property(
          fc.array(mapArb, { minLength: 1, maxLength: 24 }),
          fc.constantFrom(39, 48),
          fc.constantFrom(36, 48),
          fc.array(fc.tuple(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.integer({ min: 1, max: 15 })), {
            maxLength: 8,
          }),
          (maps, in0, in1, randoms) => {
            const rig = makeRig({ oas: OAS });
            rig.cmd('smmuv3.init', { log2size: 4 });
            const b = rig.unit.builder;
            const roots = [b.s1Root(g, in0), b.s1Root(g, in1)];
            const cd = b.alloc(64);
            b.writeCd(cd, {
              V: 1,
              AA64: 1,
              A: 1,
              R: 1,
              IPS: 4,
              ASID: 5,
              T0SZ: 64 - in0,
              TG0: TG0[g as 12],
              TTB0: roots[0]!.table,
              T1SZ: 64 - in1,
              TG1: TG1[g as 12],
              TTB1: roots[1]!.table,
            });
            const strtab = rig.unit.regs.strtab().base;
            b.writeSte(strtab + 2 * 64, { V: 1, Config: 0b101, S1ContextPtr: cd });
            const queries = mapAll(rig, roots, [in0, in1], maps, 1);
            for (const [i, q] of queries.entries()) check(rig, strtab, 2, q, maps[i]!.access);
            for (const [iova, access] of randoms) check(rig, strtab, 2, iova, access);
          },
        ),
        { numRuns: 40 },
      );
    });

    it(`stage 2 only, ${name} granule (concatenated start tables)`, () => {
      const { ipaBits, sl0 } = S2_GEOMETRY[g]!;
      fc.assert(
        fc.property(fc.array(mapArb, { minLength: 1, maxLength: 24 }), (maps) => {
          const rig = makeRig({ oas: OAS });
          rig.cmd('smmuv3.init', { log2size: 4 });
          const b = rig.unit.builder;
          const root = b.s2Root(g, ipaBits, sl0);
          const strtab = rig.unit.regs.strtab().base;
          b.writeSte(strtab + 64, {
            V: 1,
            Config: 0b110,
            S2VMID: 3,
            S2T0SZ: 64 - ipaBits,
            S2SL0: sl0,
            S2TG: S2TG[g as 12],
            S2PS: 4,
            S2AA64: 1,
            S2R: 1,
            S2TTB: root.table,
          });
          const queries = mapAll(rig, [root], [ipaBits], maps, 2);
          for (const [i, q] of queries.entries()) check(rig, strtab, 1, q, maps[i]!.access);
        }),
        { numRuns: 40 },
      );
    });

    it(`nested: stage 1 ${name} over a 4K stage 2`, () => {
      fc.assert(
        fc.property(
          fc.array(mapArb, { minLength: 1, maxLength: 12 }),
          fc.integer({ min: 0, max: 2 }),
          (maps, holes) => {
            const rig = makeRig({ oas: OAS });
            rig.cmd('smmuv3.init', { log2size: 4 });
            const b = rig.unit.builder;
            const s2 = b.s2Root(12, 40, 1);
            // Guest memory: IPA [0, 64 MiB) -> PA 0x4000_0000 + IPA, as 2 MiB blocks, minus `holes` blocks.
            for (let blk = holes; blk < 32; blk++) b.map(s2, blk * 512, 0x4000_0000 + blk * 2 ** 21, 2, 2);
            const toPa = (ipa: number) => 0x4000_0000 + ipa;
            let next = 0x10_0000;
            const alloc = () => (next += 2 ** g);
            const s1 = {
              granule: g,
              startLevel: 4 - Math.floor(44 / (g - 3)),
              table: 0x8_0000,
              startEntries: 0,
            };
            const root = { ...s1, startEntries: 2 ** (48 - levelShift(g, s1.startLevel)) };
            const maps2 = maps.map((m) => ({ ...m, pa: m.pa % 2 ** 14 }));
            const queries: bigint[] = [];
            for (const m of maps2) {
              const level = leafLevel(root, m.leafUp);
              const shift = levelShift(g, level);
              const pfn = (Math.floor(m.page * 2 ** (48 - shift)) * 2 ** shift) / 4096;
              b.map(
                root,
                pfn,
                ((m.pa * 4096) % 2 ** 26) - (((m.pa * 4096) % 2 ** 26) % 2 ** shift),
                level,
                1,
                m,
                {
                  toPa,
                  newTable: alloc,
                },
              );
              queries.push(BigInt(pfn) * 4096n + BigInt(m.offset % 2 ** shift));
            }
            b.writeCd(toPa(0x1000), {
              V: 1,
              AA64: 1,
              A: 1,
              R: 1,
              IPS: 4,
              ASID: 9,
              T0SZ: 16,
              TG0: TG0[g as 12],
              EPD1: 1,
              TTB0: root.table,
            });
            const strtab = rig.unit.regs.strtab().base;
            b.writeSte(strtab + 3 * 64, {
              V: 1,
              Config: 0b111,
              S1ContextPtr: 0x1000,
              S2VMID: 4,
              S2T0SZ: 24,
              S2SL0: 1,
              S2TG: 0,
              S2PS: 4,
              S2AA64: 1,
              S2R: 1,
              S2TTB: s2.table,
            });
            for (const [i, q] of queries.entries()) check(rig, strtab, 3, q, maps2[i]!.access);
          },
        ),
        { numRuns: 30 },
      );
    });
  }
});
