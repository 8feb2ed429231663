/**
 * Every command the queue accepts, with what it drops and what it leaves
 * stale; and every command it refuses, with CERROR_ILL, CMDQ_CONS on the
 * refused entry and the queue halted until software acknowledges.
 */
import { describe, expect, it } from 'vitest';
import { hex64 } from '../../core/model/hex.js';
import { FAULT_KIND } from '../../core/model/translation.js';
import type { JsonObject } from '../../core/plugin/contract.js';
import { CMD_OP } from './structures/command.js';
import { dma, makeRig, s1Stream, s2Stream, submit, type TestRig, writeSte } from './test-support.js';

const PAGES = 8;
const VA = 0x10_0000;
const hex = (n: number): string => `0x${n.toString(16)}`;

/** A stream of world(): stage 1 with `asid`, or stage 2 only without one. */
interface StreamSpec {
  readonly sid: number;
  readonly vmid: number;
  readonly asid?: number;
}

const FOUR_STREAMS: readonly StreamSpec[] = [
  { sid: 1, vmid: 5, asid: 1 },
  { sid: 2, vmid: 5, asid: 2 },
  { sid: 3, vmid: 5 },
  { sid: 4, vmid: 6, asid: 1 },
];

/**
 * Streams each mapping pages VA + i·4K (i < 8), all cached, then unmapped from the tables
 * without invalidation — so a page still translates exactly while its TLB entry lives.
 * By default FOUR_STREAMS:
 *   SID 1: stage 1, VMID 5, ASID 1     SID 2: stage 1, VMID 5, ASID 2
 *   SID 3: stage 2 only, VMID 5        SID 4: stage 1, VMID 6, ASID 1
 */
function world(options?: JsonObject, streams: readonly StreamSpec[] = FOUR_STREAMS): TestRig {
  const r = makeRig(options);
  r.cmd('smmuv3.init', { log2size: 6 });
  const b = r.unit.builder;
  const leaves: number[] = [];
  const roots = streams.map(({ sid, vmid, asid }) =>
    asid === undefined
      ? { sid, root: s2Stream(r, sid, { vmid }), stage: 2 as const }
      : { sid, root: s1Stream(r, sid, { vmid, asid }), stage: 1 as const },
  );
  for (const { sid, root, stage } of roots) {
    for (let i = 0; i < PAGES; i++) {
      leaves.push(b.map(root, VA / 4096 + i, 0x80_0000 + sid * 0x10_0000 + i * 4096, 3, stage));
      expect(dma(r, sid, VA + i * 4096)).toBe(0);
    }
  }
  for (const at of leaves) b.writeDesc(at, [0, 0]);
  return r;
}

/** Pages of `sid` that still translate (their TLB entries survived). */
function cached(r: TestRig, sid: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < PAGES; i++) if (dma(r, sid, VA + i * 4096) === 0) out.push(i);
  return out;
}

const ALL = [0, 1, 2, 3, 4, 5, 6, 7];

/** cached() of each SID, 1..4 by default. */
function survivors(r: TestRig, sids: readonly number[] = [1, 2, 3, 4]): number[][] {
  return sids.map((sid) => cached(r, sid));
}

/** The `entries` each executed command reported dropping. */
function dropped(r: TestRig): [string, unknown][] {
  return r
    .eventsOf('smmuv3.command.executed')
    .filter((e) => e.op !== 'CMD_SYNC')
    .map((e) => [e.op, e.detail.entries]);
}

describe('TLB invalidation', () => {
  it('CMD_TLBI_NH_VA: one page of one (VMID, ASID)', () => {
    const r = world();
    submit(r, [{ op: 'CMD_TLBI_NH_VA', vmid: 5, asid: 1, addr: hex(VA + 0x2000), leaf: 1 }]);
    expect(survivors(r)).toEqual([[0, 1, 3, 4, 5, 6, 7], ALL, ALL, ALL]);
    expect(dropped(r)).toEqual([['CMD_TLBI_NH_VA', 1]]);
  });

  it('CMD_TLBI_NH_VA range form: (NUM+1)·2^SCALE granules of TG (4K and 16K)', () => {
    const r = world();
    // TG = 1 (4K), NUM = 2, SCALE = 1: 6 pages from page 1.
    submit(r, [{ op: 'CMD_TLBI_NH_VA', vmid: 5, asid: 1, addr: hex(VA + 0x1000), tg: 1, num: 2, scale: 1 }]);
    expect(cached(r, 1)).toEqual([0, 7]);
    // TG = 2 (16K), NUM = 0, SCALE = 0: one 16K granule = pages 4..7.
    submit(r, [{ op: 'CMD_TLBI_NH_VA', vmid: 5, asid: 2, addr: hex(VA + 0x4000), tg: 2, num: 0, scale: 0 }]);
    expect(cached(r, 2)).toEqual([0, 1, 2, 3]);
    // TG = 3 (64K): 16 pages, everything from VA.
    submit(r, [{ op: 'CMD_TLBI_NH_VA', vmid: 6, asid: 1, addr: hex(VA), tg: 3 }]);
    expect(cached(r, 4)).toEqual([]);
    expect(dropped(r)).toEqual([
      ['CMD_TLBI_NH_VA', 6],
      ['CMD_TLBI_NH_VA', 4],
      ['CMD_TLBI_NH_VA', 8],
    ]);
  });

  it('CMD_TLBI_NH_VA naming any address inside a 2 MiB block or a 64K page drops that entry', () => {
    const r = makeRig();
    r.cmd('smmuv3.init', { log2size: 6 });
    const blk = s1Stream(r, 1, { asid: 1 });
    const big = s1Stream(r, 2, { asid: 2, granule: 16 });
    r.unit.builder.map(blk, 0x200, 0x40_0000, 2, 1);
    r.unit.builder.map(big, 0x10, 0x8_0000, 3, 1);
    expect(dma(r, 1, 0x20_0000)).toBe(0);
    expect(dma(r, 2, 0x1_0000)).toBe(0);
    expect(r.unit.caches.tlb.liveCount()).toBe(2);
    submit(r, [
      { op: 'CMD_TLBI_NH_VA', vmid: 0, asid: 1, addr: '0x3ff000' },
      { op: 'CMD_TLBI_NH_VA', vmid: 0, asid: 2, addr: '0x1f000' },
    ]);
    expect(dropped(r)).toEqual([
      ['CMD_TLBI_NH_VA', 1],
      ['CMD_TLBI_NH_VA', 1],
    ]);
    expect(r.unit.caches.tlb.liveCount()).toBe(0);
  });

  it('CMD_TLBI_NH_VAA: one page of every ASID of the VMID, not stage-2-only entries', () => {
    const r = world();
    submit(r, [{ op: 'CMD_TLBI_NH_VAA', vmid: 5, addr: hex(VA + 0x3000) }]);
    const but3 = [0, 1, 2, 4, 5, 6, 7];
    expect(survivors(r)).toEqual([but3, but3, ALL, ALL]);
  });

  it('CMD_TLBI_NH_ASID: every page of one (VMID, ASID)', () => {
    const r = world();
    submit(r, [{ op: 'CMD_TLBI_NH_ASID', vmid: 5, asid: 2 }]);
    expect(survivors(r)).toEqual([ALL, [], ALL, ALL]);
    expect(dropped(r)).toEqual([['CMD_TLBI_NH_ASID', 8]]);
  });

  it('CMD_TLBI_NH_ALL: every stage-1 entry of the VMID; stage-2-only entries stay', () => {
    const r = world();
    submit(r, [{ op: 'CMD_TLBI_NH_ALL', vmid: 5 }]);
    expect(survivors(r)).toEqual([[], [], ALL, ALL]);
  });

  it('CMD_TLBI_S12_VMALL: stage-1 and stage-2 entries of the VMID', () => {
    const r = world();
    submit(r, [{ op: 'CMD_TLBI_S12_VMALL', vmid: 5 }]);
    expect(survivors(r)).toEqual([[], [], [], ALL]);
    expect(dropped(r)).toEqual([['CMD_TLBI_S12_VMALL', 24]]);
  });

  it('CMD_TLBI_S2_IPA: stage-2 entries by IPA, single and range form', () => {
    const r = world();
    submit(r, [{ op: 'CMD_TLBI_S2_IPA', vmid: 5, ipa: hex(VA + 0x5000), leaf: 1 }]);
    expect(survivors(r)).toEqual([ALL, ALL, [0, 1, 2, 3, 4, 6, 7], ALL]);
    submit(r, [{ op: 'CMD_TLBI_S2_IPA', vmid: 5, ipa: hex(VA), tg: 1, num: 1, scale: 0 }]);
    expect(cached(r, 3)).toEqual([2, 3, 4, 6, 7]);
  });

  it('CMD_TLBI_NSNH_ALL: everything', () => {
    const r = world();
    submit(r, [{ op: 'CMD_TLBI_NSNH_ALL' }]);
    expect(survivors(r)).toEqual([[], [], [], []]);
    expect(dropped(r)).toEqual([['CMD_TLBI_NSNH_ALL', 32]]);
  });
});

describe('TLB invalidation without stage 2 (stages "s1"): the VMID field is ignored', () => {
  // Reference A.8: entries of an SMMU without stage 2 carry no VMID, so NH_ALL drops everything,
  // NH_ASID / NH_VA match the ASID alone and NH_VAA every ASID. STE.S2VMID (5, 6) is not used either.
  const S1_STREAMS: readonly StreamSpec[] = [
    { sid: 1, vmid: 5, asid: 1 },
    { sid: 2, vmid: 6, asid: 2 },
  ];
  const but = (page: number): number[] => ALL.filter((i) => i !== page);
  const cases: [JsonObject, number[][], number][] = [
    [{ op: 'CMD_TLBI_NH_ALL', vmid: 7 }, [[], []], 16],
    [{ op: 'CMD_TLBI_NH_ASID', vmid: 7, asid: 2 }, [ALL, []], 8],
    [{ op: 'CMD_TLBI_NH_VA', vmid: 7, asid: 1, addr: hex(VA + 0x2000), leaf: 1 }, [but(2), ALL], 1],
    [{ op: 'CMD_TLBI_NH_VAA', vmid: 7, addr: hex(VA + 0x3000) }, [but(3), but(3)], 2],
  ];

  for (const [command, left, entries] of cases) {
    it(`${command.op} with VMID 7 drops what it names, and reports no VMID`, () => {
      const r = world({ stages: 's1' }, S1_STREAMS);
      submit(r, [command]);
      expect(survivors(r, [1, 2])).toEqual(left);
      expect(r.eventsOf('smmuv3.command.executed')[0]!.detail).toMatchObject({ vmid: null, entries });
    });
  }
});

describe('configuration cache invalidation', () => {
  /** STEs of `sids` made stage-1 and cached, then rewritten to abort without invalidation. */
  function staleAborts(sids: number[]): TestRig {
    const r = makeRig();
    r.cmd('smmuv3.init', { log2size: 6 });
    for (const sid of sids) {
      const root = s1Stream(r, sid);
      r.unit.builder.map(root, 1, 0x5000, 3, 1);
      expect(dma(r, sid, 0x1000)).toBe(0);
      writeSte(r, sid, { V: 1, Config: 0b000 });
    }
    return r;
  }
  const blocked = (r: TestRig, sids: number[]): number[] =>
    sids.filter((sid) => dma(r, sid, 0x1000) === FAULT_KIND.BLOCKED);

  it('CMD_CFGI_STE: the changed STE is used only after it, and only for that StreamID', () => {
    const r = staleAborts([1, 2]);
    expect(blocked(r, [1, 2])).toEqual([]);
    submit(r, [{ op: 'CMD_CFGI_STE', sid: 2, leaf: 1 }]);
    expect(blocked(r, [1, 2])).toEqual([2]);
  });

  it('CMD_CFGI_STE_RANGE: 2^(Range+1) StreamIDs from the SID aligned down', () => {
    const sids = [3, 4, 5, 6, 7, 8];
    const r = staleAborts(sids);
    submit(r, [{ op: 'CMD_CFGI_STE_RANGE', sid: 6, range: 1 }]);
    expect(blocked(r, sids)).toEqual([4, 5, 6, 7]);
    expect(r.eventsOf('smmuv3.command.executed')[0]!.detail).toMatchObject({ sid: 4, count: 4, entries: 4 });
  });

  it('CMD_CFGI_ALL (CFGI_STE_RANGE with Range = 31): every StreamID', () => {
    const sids = [1, 9, 33];
    const r = staleAborts(sids);
    submit(r, [{ op: 'CMD_CFGI_ALL' }]);
    expect(blocked(r, sids)).toEqual(sids);
    expect(r.eventsOf('smmuv3.command.executed')[0]!.op).toBe('CMD_CFGI_ALL');
  });

  it('CMD_CFGI_CD and CMD_CFGI_CD_ALL: a changed CD (new ASID, new table) is used only after them', () => {
    const r = makeRig();
    r.cmd('smmuv3.init', { log2size: 6 });
    const b = r.unit.builder;
    for (const [sid, op] of [
      [1, 'CMD_CFGI_CD'],
      [2, 'CMD_CFGI_CD_ALL'],
    ] as const) {
      const root = s1Stream(r, sid, { asid: sid });
      b.map(root, 1, 0x5000, 3, 1);
      expect(dma(r, sid, 0x1000)).toBe(0);
      // The CD now says EPD0 = 1: no TTB0 walks. The cached config still walks TTB0.
      b.writeCd(root.cd, { V: 1, AA64: 1, A: 1, R: 1, T0SZ: 16, EPD0: 1, EPD1: 1, IPS: 5, ASID: 40 + sid });
      submit(r, [{ op: 'CMD_TLBI_NH_ALL', vmid: 0 }]);
      expect(dma(r, sid, 0x1000)).toBe(0);
      submit(r, [{ op, sid, ssid: 0, leaf: 1 }]);
      expect(dma(r, sid, 0x1000)).toBe(FAULT_KIND.TRANSLATION);
    }
  });

  it('CMD_PREFETCH_CONFIG / CMD_PREFETCH_ADDR are accepted hints that change nothing', () => {
    const r = staleAborts([1]);
    const report = submit(r, [
      { op: 'CMD_PREFETCH_CONFIG', sid: 1 },
      { op: 'CMD_PREFETCH_ADDR', sid: 1, addr: '0x1000' },
    ]);
    expect(report).toMatchObject({ executed: 2, error: null });
    expect(blocked(r, [1])).toEqual([]);
  });
});

describe('CMD_SYNC', () => {
  it('completes (nothing is outstanding) and counts; CS = IRQ and SEV are accepted', () => {
    const r = makeRig();
    r.cmd('smmuv3.init');
    submit(r, [
      { op: 'CMD_SYNC', cs: 1 },
      { op: 'CMD_SYNC', cs: 2 },
    ]);
    expect(r.unit.cmdq.syncs).toBe(2);
    expect(r.eventsOf('smmuv3.command.executed').map((e) => e.detail.cs)).toEqual(['irq', 'sev']);
    expect(r.cmd('smmuv3.reg.read', { reg: 'CMDQ_CONS' })).toBe('0x0000000000000002');
  });
});

describe('commands the queue refuses', () => {
  const refused: [string, JsonObject, JsonObject?][] = [
    ['an unknown opcode', { raw: ['0xff', '0x0'] }],
    ["opcode 0x07 (QEMU's CFGI_ALL enum value, not a command)", { raw: ['0x7', '0x0'] }],
    ['opcode 0x00', { raw: ['0x0', '0x0'] }],
    ['SSec = 1 on the Non-secure queue', { op: 'CMD_TLBI_NSNH_ALL', ssec: 1 }],
    ['CMD_SYNC with CS = 3 (reserved)', { op: 'CMD_SYNC', cs: 3 }],
    ['an EL2 TLBI (no HYP)', { op: 'CMD_TLBI_EL2_ALL' }],
    ['an EL3 TLBI', { op: 'CMD_TLBI_EL3_VA', addr: '0x1000' }],
    ['CMD_ATC_INV (no ATS)', { op: 'CMD_ATC_INV', sid: 1 }],
    ['CMD_PRI_RESP (no PRI)', { op: 'CMD_PRI_RESP', sid: 1 }],
    ['CMD_RESUME (no stalls)', { op: 'CMD_RESUME', sid: 1 }],
    ['CMD_STALL_TERM (no stalls)', { op: 'CMD_STALL_TERM', sid: 1 }],
    ['a range TLBI without RIL', { op: 'CMD_TLBI_NH_VA', tg: 1, addr: '0x1000' }, { ril: false }],
    ['CMD_CFGI_CD without stage 1', { op: 'CMD_CFGI_CD', sid: 1 }, { stages: 's2' }],
    ['CMD_TLBI_NH_ASID without stage 1', { op: 'CMD_TLBI_NH_ASID' }, { stages: 's2' }],
    ['CMD_TLBI_S2_IPA without stage 2', { op: 'CMD_TLBI_S2_IPA', ipa: '0x1000' }, { stages: 's1' }],
    ['CMD_TLBI_S12_VMALL without stage 2', { op: 'CMD_TLBI_S12_VMALL' }, { stages: 's1' }],
  ];

  for (const [what, bad, options] of refused) {
    it(`${what}: CERROR_ILL, CONS on it, the rest not run`, () => {
      const r = makeRig(options);
      r.cmd('smmuv3.init');
      const report = submit(r, [{ op: 'CMD_SYNC' }, bad, { op: 'CMD_SYNC' }]);
      expect(report.executed).toBe(1);
      expect(report.error).toMatchObject({ cerror: 1 });
      expect(r.unit.cmdq.syncs).toBe(1);
      // CONS = index 1 (the refused entry) with ERR (30:24) = CERROR_ILL.
      expect(r.cmd('smmuv3.reg.read', { reg: 'CMDQ_CONS' })).toBe(hex64((1 << 24) | 1));
      const gerror = Number(r.cmd('smmuv3.reg.read', { reg: 'GERROR' }));
      expect(gerror & 1).toBe(1);
      expect(r.eventsOf('smmuv3.command.failed')).toEqual([
        expect.objectContaining({ cerror: 'CERROR_ILL', cons: 1 }),
      ]);
    });
  }

  it('the queue stays halted until GERRORN acknowledges and software fixes the entry', () => {
    const r = makeRig();
    r.cmd('smmuv3.init');
    submit(r, [{ raw: ['0xff', '0x0'] }, { op: 'CMD_SYNC' }]);
    expect(submit(r, [{ op: 'CMD_SYNC' }])).toMatchObject({ executed: 0, error: null });
    expect(r.unit.cmdq.syncs).toBe(0);
    // As Linux does: overwrite the refused entry with a CMD_SYNC, acknowledge, write PROD again.
    const reg = Number(r.cmd('smmuv3.reg.read', { reg: 'CMDQ_BASE' }));
    const base = reg - (reg % 32);
    r.memory.writeBytes(base, new Uint8Array(new Uint32Array([CMD_OP.CMD_SYNC, 0, 0, 0]).buffer));
    r.cmd('smmuv3.gerror.ack');
    const prod = r.cmd('smmuv3.reg.read', { reg: 'CMDQ_PROD' }) as string;
    r.cmd('smmuv3.reg.write', { reg: 'CMDQ_PROD', value: prod });
    expect(r.unit.cmdq.syncs).toBe(3);
    expect(r.cmd('smmuv3.reg.read', { reg: 'CMDQ_CONS' })).toBe('0x0000000000000003');
  });

  it('an entry that cannot be read: CERROR_ABT', () => {
    const r = makeRig();
    r.cmd('smmuv3.init');
    r.cmd('smmuv3.reg.write', { reg: 'CMDQ_BASE', value: hex(0x1_0000_0000 + 4) });
    r.cmd('smmuv3.reg.write', { reg: 'CMDQ_PROD', value: 1 });
    expect(r.cmd('smmuv3.reg.read', { reg: 'CMDQ_CONS' })).toBe(hex64(2 << 24));
    expect(r.eventsOf('smmuv3.command.failed')[0]).toMatchObject({ cerror: 'CERROR_ABT' });
  });

  it('a JSON command with an unknown op or an oversized field is rejected before it reaches the queue', () => {
    const r = makeRig();
    r.cmd('smmuv3.init');
    expect(() => submit(r, [{ op: 'CMD_NOPE' }])).toThrow(/commands\[0\]\.op/);
    expect(() => submit(r, [{ op: 'CMD_TLBI_NH_ASID', asid: 0x1_0000 }])).toThrow(/commands\[0\]\.asid/);
    expect(r.cmd('smmuv3.reg.read', { reg: 'CMDQ_PROD' })).toBe('0x0000000000000000');
  });
});
