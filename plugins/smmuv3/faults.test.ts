/**
 * One test per event record the model produces (GENERATED_EVENTS): the record
 * as the driver reads it from the event queue — Type, StreamID, input address,
 * RnW, S2, CLASS, dw3 (IPA or fetch address) — and the fault kind translate()
 * returns. The last test checks that every generated code was seen here.
 */
import { describe, expect, it } from 'vitest';
import { ACCESS, FAULT_KIND } from '../../core/model/translation.js';
import { linuxLikeCd, s2Ste } from './builders.js';
import { EVENT_CLASS, GENERATED_EVENTS, SMMU_EVENT } from './faults.js';
import {
  dma,
  type EvtqRecord,
  makeRig,
  readEvents,
  res,
  s1Stream,
  s2Stream,
  submit,
  type TestRig,
  writeSte,
} from './test-support.js';

const R = ACCESS.READ;
const W = ACCESS.WRITE;
/** Beyond the rig's 4 GiB of memory: reads there abort. */
const UNBACKED = 0x1_0000_0000;
const hex = (n: number): string => `0x${n.toString(16)}`;

const covered = new Set<number>();

/** The one record in the queue; marks its code covered. */
function onlyRecord(rig: TestRig): EvtqRecord {
  const ev = readEvents(rig);
  expect(ev).toHaveLength(1);
  covered.add(ev[0]!.type);
  return ev[0]!;
}

function rig(options?: Parameters<typeof makeRig>[0]): TestRig {
  const r = makeRig(options);
  r.cmd('smmuv3.init', { log2size: 6 });
  return r;
}

describe('configuration errors (always recorded)', () => {
  it('C_BAD_STREAMID: a StreamID beyond STRTAB_BASE_CFG.LOG2SIZE, and beyond a level-2 Span', () => {
    const r = rig();
    expect(dma(r, 0x40, 0x1234, W)).toBe(FAULT_KIND.BAD_CONFIG);
    expect(res.archCode).toBe(SMMU_EVENT.C_BAD_STREAMID);
    expect(onlyRecord(r)).toMatchObject({
      name: 'C_BAD_STREAMID',
      sid: 0x40,
      input: '0x1234',
      rnw: 0,
      s2: 0,
    });
    const two = makeRig();
    two.cmd('smmuv3.init', { strtab: '2level', log2size: 12, split: 8 });
    // No level-2 table for SIDs 0x100..0x1ff: the level-1 descriptor has Span = 0.
    expect(dma(two, 0x123, 0x5000)).toBe(FAULT_KIND.BAD_CONFIG);
    expect(onlyRecord(two)).toMatchObject({ name: 'C_BAD_STREAMID', sid: 0x123, input: '0x5000', rnw: 1 });
  });

  it('F_STE_FETCH: the STE cannot be read; dw3 = its address', () => {
    const r = rig();
    r.cmd('smmuv3.reg.write', { reg: 'STRTAB_BASE', value: hex(UNBACKED) });
    expect(dma(r, 3, 0x8000)).toBe(FAULT_KIND.WALK_ABORT);
    expect(onlyRecord(r)).toMatchObject({ name: 'F_STE_FETCH', sid: 3, dw3: hex(UNBACKED + 3 * 64) });
  });

  it('C_BAD_STE: V = 0, and each field this SMMU cannot honour', () => {
    const cases: [string, (r: TestRig) => void, RegExp][] = [
      ['V = 0', (r) => writeSte(r, 5, { V: 0, Config: 0b101 }), /STE.V = 0/],
      ['S1CDMax = 1', (r) => s1Stream(r, 5, { ste: { S1CDMax: 1 } }), /S1CDMax/],
      ['S1STALLD = 1', (r) => s1Stream(r, 5, { ste: { S1STALLD: 1 } }), /S1STALLD/],
      ['S2TG = 3', (r) => s2Stream(r, 5, { ste: { S2TG: 3 } }), /S2TG = 3/],
      ['S2AA64 = 0', (r) => s2Stream(r, 5, { ste: { S2AA64: 0 } }), /AArch32/],
      ['S2S = 1', (r) => s2Stream(r, 5, { ste: { S2S: 1 } }), /S2S/],
      ['S2T0SZ = 10', (r) => s2Stream(r, 5, { ste: { S2T0SZ: 10 } }), /S2T0SZ/],
      ['stage 2 on an S1-only SMMU', (r) => s2Stream(r, 5), /stage 2, which is not implemented/],
    ];
    for (const [label, write, why] of cases) {
      const r = rig(label.includes('S1-only') ? { stages: 's1' } : undefined);
      write(r);
      expect(dma(r, 5, 0x9000), label).toBe(FAULT_KIND.BAD_CONFIG);
      expect(onlyRecord(r), label).toMatchObject({ name: 'C_BAD_STE', sid: 5, input: '0x9000' });
      expect(r.eventsOf('smmuv3.fault.raised')[0]!.reason, label).toMatch(why);
    }
  });

  it('C_BAD_SUBSTREAMID: a transaction with a SubstreamID on a single-CD stream', () => {
    const r = rig();
    s1Stream(r, 6);
    expect(dma(r, 6, 0xa000, R, { pasid: 3 })).toBe(FAULT_KIND.BAD_PASID);
    expect(onlyRecord(r)).toMatchObject({
      name: 'C_BAD_SUBSTREAMID',
      sid: 6,
      ssv: 1,
      ssid: 3,
      input: '0xa000',
    });
  });

  it('F_CD_FETCH: the CD cannot be read; dw3 = its address', () => {
    const r = rig();
    writeSte(r, 7, { V: 1, Config: 0b101, S1ContextPtr: UNBACKED + 0x40 });
    expect(dma(r, 7, 0xb000)).toBe(FAULT_KIND.WALK_ABORT);
    expect(onlyRecord(r)).toMatchObject({ name: 'F_CD_FETCH', sid: 7, dw3: hex(UNBACKED + 0x40) });
  });

  it('C_BAD_CD: V = 0 and each field this SMMU cannot honour; TBI says it is not modelled', () => {
    const cases: [object, RegExp, boolean][] = [
      [{ V: 0 }, /CD.V = 0/, false],
      [{ S: 1 }, /stalls/, false],
      [{ HA: 1 }, /HTTU/, false],
      [{ A: 0 }, /CD.A = 0/, false],
      [{ AA64: 0 }, /AArch32/, false],
      [{ ENDI: 1 }, /big-endian/, false],
      [{ TG0: 3 }, /TG0 = 3/, false],
      [{ T0SZ: 12 }, /T0SZ/, false],
      [{ TBI: 1 }, /top-byte-ignore/, true],
    ];
    for (const [cd, why, notModelled] of cases) {
      const r = rig();
      s1Stream(r, 8, { cd });
      expect(dma(r, 8, 0xc000)).toBe(notModelled ? FAULT_KIND.NOT_MODELLED : FAULT_KIND.BAD_CONFIG);
      expect(res.archCode).toBe(SMMU_EVENT.C_BAD_CD);
      expect(onlyRecord(r)).toMatchObject({ name: 'C_BAD_CD', sid: 8, input: '0xc000', s2: 0 });
      const e = r.eventsOf('smmuv3.fault.raised')[0]!;
      expect(e.reason).toMatch(why);
      expect(e.notModelled).toBe(notModelled);
    }
  });

  it('F_BAD_ATS_TREQ: an ATS translation request (ATS is not modelled)', () => {
    const r = rig();
    s1Stream(r, 9);
    expect(dma(r, 9, 0xd000, R, { ats: true })).toBe(FAULT_KIND.NOT_MODELLED);
    expect(res.archCode).toBe(SMMU_EVENT.F_BAD_ATS_TREQ);
    expect(onlyRecord(r)).toMatchObject({ name: 'F_BAD_ATS_TREQ', sid: 9, input: '0xd000' });
  });
});

describe('translation faults', () => {
  it('F_WALK_EABT: a stage-1 table that cannot be read; CLASS = TTD, dw3 = the descriptor address', () => {
    const r = rig();
    // CD.R = 0: walk aborts are recorded anyway, unlike translation-class faults.
    s1Stream(r, 4, { cd: { TTB0: UNBACKED, R: 0 } });
    expect(dma(r, 4, 0x40_0000)).toBe(FAULT_KIND.WALK_ABORT);
    // 48-bit 4K: the level-0 index of 0x400000 is 0.
    expect(onlyRecord(r)).toMatchObject({
      name: 'F_WALK_EABT',
      sid: 4,
      class: EVENT_CLASS.TTD,
      s2: 0,
      dw3: hex(UNBACKED),
    });
  });

  it('F_TRANSLATION at stage 1: unmapped page (CLASS = IN), and an input outside TTB0 (EPD1 = 1)', () => {
    const r = rig();
    s1Stream(r, 3);
    expect(dma(r, 3, 0x7777_0123, W)).toBe(FAULT_KIND.TRANSLATION);
    expect(onlyRecord(r)).toMatchObject({
      name: 'F_TRANSLATION',
      sid: 3,
      input: '0x77770123',
      rnw: 0,
      s2: 0,
      class: EVENT_CLASS.IN,
      dw3: '0x0',
    });
    expect(dma(r, 3, 0xffff_8000_0000_1000n)).toBe(FAULT_KIND.TRANSLATION);
    expect(onlyRecord(r)).toMatchObject({ input: '0xffff800000001000', rnw: 1, class: EVENT_CLASS.IN });
  });

  it('F_TRANSLATION at stage 2: S2 = 1 and dw3 = the IPA; an IPA beyond S2T0SZ faults too', () => {
    const r = rig();
    s2Stream(r, 2, { bits: 40, vmid: 3 });
    expect(dma(r, 2, 0x12_3456_7abc)).toBe(FAULT_KIND.TRANSLATION);
    expect(onlyRecord(r)).toMatchObject({
      name: 'F_TRANSLATION',
      sid: 2,
      s2: 1,
      class: EVENT_CLASS.IN,
      input: '0x1234567abc',
      dw3: '0x1234567000',
    });
    // 2^41 is below the IAS (44 bits) but beyond the 40-bit IPA space of S2T0SZ.
    expect(dma(r, 2, 2 ** 41)).toBe(FAULT_KIND.TRANSLATION);
    expect(onlyRecord(r)).toMatchObject({ name: 'F_TRANSLATION', s2: 1, dw3: hex(2 ** 41) });
  });

  it('nested: a stage-2 fault on a stage-1 descriptor fetch (CLASS = TTD) and on the CD fetch (CLASS = CD)', () => {
    const r = rig();
    const b = r.unit.builder;
    const s2 = b.s2Root(12, 40, 1);
    // The CD at IPA 0x1000 is mapped at stage 2; the stage-1 table at IPA 0x50_0000 is not.
    const cdPa = b.alloc(4096);
    b.map(s2, 1, cdPa, 3, 2);
    b.writeCd(cdPa, linuxLikeCd(0x50_0000, 1));
    const nested = (cdIpa: number) => ({ ...s2Ste(s2, 40, 4), Config: 0b111, S1ContextPtr: cdIpa });
    writeSte(r, 1, nested(0x1000));
    expect(dma(r, 1, 0x3000)).toBe(FAULT_KIND.TRANSLATION);
    expect(onlyRecord(r)).toMatchObject({
      name: 'F_TRANSLATION',
      sid: 1,
      s2: 1,
      class: EVENT_CLASS.TTD,
      dw3: '0x500000',
    });
    // The CD moved to an IPA that stage 2 does not map.
    writeSte(r, 1, nested(0x7000));
    submit(r, [{ op: 'CMD_CFGI_STE', sid: 1 }, { op: 'CMD_SYNC' }]);
    expect(dma(r, 1, 0x3000)).toBe(FAULT_KIND.TRANSLATION);
    expect(onlyRecord(r)).toMatchObject({
      name: 'F_TRANSLATION',
      sid: 1,
      s2: 1,
      class: EVENT_CLASS.CD,
      dw3: '0x7000',
    });
  });

  it('F_ADDR_SIZE: an output address beyond CD.IPS; an S2-only input beyond the IAS', () => {
    const r = rig();
    const root = s1Stream(r, 3, { cd: { IPS: 0 } }); // 32-bit output
    r.unit.builder.map(root, 0x10, 0x1_0000_0000, 3, 1);
    expect(dma(r, 3, 0x10_020)).toBe(FAULT_KIND.ADDRESS_SIZE);
    expect(onlyRecord(r)).toMatchObject({ name: 'F_ADDR_SIZE', sid: 3, s2: 0, input: '0x10020' });
    s2Stream(r, 4, { bits: 40 });
    // OAS = IAS = 44 bits by default.
    expect(dma(r, 4, 2 ** 44 + 0x1000)).toBe(FAULT_KIND.ADDRESS_SIZE);
    expect(onlyRecord(r)).toMatchObject({ name: 'F_ADDR_SIZE', sid: 4, input: hex(2 ** 44 + 0x1000) });
  });

  it('F_ACCESS: AF = 0 at stage 1 and at stage 2 (S2 = 1, dw3 = IPA); not with AFFD', () => {
    const r = rig();
    const root = s1Stream(r, 3);
    r.unit.builder.map(root, 0x11, 0x11_0000, 3, 1, { af: false });
    expect(dma(r, 3, 0x11_000)).toBe(FAULT_KIND.ACCESS_FLAG);
    expect(onlyRecord(r)).toMatchObject({ name: 'F_ACCESS', sid: 3, s2: 0, class: EVENT_CLASS.IN });
    const s2 = s2Stream(r, 4);
    r.unit.builder.map(s2, 0x22, 0x22_0000, 3, 2, { af: false });
    expect(dma(r, 4, 0x22_000)).toBe(FAULT_KIND.ACCESS_FLAG);
    expect(onlyRecord(r)).toMatchObject({ name: 'F_ACCESS', sid: 4, s2: 1, dw3: '0x22000' });
    const affd = rig();
    const root2 = s1Stream(affd, 3, { cd: { AFFD: 1 } });
    affd.unit.builder.map(root2, 0x11, 0x11_0000, 3, 1, { af: false });
    expect(dma(affd, 3, 0x11_000)).toBe(0);
  });

  it('F_PERMISSION: a write to a read-only page at stage 1 and at stage 2', () => {
    const r = rig();
    const root = s1Stream(r, 3);
    r.unit.builder.map(root, 0x10, 0x10_0000, 3, 1, { ap: 0b11 });
    expect(dma(r, 3, 0x10_008, W)).toBe(FAULT_KIND.PERMISSION);
    expect(onlyRecord(r)).toMatchObject({ name: 'F_PERMISSION', sid: 3, rnw: 0, s2: 0, input: '0x10008' });
    const s2 = s2Stream(r, 4);
    r.unit.builder.map(s2, 0x30, 0x30_0000, 3, 2, { s2ap: 0b01 });
    expect(dma(r, 4, 0x30_010, W)).toBe(FAULT_KIND.PERMISSION);
    expect(onlyRecord(r)).toMatchObject({ name: 'F_PERMISSION', sid: 4, rnw: 0, s2: 1, dw3: '0x30000' });
  });
});

describe('where records go', () => {
  it('translation-class faults are recorded only with CD.R / STE.S2R; the kind is returned either way', () => {
    const r = rig();
    s1Stream(r, 3, { cd: { R: 0 } });
    s2Stream(r, 4, { ste: { S2R: 0 } });
    expect(dma(r, 3, 0x1000)).toBe(FAULT_KIND.TRANSLATION);
    expect(dma(r, 4, 0x1000)).toBe(FAULT_KIND.TRANSLATION);
    expect(readEvents(r)).toEqual([]);
    expect(r.eventsOf('smmuv3.fault.raised').map((e) => [e.sid, e.outcome])).toEqual([
      [3, 'not-recorded'],
      [4, 'not-recorded'],
    ]);
  });

  it('a full queue loses the record and toggles EVTQ_PROD.OVFLG', () => {
    const r = makeRig();
    r.cmd('smmuv3.init', { log2size: 6, evtqLog2: 1 });
    s1Stream(r, 3);
    for (let i = 0; i < 3; i++) dma(r, 3, 0x1000 * (i + 1));
    expect(r.eventsOf('smmuv3.fault.raised').map((e) => e.outcome)).toEqual(['queued', 'queued', 'overflow']);
    const q = r.cmd('smmuv3.evtq.read') as { events: EvtqRecord[]; overflow: boolean };
    expect(q.events.map((e) => e.input)).toEqual(['0x1000', '0x2000']);
    expect(q.overflow).toBe(true);
  });

  it('abort and bypass STEs and a disabled SMMU record nothing', () => {
    const r = rig();
    writeSte(r, 1, { V: 1, Config: 0b000 });
    writeSte(r, 2, { V: 1, Config: 0b100 });
    expect(dma(r, 1, 0x1000)).toBe(FAULT_KIND.BLOCKED);
    expect(dma(r, 2, 0x1234)).toBe(0);
    expect(res.outPfn * 4096 + res.offset).toBe(0x1234);
    r.cmd('smmuv3.reg.write', { reg: 'CR0', value: 0 });
    r.cmd('smmuv3.reg.write', { reg: 'GBPA', value: hex(1 << 20) });
    expect(dma(r, 2, 0x1234)).toBe(FAULT_KIND.BLOCKED);
    expect(r.eventsOf('smmuv3.fault.raised')).toEqual([]);
  });
});

describe('coverage', () => {
  // Runs last in this file: every code the model can generate was produced and read back above.
  it('covers every code in GENERATED_EVENTS', () => {
    expect([...covered].sort((a, b) => a - b)).toEqual([...GENERATED_EVENTS].sort((a, b) => a - b));
  });
});
