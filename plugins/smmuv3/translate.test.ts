import { describe, expect, it } from 'vitest';
import { ACCESS, FAULT_KIND, TranslationRequest, TranslationResult } from '../../core/model/translation.js';
import { linuxLikeCd, s2Ste } from './builders.js';
import { SMMU_EVENT } from './faults.js';
import {
  makeRig,
  dma as sDma,
  res as sRes,
  s1Stream as sStream,
  submit,
  type TestRig,
} from './test-support.js';

const req = new TranslationRequest();
const res = new TranslationResult();

function dma(rig: TestRig, sid: number, iova: bigint, access: number = ACCESS.READ): number {
  req.sid = sid;
  req.pasid = -1;
  req.iovaPfn = Number(iova >> 12n);
  req.offset = Number(iova & 0xfffn);
  req.access = access;
  req.ats = false;
  res.reset();
  return rig.unit.translate(req, res);
}

/** A stage-1 stream: SID 3, ASID 7, 48-bit 4K tables. Returns the root. */
function s1Stream(rig: TestRig, g = 12, cd: object = {}) {
  rig.cmd('smmuv3.init', { log2size: 8 });
  const b = rig.unit.builder;
  const root = b.s1Root(g, 48);
  const cdAddr = b.alloc(64);
  b.writeCd(cdAddr, linuxLikeCd(root.table, 7, { TG0: g === 12 ? 0 : g === 16 ? 1 : 2, ...cd }));
  rig.cmd('smmuv3.ste.write', {
    sid: 3,
    fields: { V: 1, Config: 0b101, S1ContextPtr: `0x${cdAddr.toString(16)}` },
  });
  return root;
}

describe('translate: stage 1', () => {
  for (const g of [12, 14, 16]) {
    it(`maps a page and a block with the ${2 ** (g - 10)}K granule, then hits the TLB`, () => {
      const rig = makeRig();
      const root = s1Stream(rig, g);
      const b = rig.unit.builder;
      const page = 2 ** g;
      b.map(root, (0x1234 * page) / 4096, 0x4000_0000 + 5 * page, 3, 1, { ap: 0b01 });
      expect(dma(rig, 3, BigInt(0x1234 * page + 0x10))).toBe(0);
      expect(res.outPfn * 4096 + res.offset).toBe(0x4000_0000 + 5 * page + 0x10);
      expect(res.pageShift).toBe(g);
      expect(res.hit).toBe(false);
      expect(dma(rig, 3, BigInt(0x1234 * page + 0x20), ACCESS.WRITE)).toBe(0);
      expect(res.hit).toBe(true);
      // A level-2 block.
      const blockShift = g + (g - 3);
      const va = 3 * 2 ** blockShift;
      b.map(root, va / 4096, 2 ** blockShift, 2, 1);
      expect(dma(rig, 3, BigInt(va + 0x5000))).toBe(0);
      expect(res.outPfn * 4096).toBe(2 ** blockShift + 0x5000);
      expect(res.pageShift).toBe(blockShift);
    });
  }

  it('faults F_TRANSLATION on an unmapped page, recorded in the event queue with SID and address', () => {
    const rig = makeRig();
    s1Stream(rig);
    expect(dma(rig, 3, 0x7777_0123n, ACCESS.WRITE)).toBe(FAULT_KIND.TRANSLATION);
    expect(res.archCode).toBe(SMMU_EVENT.F_TRANSLATION);
    const ev = rig.cmd('smmuv3.evtq.read') as {
      events: { name: string; sid: number; input: string; rnw: number }[];
    };
    expect(ev.events).toEqual([
      expect.objectContaining({ name: 'F_TRANSLATION', sid: 3, input: '0x77770123', rnw: 0 }),
    ]);
  });

  it('F_PERMISSION on a write to a read-only page, F_ACCESS when AF = 0, and no record when CD.R = 0', () => {
    const rig = makeRig();
    const root = s1Stream(rig, 12, { R: 0 });
    const b = rig.unit.builder;
    b.map(root, 0x10, 0x10_0000, 3, 1, { ap: 0b11 });
    b.map(root, 0x11, 0x11_0000, 3, 1, { af: false });
    expect(dma(rig, 3, 0x10_000n)).toBe(0);
    expect(dma(rig, 3, 0x10_000n, ACCESS.WRITE)).toBe(FAULT_KIND.PERMISSION);
    expect(dma(rig, 3, 0x11_000n)).toBe(FAULT_KIND.ACCESS_FLAG);
    expect(res.archCode).toBe(SMMU_EVENT.F_ACCESS);
    const rec = rig.eventsOf('smmuv3.fault.raised');
    expect(rec.map((e) => [e.name, e.outcome])).toEqual([
      ['F_PERMISSION', 'not-recorded'],
      ['F_ACCESS', 'not-recorded'],
    ]);
  });
});

describe('hierarchical attributes (CD.HADx)', () => {
  it('IDR3.HAD = 1 advertises them, next to RIL when it is on', () => {
    // IDR3: HAD bit 2, RIL bit 10 (reference A.1).
    expect(makeRig().cmd('smmuv3.reg.read', { reg: 'IDR3' })).toBe('0x0000000000000404');
    expect(makeRig({ ril: false }).cmd('smmuv3.reg.read', { reg: 'IDR3' })).toBe('0x0000000000000004');
  });

  it('CD.HAD0 = 1 ignores APTable: a writable page under read-only tables can be written', () => {
    for (const had of [0, 1]) {
      const rig = makeRig();
      const root = s1Stream(rig, 12, { HAD0: had });
      rig.unit.builder.map(root, 0x10, 0x10_0000, 3, 1, {}, { tableAttrs: { apTable: 0b10 } });
      expect(dma(rig, 3, 0x10_000n, ACCESS.WRITE)).toBe(had === 1 ? 0 : FAULT_KIND.PERMISSION);
    }
  });
});

describe('translate: stage 2 and nested', () => {
  it('translates an S2-only stream and tags its TLB entries by VMID', () => {
    const rig = makeRig();
    rig.cmd('smmuv3.init', { log2size: 8 });
    const b = rig.unit.builder;
    const root = b.s2Root(12, 40, 1);
    b.map(root, 0x10_0000, 0x2000_0000, 3, 2, { s2ap: 0b01 });
    rig.cmd('smmuv3.ste.write', { sid: 5, fields: hexed(s2Ste(root, 40, 9)) });
    expect(dma(rig, 5, 0x1_0000_0abcn)).toBe(0);
    expect(res.outPfn * 4096 + res.offset).toBe(0x2000_0abc);
    expect(dma(rig, 5, 0x1_0000_0000n, ACCESS.WRITE)).toBe(FAULT_KIND.PERMISSION);
    const e = rig.eventsOf('smmuv3.fault.raised').at(-1)!;
    expect([e.name, e.s2, e.ipa]).toEqual(['F_PERMISSION', true, '0x100000000']);
    expect((rig.unit.digestState() as { tlb: { vmid: number; asid: null }[] }).tlb[0]).toMatchObject({
      vmid: 9,
      asid: null,
    });
  });

  it('nested: stage-1 tables at IPAs, CD at an IPA, output through stage 2', () => {
    const rig = makeRig();
    rig.cmd('smmuv3.init', { log2size: 8 });
    const b = rig.unit.builder;
    const s2 = b.s2Root(12, 40, 1);
    // Guest RAM: IPA 0x0..0x100_0000 -> PA 0x8000_0000 + IPA.
    const toPa = (ipa: number) => 0x8000_0000 + ipa;
    for (let p = 0; p < 0x1000; p++) b.map(s2, p, toPa(p * 4096), 3, 2);
    let next = 0x10_0000;
    const newTable = () => {
      next += 4096;
      return next;
    };
    const s1 = { granule: 12, startLevel: 0, table: 0x10_0000, startEntries: 512 };
    b.map(s1, 0x40, 0x20_0000, 3, 1, {}, { toPa, newTable });
    b.writeCd(toPa(0x1000), linuxLikeCd(s1.table, 4));
    rig.cmd('smmuv3.ste.write', {
      sid: 1,
      fields: hexed({ ...s2Ste(s2, 40, 2), Config: 0b111, S1ContextPtr: 0x1000 }),
    });
    expect(dma(rig, 1, 0x40_123n)).toBe(0);
    expect(res.outPfn * 4096 + res.offset).toBe(0x8000_0000 + 0x20_0123);
    // An IPA the stage 2 does not map: stage-2 fault with the IPA, class IN.
    b.map(s1, 0x41, 0x500_0000, 3, 1, {}, { toPa, newTable });
    expect(dma(rig, 1, 0x41_000n)).toBe(FAULT_KIND.TRANSLATION);
    const e = rig.eventsOf('smmuv3.fault.raised').at(-1)!;
    expect([e.name, e.s2, e.class, e.ipa]).toEqual(['F_TRANSLATION', true, 'in', '0x5000000']);
  });
});

function hexed(o: object): { [k: string]: string | number } {
  const out: { [k: string]: string | number } = {};
  for (const [k, v] of Object.entries(o))
    out[k] = typeof v === 'number' && v > 0xffff ? `0x${v.toString(16)}` : (v as number);
  return out;
}

describe('translate: hot decode of cached configurations (issue 16)', () => {
  // SIDs 3 and 67 share a hot slot (64 slots, by the low StreamID bits).
  const HIGH = 2 ** 40; // inside a 48-bit TTB0 region, outside a 39-bit one
  function twoStreams() {
    const rig = makeRig();
    rig.cmd('smmuv3.init', { log2size: 8 });
    const a = sStream(rig, 3, { asid: 1, bits: 48 });
    const b = sStream(rig, 67, { asid: 2, bits: 39 });
    for (let i = 0; i < 4; i++) rig.unit.builder.map(a, HIGH / 4096 + i, 0x4000_0000 + i * 4096, 3, 1);
    rig.unit.builder.map(b, 1, 0x5000_0000, 3, 1);
    return { rig, a };
  }

  it('StreamIDs sharing a slot each use their own region sizes', () => {
    const { rig } = twoStreams();
    for (let i = 0; i < 3; i++) {
      expect(sDma(rig, 3, HIGH)).toBe(0);
      expect(sDma(rig, 67, HIGH)).toBe(FAULT_KIND.TRANSLATION);
      expect(sDma(rig, 67, 0x1000)).toBe(0);
      expect(sRes.outPfn).toBe(0x5000_0000 / 4096);
    }
  });

  it('a CD rewritten without CFGI stays stale, CFGI_CD and loadState apply what the config cache holds', () => {
    const { rig, a } = twoStreams();
    expect(sDma(rig, 3, HIGH)).toBe(0);
    rig.unit.builder.writeCd(a.cd, linuxLikeCd(a.table, 1, { TG0: 0, T0SZ: 64 - 39 }));
    expect(sDma(rig, 3, HIGH + 4096)).toBe(0); // stale: the cached 48-bit region
    const saved = structuredClone(rig.unit.saveState());
    submit(rig, [{ op: 'CMD_CFGI_CD', sid: 3, ssid: 0, leaf: 1 }]);
    expect(sDma(rig, 3, HIGH + 2 * 4096)).toBe(FAULT_KIND.TRANSLATION);
    rig.unit.loadState(saved); // the stale 48-bit configuration again
    expect(sDma(rig, 3, HIGH + 3 * 4096)).toBe(0);
    submit(rig, [{ op: 'CMD_CFGI_STE', sid: 3, leaf: 1 }]);
    expect(sDma(rig, 3, HIGH + 3 * 4096)).toBe(FAULT_KIND.TRANSLATION);
  });
});
