/** One test per event code the model produces (PRODUCED_EVENTS), plus the not-modelled answers. */
import { describe, expect, it } from 'vitest';
import { ACCESS, FAULT_KIND } from '../../core/model/translation.js';
import { AMDVI_EVENT, AMDVI_EVENT_FLAG, PRODUCED_EVENTS } from './faults.js';
import { Fixture } from './test-fixture.js';

type Logged = {
  code: number;
  name: string;
  deviceId: number;
  domainId: number;
  flags: number;
  address: string;
  written: boolean;
  detail: string;
};
type Entry = { code: number; name: string; deviceId: number; tag: number; flags: number; address: string };

const IOVA = 0x4000_7000;
const covered = new Set<number>();

function lastLogged(f: Fixture): Logged {
  const all = f.of<Logged>('amdvi.event.logged');
  expect(all.length).toBeGreaterThan(0);
  const e = all[all.length - 1]!;
  covered.add(e.code);
  return e;
}

function readLog(f: Fixture): Entry[] {
  return f.cmd('amdvi.eventlog.read') as Entry[];
}

describe('event-log entries', () => {
  it('IO_PAGE_FAULT: not present, with DeviceID, DomainID, RW flag and the IOVA, written to the log', () => {
    const f = new Fixture();
    f.setup({ deviceId: 0x0312, domainId: 0x2a });
    expect(f.dma(0x0312, IOVA + 0x45, ACCESS.WRITE)).toBe(FAULT_KIND.TRANSLATION);
    expect(f.out.archCode).toBe(AMDVI_EVENT.IO_PAGE_FAULT);
    const e = lastLogged(f);
    expect(e).toMatchObject({
      name: 'IO_PAGE_FAULT',
      deviceId: 0x312,
      domainId: 0x2a,
      flags: AMDVI_EVENT_FLAG.RW,
      written: true,
    });
    expect(readLog(f)).toEqual([
      {
        code: 2,
        name: 'IO_PAGE_FAULT',
        deviceId: 0x312,
        tag: 0x2a,
        pasidHi: 0,
        flags: 0x20,
        address: '0x0000000040007045',
      },
    ]);
  });

  it('IO_PAGE_FAULT: permission (PR|PE), TV=0 (blocked), IOVA beyond Mode, skipped bits, NextLevel >= level (RZ)', () => {
    const f = new Fixture();
    const { root } = f.setup({ mode: 3 });
    f.cmd('amdvi.pagetable.map', {
      root: `0x${root.toString(16)}`,
      iova: `0x${IOVA.toString(16)}`,
      pa: '0x200000',
      iw: false,
    });
    expect(f.dma(0x10, IOVA, ACCESS.WRITE)).toBe(FAULT_KIND.PERMISSION);
    expect(lastLogged(f).flags).toBe(AMDVI_EVENT_FLAG.PR | AMDVI_EVENT_FLAG.PE | AMDVI_EVENT_FLAG.RW);
    expect(f.dma(0x10, 2 ** 39, ACCESS.READ)).toBe(FAULT_KIND.ADDRESS_SIZE);
    expect(lastLogged(f).name).toBe('IO_PAGE_FAULT');
    // A level-3 PDE that names level 3: illegal NextLevel.
    f.mem.write64(root, 1n | (3n << 9n) | (0x300n << 12n) | (3n << 61n));
    f.submit([{ op: 'INVALIDATE_IOMMU_ALL' }]);
    expect(f.dma(0x10, 0x1000, ACCESS.READ)).toBe(FAULT_KIND.RESERVED_BITS);
    expect(lastLogged(f).flags & AMDVI_EVENT_FLAG.RZ).toBe(AMDVI_EVENT_FLAG.RZ);
    // A level-3 PDE that skips to level 1: IOVA bits 29:21 must be zero.
    f.mem.write64(root, 1n | (1n << 9n) | (0x300n << 12n) | (3n << 61n));
    expect(f.dma(0x10, 0x20_0000, ACCESS.READ)).toBe(FAULT_KIND.TRANSLATION);
    expect(lastLogged(f).detail).toMatch(/skipped/);
    f.dte(0x10, { tv: false, mode: 3, root: `0x${root.toString(16)}` });
    expect(f.dma(0x10, IOVA, ACCESS.READ)).toBe(FAULT_KIND.BLOCKED);
    expect(lastLogged(f).name).toBe('IO_PAGE_FAULT');
  });

  it('IO_PAGE_FAULT is raised but not logged when DTE.SA is set', () => {
    const f = new Fixture();
    const { root } = f.setup();
    f.dte(0x10, { mode: 3, root: `0x${root.toString(16)}`, sa: true });
    expect(f.dma(0x10, IOVA, ACCESS.READ)).toBe(FAULT_KIND.TRANSLATION);
    expect(lastLogged(f)).toMatchObject({ written: false, detail: expect.stringMatching(/DTE.SA/) });
    expect(readLog(f)).toEqual([]);
  });

  it('ILLEGAL_DEV_TABLE_ENTRY: reserved bit, Mode 7, GV without GT, DeviceID beyond the table; address = DTE address', () => {
    const f = new Fixture();
    f.setup();
    const devTab = Number(BigInt(f.cmd('amdvi.mmio.read', { reg: 'DEV_TAB_BASE' }) as string) & ~0xfffn);
    for (const [raw, why] of [
      [['0x7', '0x0', '0x0', '0x0'], /reserved/],
      [['0xe03', '0x0', '0x0', '0x0'], /Mode = 7/],
      [['0x0080000000000003', '0x0', '0x0', '0x0'], /GT/],
      [['0x3', '0x0', '0x0', '0x1'], /reserved/],
    ] as const) {
      f.cmd('amdvi.dte.write', { deviceId: 0x20, raw: [...raw] });
      f.submit([{ op: 'INVALIDATE_DEVTAB_ENTRY', deviceId: 0x20 }]);
      expect(f.dma(0x20, IOVA, ACCESS.READ)).toBe(FAULT_KIND.BAD_CONFIG);
      const e = lastLogged(f);
      expect(e).toMatchObject({
        name: 'ILLEGAL_DEV_TABLE_ENTRY',
        deviceId: 0x20,
        address: `0x${(devTab + 0x20 * 32).toString(16).padStart(16, '0')}`,
      });
      expect(e.detail).toMatch(why);
    }
    const g = new Fixture();
    g.cmd('amdvi.unit.init', { devTabPages: 1 });
    expect(g.dma(0x80, IOVA, ACCESS.READ)).toBe(FAULT_KIND.BAD_CONFIG);
    expect(lastLogged(g).detail).toMatch(/beyond/);
  });

  it('DEV_TAB_HARDWARE_ERROR when the device table is not in memory', () => {
    const f = new Fixture();
    f.cmd('amdvi.unit.init');
    f.cmd('amdvi.mmio.write', { reg: 'DEV_TAB_BASE', value: '0x1000000001ff' });
    expect(f.dma(0x10, IOVA, ACCESS.READ)).toBe(FAULT_KIND.WALK_ABORT);
    expect(f.out.archCode).toBe(AMDVI_EVENT.DEV_TAB_HARDWARE_ERROR);
    expect(lastLogged(f).address).toBe('0x0000100000000200');
  });

  it('PAGE_TAB_HARDWARE_ERROR when a table is not in memory; address = the entry', () => {
    const f = new Fixture();
    f.setup();
    f.dte(0x10, { mode: 2, root: '0x40000000000', domainId: 3 });
    expect(f.dma(0x10, 0x1000, ACCESS.READ)).toBe(FAULT_KIND.WALK_ABORT);
    expect(lastLogged(f)).toMatchObject({
      name: 'PAGE_TAB_HARDWARE_ERROR',
      domainId: 3,
      address: '0x0000040000000000',
    });
  });

  it('INVALID_DEVICE_REQUEST for an ATS request when DTE.I = 0; NOT_MODELLED when I = 1', () => {
    const f = new Fixture();
    const { root } = f.setup();
    expect(f.dma(0x10, IOVA, ACCESS.READ, true)).toBe(FAULT_KIND.BAD_CONFIG);
    expect(lastLogged(f)).toMatchObject({ name: 'INVALID_DEVICE_REQUEST', flags: AMDVI_EVENT_FLAG.TR });
    f.dte(0x10, { mode: 3, root: `0x${root.toString(16)}`, i: true });
    expect(f.dma(0x10, IOVA, ACCESS.READ, true)).toBe(FAULT_KIND.NOT_MODELLED);
    expect(f.of('amdvi.request.unmodelled')).toHaveLength(1);
  });

  it('ILLEGAL_COMMAND_ERROR and COMMAND_HARDWARE_ERROR stop the buffer at the bad command', () => {
    const f = new Fixture();
    f.setup();
    const cmdBase = Number(
      BigInt(f.cmd('amdvi.mmio.read', { reg: 'CMD_BUF_BASE' }) as string) & 0xf_ffff_ffff_f000n,
    );
    const head = Number(BigInt(f.cmd('amdvi.mmio.read', { reg: 'CMD_HEAD' }) as string));
    const r = f.submit([{ raw: ['0x0', '0x0'] }, { op: 'INVALIDATE_IOMMU_ALL' }]);
    expect(r).toEqual({ executed: 0, stoppedBy: 'ILLEGAL_COMMAND_ERROR' });
    expect(lastLogged(f).address).toBe(`0x${(cmdBase + head).toString(16).padStart(16, '0')}`);
    expect(f.cmd('amdvi.mmio.read', { reg: 'CMD_HEAD' })).toBe(`0x${head.toString(16).padStart(16, '0')}`);
    const g = new Fixture();
    g.setup();
    const r2 = g.submit([{ op: 'COMPLETION_WAIT', s: true, storeAddr: '0x100000000000' }]);
    expect(r2).toEqual({ executed: 0, stoppedBy: 'COMMAND_HARDWARE_ERROR' });
    expect(lastLogged(g).name).toBe('COMMAND_HARDWARE_ERROR');
  });

  it('covers every code the model can produce', () => {
    expect([...covered].sort()).toEqual([...PRODUCED_EVENTS].sort());
  });
});

describe('event log ring', () => {
  it('overflows: sets EventOverflow, stops logging, and says so', () => {
    const f = new Fixture();
    f.setup();
    // The default 512-entry log holds 511 (one slot stays empty).
    for (let i = 0; i < 512; i++) f.dma(0x10, IOVA + i * 4096, ACCESS.READ);
    const last = f.of<Logged>('amdvi.event.logged').at(-1)!;
    expect(last).toMatchObject({ written: false, detail: expect.stringMatching(/full/) });
    expect(BigInt(f.cmd('amdvi.mmio.read', { reg: 'STATUS' }) as string) & 1n).toBe(1n);
    expect(readLog(f)).toHaveLength(511);
  });
});
