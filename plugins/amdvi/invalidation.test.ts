/** Every command the buffer accepts, what it drops, and what it leaves stale. */
import { describe, expect, it } from 'vitest';
import { ACCESS, FAULT_KIND } from '../../core/model/translation.js';
import { Fixture } from './test-fixture.js';

const R = ACCESS.READ;

function mapped(domainId = 1): { f: Fixture; root: string } {
  const f = new Fixture();
  const { root } = f.setup({ domainId });
  const r = `0x${root.toString(16)}`;
  for (let i = 0; i < 8; i++)
    f.cmd('amdvi.pagetable.map', {
      root: r,
      iova: `0x${(0x10_0000 + i * 0x1000).toString(16)}`,
      pa: `0x${(0x80_0000 + i * 0x1000).toString(16)}`,
    });
  for (let i = 0; i < 8; i++) expect(f.dma(0x10, 0x10_0000 + i * 0x1000, R)).toBe(0);
  return { f, root: r };
}

/** Unmaps every page from the tables (no invalidation), so a cached page still translates and an uncached one faults. */
function unmapAll(f: Fixture, root: string): void {
  for (let i = 0; i < 8; i++)
    f.cmd('amdvi.pagetable.unmap', { root, iova: `0x${(0x10_0000 + i * 0x1000).toString(16)}` });
}

function cachedPages(f: Fixture): number[] {
  const out: number[] = [];
  for (let i = 0; i < 8; i++) if (f.dma(0x10, 0x10_0000 + i * 0x1000, R) === 0) out.push(i);
  return out;
}

describe('command buffer', () => {
  it('COMPLETION_WAIT stores its data and sets ComWaitInt', () => {
    const f = new Fixture();
    f.setup();
    f.submit([{ op: 'COMPLETION_WAIT', s: true, i: true, storeAddr: '0x5000', data: '0x1122334455667788' }]);
    expect(f.mem.read64(0x5000)).toBe(0x1122334455667788n);
    expect(BigInt(f.cmd('amdvi.mmio.read', { reg: 'STATUS' }) as string) & 4n).toBe(4n);
    expect(f.of('amdvi.completion.signalled')).toEqual([
      { unit: 'amdvi0', store: '0x0000000000005000', data: '0x1122334455667788', interrupt: true },
    ]);
    // Write-1-to-clear.
    f.cmd('amdvi.mmio.write', { reg: 'STATUS', value: '0x4' });
    expect(BigInt(f.cmd('amdvi.mmio.read', { reg: 'STATUS' }) as string) & 4n).toBe(0n);
  });

  it('INVALIDATE_IOMMU_PAGES S=0 drops one page; S=1 drops the encoded range; all drops the domain', () => {
    const { f, root } = mapped();
    unmapAll(f, root);
    f.submit([{ op: 'INVALIDATE_IOMMU_PAGES', domainId: 1, s: false, address: '0x102000' }]);
    expect(cachedPages(f)).toEqual([0, 1, 3, 4, 5, 6, 7]);
    // Address 0x104000 with S=1: bit 12 clear -> 8 KiB at 0x104000 (pages 4 and 5).
    f.submit([{ op: 'INVALIDATE_IOMMU_PAGES', domainId: 1, s: true, address: '0x104000' }]);
    expect(cachedPages(f)).toEqual([0, 1, 3, 6, 7]);
    f.submit([{ op: 'INVALIDATE_IOMMU_PAGES', domainId: 1, all: true }]);
    expect(cachedPages(f)).toEqual([]);
  });

  it('INVALIDATE_IOMMU_PAGES of another DomainID leaves the host entries', () => {
    const { f, root } = mapped(5);
    unmapAll(f, root);
    f.submit([{ op: 'INVALIDATE_IOMMU_PAGES', domainId: 6, all: true }]);
    expect(cachedPages(f)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    const ev = f.of<{ domainId: number; pasid: number | null; dropped: number }>('amdvi.iotlb.invalidated');
    expect(ev.map((e) => [e.domainId, e.pasid, e.dropped])).toEqual([[6, null, 0]]);
  });

  it('INVALIDATE_IOMMU_PAGES with GN=1 is illegal without EFR.GTSup: the buffer stops on it, nothing dropped', () => {
    const { f, root } = mapped(5);
    unmapAll(f, root);
    const cmdBase = BigInt(f.cmd('amdvi.mmio.read', { reg: 'CMD_BUF_BASE' }) as string) & 0xf_ffff_ffff_f000n;
    const head = BigInt(f.cmd('amdvi.mmio.read', { reg: 'CMD_HEAD' }) as string);
    expect(
      f.submit([
        { op: 'INVALIDATE_IOMMU_PAGES', domainId: 5, gn: true, pasid: 1, all: true },
        { op: 'INVALIDATE_IOMMU_ALL' },
      ]),
    ).toEqual({ executed: 0, stoppedBy: 'ILLEGAL_COMMAND_ERROR' });
    const logged = f.of<{ name: string; address: string; detail: string }>('amdvi.event.logged');
    expect(logged.at(-1)).toMatchObject({
      name: 'ILLEGAL_COMMAND_ERROR',
      address: `0x${(cmdBase + head).toString(16).padStart(16, '0')}`,
      detail: expect.stringMatching(/GN=1.*GTSup/),
    });
    expect(f.cmd('amdvi.mmio.read', { reg: 'CMD_HEAD' })).toBe(`0x${head.toString(16).padStart(16, '0')}`);
    expect(f.of('amdvi.iotlb.invalidated')).toEqual([]);
    expect(cachedPages(f)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('INVALIDATE_IOMMU_PAGES drops a NextLevel-7 page when it names any 4 KiB of it', () => {
    const f = new Fixture();
    const { root } = f.setup();
    const r = `0x${root.toString(16)}`;
    // One 4 MiB page (NextLevel 7 in two level-2 slots) and a 4 KiB page after it.
    f.cmd('amdvi.pagetable.map', { root: r, iova: '0x400000', pa: '0x1800000', size: '0x400000' });
    f.cmd('amdvi.pagetable.map', { root: r, iova: '0x800000', pa: '0x2800000' });
    for (const iova of [0x40_1000, 0x60_1000, 0x80_0000]) expect(f.dma(0x10, iova, R)).toBe(0);
    expect(f.dma(0x10, 0x40_1000, R)).toBe(0);
    expect(f.out.hit).toBe(true);
    // S=0 names the 4 KiB page at 0x600000, inside the 4 MiB page: the whole page goes, the next one stays.
    f.submit([{ op: 'INVALIDATE_IOMMU_PAGES', domainId: 1, s: false, address: '0x600000' }]);
    expect(f.of<{ dropped: number }>('amdvi.iotlb.invalidated').at(-1)?.dropped).toBe(2);
    for (const iova of [0x40_1000, 0x60_1000]) {
      expect(f.dma(0x10, iova, R)).toBe(0);
      expect(f.out.hit).toBe(false);
    }
    expect(f.dma(0x10, 0x80_0000, R)).toBe(0);
    expect(f.out.hit).toBe(true);
  });

  it("the 'qemu' policy keys by (DeviceID, gfn) and INVALIDATE_IOMMU_PAGES drops every entry of the DomainID", () => {
    const f = new Fixture({ iotlb: { policy: 'qemu' } });
    const { root } = f.setup({ domainId: 9 });
    const r = `0x${root.toString(16)}`;
    for (let i = 0; i < 4; i++)
      f.cmd('amdvi.pagetable.map', {
        root: r,
        iova: `0x${(0x10_0000 + i * 0x1000).toString(16)}`,
        pa: `0x${(0x80_0000 + i * 0x1000).toString(16)}`,
      });
    f.dte(0x11, { mode: 3, root: r, domainId: 9 });
    f.dte(0x12, { mode: 3, root: r, domainId: 4 });
    expect(f.dma(0x10, 0x10_0000, R)).toBe(0);
    // Same domain, same page, another device: its own entry.
    expect(f.dma(0x11, 0x10_0000, R)).toBe(0);
    expect(f.out.hit).toBe(false);
    expect(f.dma(0x11, 0x10_0000, R)).toBe(0);
    expect(f.out.hit).toBe(true);
    expect(f.dma(0x10, 0x10_3000, R)).toBe(0);
    expect(f.dma(0x12, 0x10_0000, R)).toBe(0);
    expect(f.unit.iotlb.cache.liveCount()).toBe(4);
    // One page, at an address no entry has: every entry of domain 9, whichever device, goes.
    f.submit([{ op: 'INVALIDATE_IOMMU_PAGES', domainId: 9, s: false, address: '0x102000' }]);
    expect(f.of<{ dropped: number }>('amdvi.iotlb.invalidated').at(-1)?.dropped).toBe(3);
    for (const [dev, iova] of [
      [0x10, 0x10_0000],
      [0x11, 0x10_0000],
      [0x10, 0x10_3000],
    ] as const) {
      expect(f.dma(dev, iova, R)).toBe(0);
      expect(f.out.hit).toBe(false);
    }
    expect(f.dma(0x12, 0x10_0000, R)).toBe(0);
    expect(f.out.hit).toBe(true);
  });

  it('the IOTLB is tagged by DomainID: two devices of one domain share entries and one flush', () => {
    const { f, root } = mapped(9);
    f.dte(0x11, { mode: 3, root, domainId: 9 });
    const before = f.unit.stats().caches.iotlb!.hits;
    expect(f.dma(0x11, 0x10_0000, R)).toBe(0);
    expect(f.out.hit).toBe(true);
    expect(f.unit.stats().caches.iotlb!.hits).toBe(before + 1);
    unmapAll(f, root);
    f.submit([{ op: 'INVALIDATE_IOMMU_PAGES', domainId: 9, all: true }]);
    expect(f.dma(0x10, 0x10_0000, R)).toBe(FAULT_KIND.TRANSLATION);
    expect(f.dma(0x11, 0x10_0000, R)).toBe(FAULT_KIND.TRANSLATION);
  });

  it('INVALIDATE_DEVTAB_ENTRY: a changed DTE is used only after it', () => {
    const { f, root } = mapped(1);
    // Move the device to domain 2 with no permissions: the cached DTE still says domain 1.
    f.cmd('amdvi.dte.write', { deviceId: 0x10, v: true, tv: true, mode: 3, root, domainId: 2 });
    expect(f.dma(0x10, 0x10_0000, R)).toBe(0);
    f.submit([{ op: 'INVALIDATE_DEVTAB_ENTRY', deviceId: 0x10 }]);
    expect(f.dma(0x10, 0x10_0000, R)).toBe(FAULT_KIND.PERMISSION);
    expect(f.of<{ deviceId: number; dropped: number }>('amdvi.dte.invalidated').at(-1)).toMatchObject({
      deviceId: 0x10,
      dropped: 1,
    });
  });

  it('INVALIDATE_IOMMU_ALL drops the IOTLB and the DTE cache', () => {
    const { f, root } = mapped(1);
    unmapAll(f, root);
    f.cmd('amdvi.dte.write', { deviceId: 0x10, v: false });
    f.submit([{ op: 'INVALIDATE_IOMMU_ALL' }]);
    // V=0 now: untranslated.
    expect(f.dma(0x10, 0x10_0000, R)).toBe(0);
    expect(f.outAddr).toBe(0x10_0000n);
    expect(f.unit.iotlb.cache.liveCount()).toBe(0);
  });

  it('INVALIDATE_INTERRUPT_TABLE is accepted (no interrupt-table cache exists to drop)', () => {
    const f = new Fixture();
    f.setup();
    expect(f.submit([{ op: 'INVALIDATE_INTERRUPT_TABLE', deviceId: 3 }])).toEqual({
      executed: 1,
      stoppedBy: null,
    });
    expect(f.of<{ name: string }>('amdvi.command.executed').map((e) => e.name)).toContain(
      'INVALIDATE_INTERRUPT_TABLE',
    );
  });

  it('a malformed command stops the buffer until software moves the head and re-enables it', () => {
    const f = new Fixture();
    f.setup();
    const bad = f.submit([
      { raw: ['0x0000000000010000', '0x2000000000000000'] },
      { op: 'INVALIDATE_IOMMU_ALL' },
    ]);
    expect(bad).toEqual({ executed: 0, stoppedBy: 'ILLEGAL_COMMAND_ERROR' });
    // Still stopped: a new submission does not run.
    expect(f.submit([{ op: 'COMPLETION_WAIT' }])).toEqual({ executed: 0, stoppedBy: null });
    const tail = f.cmd('amdvi.mmio.read', { reg: 'CMD_TAIL' }) as string;
    f.cmd('amdvi.mmio.write', { reg: 'CMD_HEAD', value: tail });
    f.cmd('amdvi.mmio.write', { reg: 'CONTROL', value: '0x5' });
    expect(f.cmd('amdvi.mmio.write', { reg: 'CONTROL', value: '0x1005' })).toEqual({
      executed: 0,
      stoppedBy: null,
    });
    expect(f.submit([{ op: 'COMPLETION_WAIT' }])).toEqual({ executed: 1, stoppedBy: null });
  });

  it('refuses to enable what is not modelled, naming it', () => {
    const f = new Fixture();
    f.setup();
    expect(f.command('amdvi.mmio.write', { reg: 'CONTROL', value: '0x8000' })).toMatchObject({
      ok: false,
      errno: 'EOPNOTSUPP',
      detail: expect.stringMatching(/PPREn/),
    });
    expect(f.command('amdvi.mmio.write', { reg: 'EXCL_BASE', value: '0x1' })).toMatchObject({
      ok: false,
      errno: 'EOPNOTSUPP',
    });
    expect(f.command('amdvi.mmio.write', { reg: 'EFR', value: '0x0' })).toMatchObject({
      ok: false,
      errno: 'EINVAL',
    });
    expect(f.command('amdvi.no.such', {})).toMatchObject({ ok: false, errno: 'EOPNOTSUPP' });
    expect(() => f.cmd('amdvi.dte.write', { deviceId: 0x10000 })).toThrow(/deviceId/);
    expect(() => f.submit([{ op: 'NOPE' }])).toThrow(/commands\[0\]\.op/);
  });
});
