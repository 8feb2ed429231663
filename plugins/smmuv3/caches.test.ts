/**
 * How the caches are keyed (reference A.8, D.1): the TLB by (VMID, ASID or
 * stage-2 marker, input page, leaf size) and never by StreamID; the config
 * cache by StreamID. And the `qemu` policy: 256 TLB entries, flushed when full.
 */
import { describe, expect, it } from 'vitest';
import { ACCESS } from '../../core/model/translation.js';
import {
  dma,
  makeRig,
  outAddr,
  res,
  s1Stream,
  s2Stream,
  submit,
  type TestRig,
  writeSte,
} from './test-support.js';

function rig(options?: Parameters<typeof makeRig>[0]): TestRig {
  const r = makeRig(options);
  r.cmd('smmuv3.init', { log2size: 6 });
  return r;
}

type TlbRow = { vmid: number; asid: number | null; page: string; shift: number; level: number };
const tlbRows = (r: TestRig): TlbRow[] => (r.unit.digestState() as { tlb: TlbRow[] }).tlb;

describe('TLB tags', () => {
  it('two StreamIDs with the same VMID and ASID share one entry (a hit for the second)', () => {
    const r = rig();
    const root = s1Stream(r, 1, { vmid: 5, asid: 3 });
    // SID 2 uses the same CD: same ASID, same tables.
    writeSte(r, 2, { V: 1, Config: 0b101, S1ContextPtr: root.cd, S2VMID: 5 });
    r.unit.builder.map(root, 0x40, 0x9_0000, 3, 1);
    expect(dma(r, 1, 0x40_010)).toBe(0);
    expect(res.hit).toBe(false);
    expect(dma(r, 2, 0x40_020)).toBe(0);
    expect(res.hit).toBe(true);
    expect(outAddr()).toBe(0x9_0020);
    expect(r.unit.caches.tlb.liveCount()).toBe(1);
    expect(tlbRows(r)).toEqual([
      {
        vmid: 5,
        asid: 3,
        page: '0x40',
        shift: 12,
        out: '0x90',
        s1perm: expect.any(Number),
        s2perm: 63,
        level: 3,
      },
    ]);
    expect(Object.keys(tlbRows(r)[0]!)).not.toContain('sid');
  });

  it('the same ASID under another VMID, or stage-2-only entries of the same VMID, are separate', () => {
    const r = rig();
    const root = s1Stream(r, 1, { vmid: 5, asid: 3 });
    writeSte(r, 2, { V: 1, Config: 0b101, S1ContextPtr: root.cd, S2VMID: 6 });
    const s2 = s2Stream(r, 3, { vmid: 5 });
    r.unit.builder.map(root, 0x40, 0x9_0000, 3, 1);
    r.unit.builder.map(s2, 0x40, 0xa_0000, 3, 2);
    for (const sid of [1, 2, 3]) {
      expect(dma(r, sid, 0x40_000)).toBe(0);
      expect(res.hit).toBe(false);
    }
    expect(tlbRows(r).map((e) => [e.vmid, e.asid])).toEqual([
      [5, 3],
      [6, 3],
      [5, null],
    ]);
  });

  it('an entry is sized as its leaf: one 2 MiB block entry, 16K and 64K pages', () => {
    const r = rig();
    const root = s1Stream(r, 1, { asid: 1 });
    r.unit.builder.map(root, 0x200, 0x40_0000, 2, 1);
    expect(dma(r, 1, 0x20_0000)).toBe(0);
    expect(dma(r, 1, 0x3f_f000)).toBe(0);
    expect([res.hit, outAddr()]).toEqual([true, 0x5f_f000]);
    for (const g of [14, 16]) {
      const root2 = s1Stream(r, g, { asid: g, granule: g });
      r.unit.builder.map(root2, 2 ** (g - 12), 2 ** g * 3, 3, 1);
      expect(dma(r, g, 2 ** g + 0x800)).toBe(0);
      expect(dma(r, g, 2 ** g * 2 - 8)).toBe(0);
      expect(res.hit).toBe(true);
    }
    expect(tlbRows(r).map((e) => [e.asid, e.shift, e.level])).toEqual([
      [1, 21, 2],
      [14, 14, 3],
      [16, 16, 3],
    ]);
  });
});

describe('TTB1 (upper) region', () => {
  it('entries of the upper region are kept apart from the lower one and dropped by their own address', () => {
    const r = rig();
    const b = r.unit.builder;
    const lower = b.s1Root(12, 48);
    const upper = b.s1Root(12, 48);
    const cd = b.alloc(64);
    b.writeCd(cd, {
      V: 1,
      AA64: 1,
      A: 1,
      R: 1,
      IPS: 5,
      ASID: 1,
      T0SZ: 16,
      TG0: 0,
      TTB0: lower.table,
      T1SZ: 16,
      TG1: 2,
      TTB1: upper.table,
    });
    writeSte(r, 1, { V: 1, Config: 0b101, S1ContextPtr: cd });
    // The same low 48 bits in both regions, mapped to different pages.
    const low48 = 0xfff_fff0_0000;
    b.map(lower, low48 / 4096, 0x10_0000, 3, 1);
    b.map(upper, low48 / 4096, 0x20_0000, 3, 1);
    const up = 0xffff_0000_0000_0000n + BigInt(low48);
    expect(dma(r, 1, low48 + 0x10)).toBe(0);
    expect(outAddr()).toBe(0x10_0010);
    expect(dma(r, 1, up + 0x10n)).toBe(0);
    expect([res.hit, outAddr()]).toEqual([false, 0x20_0010]);
    submit(r, [{ op: 'CMD_TLBI_NH_VA', vmid: 0, asid: 1, addr: `0x${up.toString(16)}` }]);
    expect(r.unit.caches.tlb.liveCount()).toBe(1);
    expect(dma(r, 1, low48)).toBe(0);
    expect(res.hit).toBe(true);
  });
});

describe('config cache', () => {
  it('is keyed by StreamID: one entry per stream, even when two streams share an STE image', () => {
    const r = rig();
    const root = s1Stream(r, 1, { asid: 3 });
    writeSte(r, 2, { V: 1, Config: 0b101, S1ContextPtr: root.cd });
    r.unit.builder.map(root, 1, 0x5000, 3, 1);
    dma(r, 1, 0x1000);
    dma(r, 2, 0x1000);
    dma(r, 1, 0x1000);
    expect(r.unit.caches.config.size).toBe(2);
    expect(r.unit.stats().caches.config).toMatchObject({ lookups: 3, hits: 1, misses: 2 });
    submit(r, [{ op: 'CMD_CFGI_STE', sid: 1 }]);
    expect(r.unit.caches.config.size).toBe(1);
  });
});

describe("the 'qemu' policy", () => {
  it('has 256 TLB entries and flushes them all when an insert finds it full', () => {
    const r = rig({ tlb: { policy: 'qemu' } });
    expect(r.unit.options.tlb).toEqual({ entries: 256, policy: 'qemu', ways: 'full' });
    const root = s1Stream(r, 1);
    for (let i = 0; i < 257; i++) r.unit.builder.map(root, 0x100 + i, 0x10_0000 + i * 4096, 3, 1);
    for (let i = 0; i < 256; i++) expect(dma(r, 1, (0x100 + i) * 4096)).toBe(0);
    expect(r.unit.caches.tlb.liveCount()).toBe(256);
    expect(dma(r, 1, 0x100 * 4096, ACCESS.READ)).toBe(0);
    expect(res.hit).toBe(true);
    // Entry 257: the table is full, so QEMU empties it and inserts the new one.
    expect(dma(r, 1, (0x100 + 256) * 4096)).toBe(0);
    expect(r.unit.caches.tlb.liveCount()).toBe(1);
    expect(dma(r, 1, 0x100 * 4096)).toBe(0);
    expect(res.hit).toBe(false);
  });

  it('an LRU TLB of the same size evicts one entry instead', () => {
    const r = rig({ tlb: { policy: 'lru', entries: 256 } });
    const root = s1Stream(r, 1);
    for (let i = 0; i < 257; i++) r.unit.builder.map(root, 0x100 + i, 0x10_0000 + i * 4096, 3, 1);
    for (let i = 0; i < 257; i++) dma(r, 1, (0x100 + i) * 4096);
    expect(r.unit.caches.tlb.liveCount()).toBe(256);
    expect(r.unit.stats().caches.tlb!.evictions).toBe(1);
  });
});
