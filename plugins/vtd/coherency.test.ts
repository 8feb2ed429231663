/**
 * Coherency (issue 3, must-show 2): random sequences of map, unmap, modify and
 * table switches on second-level (legacy and scalable), first-level and
 * nested tables (changes to either stage).
 * After every change followed by a correct invalidation, each cached
 * translation equals a fresh uncached walk (reference-walker.ts). With one
 * required invalidation left out, the stale translation is observable: the
 * model caches as hardware does, it is not magically coherent.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PhysMemory } from '../../core/memory/phys-memory.js';
import { ACCESS, NO_PASID, TranslationRequest, TranslationResult } from '../../core/model/translation.js';
import { DEFAULT_CACHE_OPTIONS, QEMU_CACHE_OPTIONS, type VtdCacheOptions } from './caches/cache-options.js';
import { referenceTranslate } from './reference-walker.js';
import { attachDevice, createDomain, initRootTable, nestedSpace, setLegacyContextEntry } from './setup.js';
import { flMap, hostSpace, slMap, type TableSpace, unmapPage } from './structures/page-table-builder.js';
import { readPasidEntry, writePasidEntry } from './structures/pasid-entry.js';
import { ccDesc, type Desc, iotlbDesc, pcDesc, piotlbDesc } from './testing/descriptors.js';
import { type Fixture, makeFixture } from './testing/test-unit.js';

type World = 'legacy' | 'sl' | 'fl' | 'nested';

const SID = 0x0310;
const DID = 3;
const PASID = 0; // RID_PASID: requests without PASID use this entry
/** 2 MiB regions (in units of 512 pages) and pages inside them: the slots operations and checks use. */
const REGIONS = [1, 2, 0x9abc];
const PAGES = [0, 1, 511];
const SLOTS = REGIONS.flatMap((r) => PAGES.map((p) => r * 512 + p));

/** Nested: the first level outputs GPAs from 4 GiB up; the second level maps them with four 1 GiB pages. */
const GPA_BASE = 2 ** 20;
const GIB = 2 ** 18;

const SMALL: VtdCacheOptions = {
  context: { entries: 2, ways: 'full', policy: 'fifo' },
  pasid: { entries: 2, ways: 'full', policy: 'lru' },
  iotlb: { entries: 4, ways: 2, policy: 'lru' },
  slPsc: { entries: 2, ways: 'full', policy: 'fifo' },
  flPsc: { entries: 2, ways: 'full', policy: 'random' },
  devTlb: { entries: 4, ways: 'full', policy: 'lru' },
};

const perm = fc.record({ a: fc.boolean(), b: fc.boolean() });
/** How a correct invalidation is issued: which granularity, how much wider than needed, IH when allowed. */
const how = fc.record({
  kind: fc.integer({ min: 0, max: 3 }),
  extra: fc.integer({ min: 0, max: 2 }),
  ih: fc.boolean(),
});

const op = fc.oneof(
  fc.record({
    k: fc.constant('map' as const),
    slot: fc.nat(SLOTS.length - 1),
    big: fc.boolean(),
    out: fc.integer({ min: 1, max: 900 }),
    perm,
    how,
  }),
  fc.record({ k: fc.constant('unmap' as const), slot: fc.nat(SLOTS.length - 1), how }),
  fc.record({
    k: fc.constant('modify' as const),
    slot: fc.nat(SLOTS.length - 1),
    out: fc.integer({ min: 1, max: 900 }),
    perm,
    how,
  }),
  fc.record({ k: fc.constant('switch' as const), how }),
  // Nested only: remap one of the second-level 1 GiB pages that hold the first level's output GPAs.
  fc.record({ k: fc.constant('stage2' as const), gib: fc.nat(3), how }),
);
type Op = typeof op extends fc.Arbitrary<infer T> ? T : never;
type How = Op['how'];

const setup = fc.record({
  world: fc.constantFrom<World>('legacy', 'sl', 'fl', 'nested'),
  slLevels: fc.constantFrom<3 | 4 | 5>(3, 4, 5),
  flLevels: fc.constantFrom<4 | 5>(4, 5),
  cm: fc.boolean(),
  caches: fc.constantFrom(DEFAULT_CACHE_OPTIONS, QEMU_CACHE_OPTIONS, SMALL),
});
type Setup = typeof setup extends fc.Arbitrary<infer T> ? T : never;

/** Shift of the leaf that maps `vpn` in a table (0: not mapped), read straight from memory. */
function leafShift(mem: PhysMemory, rootPfn: number, levels: number, vpn: number, first: boolean): number {
  let table = rootPfn;
  for (let level = levels; level >= 1; level--) {
    const e = mem.read64(table * 4096 + 8 * (Math.floor(vpn / 2 ** (9 * (level - 1))) % 512)) ?? 0n;
    if ((first ? e & 1n : e & 3n) === 0n) return 0;
    if (level === 1 || (e & 0x80n) !== 0n) return 12 + 9 * (level - 1);
    table = Number((e >> 12n) & 0xff_ffff_ffffn);
  }
  return 0;
}

class Rig {
  readonly f: Fixture;
  readonly first: boolean;
  readonly levels: number;
  /** The two table roots (page numbers) the device can be switched between; `active` indexes them. */
  readonly roots: [number, number];
  active = 0;
  readonly req = new TranslationRequest();
  readonly out = new TranslationResult();

  readonly s: Setup;

  constructor(s: Setup) {
    this.s = s;
    this.f = makeFixture({ caps: { cm: s.cm }, caches: s.caches });
    const { hw, frames } = this.f;
    initRootTable(hw, s.world !== 'legacy');
    const nested = s.world === 'nested';
    const d = createDomain(hw, DID, s.slLevels, nested);
    this.slRoot = d.slptptr / 4096;
    this.first = s.world === 'fl' || nested;
    this.levels = this.first ? s.flLevels : s.slLevels;
    // Nested first-level tables live in GPA space, in pages the second level maps at GPA = HPA.
    this.space = nested ? nestedSpace(hw, d) : hostSpace(frames);
    const r = attachDevice(hw, SID, DID, nested ? 'nested' : this.first ? 'fl' : 'sl', {
      flLevels: s.flLevels,
    });
    const a = this.first ? r.flptptr! : d.slptptr;
    this.roots = [a / 4096, this.space.alloc()];
    if (nested) for (let g = 0; g < 4; g++) this.stage2(g, false);
  }

  readonly slRoot: number;
  readonly space: TableSpace;
  /** Nested: which of two host ranges each 1 GiB second-level page points to. */
  readonly gibAlt = [false, false, false, false];

  /** Nested: (re)maps second-level 1 GiB page `g` of the output GPAs; returns its page range. */
  stage2(g: number, alt: boolean): [number, number] {
    const gpa = GPA_BASE + g * GIB;
    const hpa = (alt ? 16 : 8) * GPA_BASE + g * GIB;
    this.gibAlt[g] = alt;
    slMap(this.f.memory, hostSpace(this.f.frames), this.slRoot, this.s.slLevels, gpa, hpa, 30, {
      r: true,
      w: true,
      x: true,
    });
    return [gpa, GIB];
  }

  get hw() {
    return this.f.hw;
  }

  submit(descs: Desc[]): void {
    const r = this.hw.submitDescriptors(descs);
    expect(r.error).toBeNull();
  }

  /** Writes a leaf in root `which` (default: the active one); returns the page range the change touched. */
  map(
    vpn: number,
    big: boolean,
    out: number,
    p: { a: boolean; b: boolean },
    which = this.active,
  ): [number, number] {
    const root = this.roots[which]!;
    const mem = this.f.memory;
    const space = this.space;
    const prev = leafShift(mem, root, this.levels, vpn, this.first);
    const shift = big ? 21 : 12;
    const span = 2 ** (shift - 12);
    const base = Math.floor(vpn / span) * span;
    const outBase = this.s.world === 'nested' ? GPA_BASE : 0;
    if (this.first)
      flMap(mem, space, root, this.levels, base, outBase + out * span, shift, { w: p.a, u: p.b || !p.a });
    else slMap(mem, space, root, this.levels, base, out * span, shift, { r: p.a || !p.b, w: p.b });
    const reach = big || prev === 21 ? 512 : 1;
    return [Math.floor(vpn / reach) * reach, reach];
  }

  unmap(vpn: number): [number, number] | null {
    const shift = unmapPage(
      this.f.memory,
      this.space,
      this.roots[this.active]!,
      this.levels,
      vpn,
      this.first,
    );
    if (shift === 0) return null;
    const span = 2 ** (shift - 12);
    return [Math.floor(vpn / span) * span, span];
  }

  /** Rewrites the leaf mapping `vpn` at its own size with a new output and permission (a leaf-only change). */
  modify(vpn: number, out: number, p: { a: boolean; b: boolean }): [number, number] | null {
    const root = this.roots[this.active]!;
    const shift = leafShift(this.f.memory, root, this.levels, vpn, this.first);
    if (shift === 0) return null;
    return this.map(vpn, shift === 21, out, p);
  }

  /** Points the context entry (legacy) or PASID entry (scalable) at the other table root. */
  switchRoot(): void {
    this.active = 1 - this.active;
    const root = BigInt(this.roots[this.active]! * 4096);
    const { hw, memory } = this.f;
    if (this.s.world === 'legacy') {
      setLegacyContextEntry(hw, SID, {
        P: true,
        FPD: false,
        TT: 0,
        SLPTPTR: root,
        AW: this.levels - 2,
        AVAIL: 0,
        DID,
      });
      return;
    }
    const pa = hw.pasidEntryAddress(SID, PASID, false)!;
    const e = readPasidEntry(memory, pa)!;
    writePasidEntry(memory, pa, this.first ? { ...e, FLPTPTR: root } : { ...e, SLPTPTR: root });
  }

  /** The invalidation of the table entries over `range` a careful driver issues (IH only for leaf-only changes). */
  pageInvalidation([vpn, pages]: [number, number], h: How, leafOnly: boolean): Desc[] {
    const am = Math.log2(pages) + h.extra;
    const aligned = Math.floor(vpn / 2 ** am) * 2 ** am;
    const ih = leafOnly && h.ih;
    if (this.first) {
      if (h.kind === 0) return [piotlbDesc(3, DID, PASID, { vpn: aligned, am, ih })];
      if (h.kind === 1) return [piotlbDesc(2, DID, PASID)];
      if (h.kind === 2) return [iotlbDesc(2, DID, { wide: true })];
      return [iotlbDesc(1, 0, { wide: true })];
    }
    const wide = this.s.world === 'sl';
    if (h.kind <= 1) return [iotlbDesc(3, DID, { vpn: aligned, am, ih, wide })];
    if (h.kind === 2) return [iotlbDesc(2, DID, { wide })];
    return [iotlbDesc(1, 0, { wide })];
  }

  /** The structure-cache half of a table switch: context cache (legacy) or PASID cache (scalable). */
  structureInvalidation(h: How): Desc[] {
    if (this.s.world === 'legacy') return [h.kind % 2 === 0 ? ccDesc(3, { did: DID, sid: SID }) : ccDesc(1)];
    return [h.kind === 0 ? pcDesc(1, DID, PASID) : h.kind === 1 ? pcDesc(0, DID) : pcDesc(3, 0)];
  }

  /** The translation-cache half of a table switch. */
  switchTlbInvalidation(h: How): Desc[] {
    if (this.first) return h.kind < 2 ? [piotlbDesc(2, DID, PASID)] : [iotlbDesc(2, DID, { wide: true })];
    return [iotlbDesc(h.kind < 2 ? 2 : 1, DID, { wide: this.s.world === 'sl' })];
  }

  /** Applies one operation followed by its correct invalidation. */
  apply(o: Op): void {
    let range: [number, number] | null = null;
    let leafOnly = true;
    if (o.k === 'map') {
      range = this.map(SLOTS[o.slot]!, o.big, o.out, o.perm);
      leafOnly = false; // may add or replace a non-leaf entry
    } else if (o.k === 'unmap') range = this.unmap(SLOTS[o.slot]!);
    else if (o.k === 'modify') range = this.modify(SLOTS[o.slot]!, o.out, o.perm);
    else if (o.k === 'stage2') {
      if (this.s.world !== 'nested') return;
      const [gpa, pages] = this.stage2(o.gib, !this.gibAlt[o.gib]);
      // Combined (nested) IOTLB entries are named by DID: an IOTLB descriptor, never a P_IOTLB one.
      const h = o.how.kind;
      this.submit([
        h === 0
          ? iotlbDesc(3, DID, { vpn: gpa, am: Math.log2(pages), wide: true })
          : iotlbDesc(h === 3 ? 1 : 2, DID, { wide: true }),
      ]);
      return;
    } else {
      this.switchRoot();
      this.submit([...this.structureInvalidation(o.how), ...this.switchTlbInvalidation(o.how)]);
      return;
    }
    if (range !== null) this.submit(this.pageInvalidation(range, o.how, leafOnly));
  }

  /** Translates `vpn` with `access`; returns the model's and the reference's answers. */
  both(vpn: number, access: number) {
    const { req, out, hw } = this;
    req.sid = SID;
    req.pasid = NO_PASID;
    req.iovaPfn = vpn;
    req.access = access;
    req.ats = false;
    const ref = referenceTranslate(this.f.memory, hw.caps, hw, {
      sid: SID,
      pasid: NO_PASID,
      vpn,
      access,
      ats: false,
    });
    hw.translate(req, out);
    const model = {
      code: out.archCode,
      outPfn: out.outPfn,
      perm: out.perm,
      shift: out.pageShift,
      hit: out.hit,
    };
    return { model, ref };
  }

  /** Every slot read, then every slot written: model and reference agree. */
  expectCoherent(label: string): void {
    for (const access of [ACCESS.READ, ACCESS.WRITE, ACCESS.READ | ACCESS.WRITE]) {
      for (const vpn of SLOTS) {
        const { model, ref } = this.both(vpn, access);
        const at = `${label} vpn 0x${vpn.toString(16)} access ${access} hit ${model.hit}`;
        expect(model.code, at).toBe(ref.code);
        if (ref.code === 0) {
          expect([model.outPfn, model.perm, model.shift], at).toEqual([ref.outPfn, ref.perm, ref.shift]);
        }
      }
    }
  }
}

const label = (s: Setup, i: number, ops: readonly Op[]): string =>
  `${s.world} sl${s.slLevels} fl${s.flLevels} cm=${s.cm} after op ${i} ${JSON.stringify(ops[i])}`;

describe('coherency: cached translation = fresh walk after correct invalidation', () => {
  it('holds for random map / unmap / modify / table-switch sequences (SL legacy, SL scalable, FL, nested both stages)', () => {
    fc.assert(
      fc.property(setup, fc.array(op, { minLength: 1, maxLength: 14 }), (s, ops) => {
        const rig = new Rig(s);
        rig.expectCoherent(`${s.world} initially`);
        ops.forEach((o, i) => {
          rig.apply(o);
          rig.expectCoherent(label(s, i, ops));
        });
      }),
      { numRuns: 60 },
    );
  });
});

const change = fc.constantFrom('output', 'permission', 'unmap', 'switch-table', 'stage2' as const);

describe('coherency: one required invalidation left out', () => {
  it('serves the stale translation until the missing invalidation arrives', () => {
    fc.assert(
      fc.property(
        setup,
        fc.array(op, { maxLength: 8 }),
        fc.nat(SLOTS.length - 1),
        fc.boolean(),
        change,
        how,
        (s, ops, slot, big, what, h) => {
          const rig = new Rig(s);
          for (const o of ops) rig.apply(o);
          const vpn = SLOTS[slot]!;
          // A readable and writable mapping in the active table, correctly invalidated, then cached by a read.
          const range = rig.map(vpn, big, 100, { a: true, b: true });
          rig.submit(rig.pageInvalidation(range, h, false));
          if (what === 'switch-table') {
            // The other table maps the page elsewhere; it is not in use, so no invalidation is due yet.
            rig.map(vpn, big, 300, { a: true, b: true }, 1 - rig.active);
          }
          const before = rig.both(vpn, ACCESS.READ);
          expect(before.model.code).toBe(0);
          expect(rig.both(vpn, ACCESS.READ).model.hit, 'the second read hits the IOTLB').toBe(true);

          let missing: Desc[];
          if (what === 'stage2' && s.world === 'nested') {
            // The second level moves the output GPA's 1 GiB page; the IOTLB invalidation is left out.
            const [gpa, pages] = rig.stage2(0, !rig.gibAlt[0]);
            missing = [iotlbDesc(3, DID, { vpn: gpa, am: Math.log2(pages), wide: true })];
          } else if (what === 'output' || what === 'stage2')
            missing = rig.pageInvalidation(rig.modify(vpn, 200, { a: true, b: true })!, h, true);
          else if (what === 'permission')
            missing = rig.pageInvalidation(rig.modify(vpn, 100, { a: false, b: true })!, h, true);
          else if (what === 'unmap') missing = rig.pageInvalidation(rig.unmap(vpn)!, h, true);
          else {
            rig.switchRoot();
            // The IOTLB half is done; the context / PASID-cache half is the one left out. The stale
            // read below refills the IOTLB from the old table, so the fix is the whole sequence again.
            rig.submit(rig.switchTlbInvalidation(h));
            missing = [...rig.structureInvalidation(h), ...rig.switchTlbInvalidation(h)];
          }

          const stale = rig.both(vpn, ACCESS.READ);
          expect(stale.ref, 'the change is visible to a fresh walk').not.toMatchObject({
            code: 0,
            outPfn: before.model.outPfn,
            perm: before.model.perm,
          });
          expect(stale.model.code, 'no invalidation yet: still translated').toBe(0);
          expect([stale.model.outPfn, stale.model.perm], 'the old translation').toEqual([
            before.model.outPfn,
            before.model.perm,
          ]);

          rig.submit(missing);
          const fresh = rig.both(vpn, ACCESS.READ);
          expect(fresh.model.code).toBe(fresh.ref.code);
          if (fresh.ref.code === 0)
            expect([fresh.model.outPfn, fresh.model.perm]).toEqual([fresh.ref.outPfn, fresh.ref.perm]);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('IH = 1 after a non-leaf change keeps a stale paging-structure entry (second level)', () => {
    const rig = new Rig({ world: 'sl', slLevels: 4, flLevels: 4, cm: false, caches: DEFAULT_CACHE_OPTIONS });
    const a = SLOTS[0]!;
    const b = SLOTS[1]!;
    rig.map(a, false, 10, { a: true, b: true });
    rig.map(b, false, 11, { a: true, b: true });
    expect(rig.both(a, ACCESS.READ).model.code).toBe(0); // fills the IOTLB and the PSCs on the path
    // Replace the level-2 table pointer with a 2 MiB leaf: a non-leaf entry changed.
    rig.map(a, true, 7, { a: true, b: true });
    rig.submit([iotlbDesc(3, DID, { vpn: a - (a % 512), am: 9, ih: true, wide: true })]);
    // `b` was never in the IOTLB; the cached level-2 pointer still leads to the old 4 KiB table.
    const stale = rig.both(b, ACCESS.READ);
    expect(stale.ref.outPfn).toBe(7 * 512 + (b % 512));
    expect(stale.model.outPfn).toBe(11);
    rig.submit([iotlbDesc(3, DID, { vpn: a - (a % 512), am: 9, ih: false, wide: true })]);
    expect(rig.both(b, ACCESS.READ).model.outPfn).toBe(7 * 512 + (b % 512));
  });
});
