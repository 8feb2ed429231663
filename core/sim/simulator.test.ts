import { describe, expect, it } from 'vitest';
import type { LogRecord } from '../events/log/records.js';
import { PluginHost } from '../plugin/host.js';
import { flatPlugin } from '../testing/flat-plugin.js';
import type { SimConfig } from './config.js';
import { PluginFailure } from './plugin-failure.js';
import { Simulator } from './simulator.js';

const config: SimConfig = {
  seed: 7,
  kernel: 'v5.10',
  memoryBytes: 16 * 1024 * 1024,
  units: [
    { id: 'a', plugin: 'flat' },
    { id: 'b', plugin: 'flat', options: { noUapi: true } },
  ],
  devices: [
    { name: 'nic', unit: 'a', sid: 0x100 },
    { name: 'gpu', unit: 'b', sid: 0x100 },
  ],
};

function sim(records?: LogRecord[]): Simulator {
  return new Simulator(
    new PluginHost().use(flatPlugin),
    config,
    records ? [{ append: (r) => records.push(r) }] : [],
  );
}

const dma = (s: Simulator, device: string, iova: string, access = 'r') =>
  s.execute({ type: 'device.dma.access', data: { device, iova, access } });

describe('Simulator routing', () => {
  it('sends each DMA to the unit its device sits behind', () => {
    const s = sim();
    s.execute({ type: 'flat.map', data: { unit: 'a', iova: '0x1000', pa: '0x9000' } });
    expect(dma(s, 'nic', '0x1010')).toEqual({
      ok: true,
      value: { out: '0x0000000000009010', shift: 12, perm: 3, hit: false, reads: 1 },
    });
    const gpu = dma(s, 'gpu', '0x1010');
    expect(gpu.ok && (gpu.value as { fault: string }).fault).toBe('TRANSLATION');
    expect(s.units.get('a')!.stats().translations).toBe(1);
    expect(s.units.get('b')!.stats().translations).toBe(1);
  });

  it('routes architecture commands by scope and needs "unit" when several units could take it', () => {
    const s = sim();
    const r = s.execute({ type: 'flat.map', data: { iova: '0x1000', pa: '0x9000' } });
    expect(r).toMatchObject({ ok: false, errno: 'EINVAL' });
    expect(!r.ok && r.detail).toMatch(/several flat units/);
    const unknown = s.execute({ type: 'nosuch.thing.do', data: {} });
    expect(!unknown.ok && unknown.detail).toMatch(/unknown command type "nosuch.thing.do"/);
  });

  it('names a bad field of a core command', () => {
    const r = sim().execute({ type: 'device.dma.access', data: { device: 'nic', iova: 'zz', access: 'r' } });
    expect(!r.ok && r.detail).toMatch(/iova: expected a 64-bit value/);
  });
});

describe('Simulator records', () => {
  it('numbers records without gaps, ties events to their command and closes each command', () => {
    const records: LogRecord[] = [];
    const s = sim(records);
    s.execute({ type: 'flat.map', data: { unit: 'a', iova: '0x1000', pa: '0x9000', perm: 1 } });
    dma(s, 'nic', '0x1000', 'w');
    expect(records.map((r) => r.seq)).toEqual(records.map((_, i) => i + 1));
    const types = records.map((r) => `${r.kind}:${r.type}`);
    expect(types).toEqual([
      'command:flat.map',
      'event:core.command.completed',
      'command:device.dma.access',
      'event:flat.fault.recorded',
      'event:core.fault.dropped',
      'event:core.command.completed',
    ]);
    for (const r of records) if (r.kind === 'event') expect(records[r.cause - 1]!.kind).toBe('command');
    expect(records[3]!.kind === 'event' && records[3]!.cause).toBe(3);
    for (let i = 1; i < records.length; i++) expect(records[i]!.t).toBeGreaterThanOrEqual(records[i - 1]!.t);
  });

  it('gives the same records for the same commands', () => {
    const runs = [0, 1].map(() => {
      const records: LogRecord[] = [];
      const s = sim(records);
      s.execute({ type: 'flat.map', data: { unit: 'a', iova: '0x1000', pa: '0x9000', pages: 4 } });
      for (let i = 0; i < 10; i++) dma(s, i % 3 ? 'nic' : 'gpu', `0x${(0x1000 + i * 0x800).toString(16)}`);
      s.execute({ type: 'core.stats.sample', data: {} });
      return JSON.stringify(records);
    });
    expect(runs[1]).toBe(runs[0]);
  });

  it('publishes the same records, in order, on the bus', () => {
    const logged: LogRecord[] = [];
    const s = sim(logged);
    const seen: number[] = [];
    s.bus.observe((r) => seen.push(r.seq));
    dma(s, 'nic', '0x0');
    expect(seen).toEqual(logged.map((r) => r.seq));
  });
});

describe('Simulator containment', () => {
  it('a plugin that throws is not an errno: the failure is recorded, then thrown as a PluginFailure', () => {
    const records: LogRecord[] = [];
    const s = sim(records);
    let thrown: unknown;
    try {
      s.execute({ type: 'flat.crash.now', data: { unit: 'a', message: 'asked to crash' } });
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(PluginFailure);
    expect(thrown).toMatchObject({
      plugin: 'flat',
      seq: 1,
      command: 'flat.crash.now',
      code: 'VIOMMU_ERR_PLUGIN_THREW',
    });
    expect(records.map((r) => r.type)).toEqual(['flat.crash.now', 'core.plugin.failed']);
    expect(records[1]).toMatchObject({
      cause: 1,
      data: { plugin: 'flat', unit: 'a', code: 'VIOMMU_ERR_PLUGIN_THREW', message: 'flat: asked to crash' },
    });
    // The simulator itself is not left mid-command: the next command gets its own seq and cause.
    s.execute({ type: 'flat.map', data: { unit: 'a', iova: '0x1000', pa: '0x9000' } });
    expect(records.at(-1)).toMatchObject({ type: 'core.command.completed', cause: 3 });
  });

  it('a command refused as malformed (a ViommuError of command kind) stays an EINVAL result', () => {
    const records: LogRecord[] = [];
    const s = sim(records);
    expect(s.execute({ type: 'device.dma.access', data: { device: 'nope', iova: '0x0' } })).toMatchObject({
      ok: false,
      errno: 'EINVAL',
    });
    expect(records.map((r) => r.type)).toEqual([
      'device.dma.access',
      'core.command.failed',
      'core.command.completed',
    ]);
  });

  it('a throwing observer does not stop the bus or the run', () => {
    const s = sim();
    s.bus.observe(() => {
      throw new Error('observer bug');
    });
    const seen: number[] = [];
    s.bus.observe((r) => seen.push(r.seq));
    expect(dma(s, 'nic', '0x0').ok).toBe(true);
    expect(s.bus.observerErrors).toBe(4);
    expect(seen).toEqual([1, 2, 3, 4]);
  });
});

describe('UAPI and faults through the bus', () => {
  const bindHex = (hpasid: number) => {
    const b = new Uint8Array(72);
    const v = new DataView(b.buffer);
    v.setUint32(0, 72, true); // argsz
    v.setUint32(4, 1, true); // version
    v.setUint32(8, 1, true); // format VT-d
    v.setUint32(12, 48, true); // addr_width
    v.setBigUint64(32, BigInt(hpasid), true);
    return Buffer.from(b).toString('hex');
  };

  it('hands checked UAPI data to the vendor op of the device unit', () => {
    const records: LogRecord[] = [];
    const s = sim(records);
    expect(s.execute({ type: 'uapi.gpasid.bind', data: { device: 'nic', hex: bindHex(5) } }).ok).toBe(true);
    expect(records.find((r) => r.type === 'flat.op.called')?.data).toEqual({
      op: 'bind',
      device: 'nic',
      detail: { hpasid: '0x0000000000000005', argsz: 72 },
    });
    const noOps = s.execute({ type: 'uapi.gpasid.bind', data: { device: 'gpu', hex: bindHex(5) } });
    expect(noOps).toMatchObject({ ok: false, errno: 'ENODEV' });
  });

  it('a short user buffer is EFAULT before argsz is read', () => {
    const r = sim().execute({
      type: 'uapi.gpasid.bind',
      data: { device: 'nic', hex: bindHex(5), readable: 40 },
    });
    expect(r).toMatchObject({ ok: false, errno: 'EFAULT' });
  });

  it('delivers page requests to the registered handler and matches the response', () => {
    const records: LogRecord[] = [];
    const s = sim(records);
    const pr = { device: 'nic', pasid: 3, addr: '0x5000', read: true, grpid: 9, last: true };
    expect(s.execute({ type: 'device.page.request', data: pr })).toMatchObject({
      ok: false,
      errno: 'EINVAL',
    });
    expect(s.execute({ type: 'uapi.fault.register', data: { device: 'nic' } }).ok).toBe(true);
    expect(s.execute({ type: 'device.page.request', data: pr }).ok).toBe(true);
    expect(records.filter((r) => r.type === 'core.fault.delivered')).toHaveLength(1);
    expect(s.execute({ type: 'uapi.fault.unregister', data: { device: 'nic' } })).toMatchObject({
      ok: false,
      errno: 'EBUSY',
    });
    const resp = s.execute({
      type: 'uapi.page.respond',
      data: { device: 'nic', grpid: 9, flags: 1, pasid: 3, code: 0 },
    });
    expect(resp.ok).toBe(true);
    expect(
      s.execute({ type: 'uapi.page.respond', data: { device: 'nic', grpid: 9, flags: 1, pasid: 3 } }),
    ).toMatchObject({ ok: false, errno: 'EINVAL' });
    expect(s.execute({ type: 'uapi.fault.unregister', data: { device: 'nic' } }).ok).toBe(true);
  });

  it('the catalog refuses an unknown or bad field before the handler runs, naming it', () => {
    const records: LogRecord[] = [];
    const s = sim(records);
    const before = s.clock.now();
    const typo = s.execute({ type: 'core.clock.advance', data: { ns: 5, nss: 7 } });
    expect(typo).toMatchObject({ ok: false, errno: 'EINVAL' });
    expect(typo.ok ? '' : typo.detail).toBe('VIOMMU_ERR_COMMAND_INVALID: nss: unknown field (allowed: ns)');
    expect(records.at(-2)).toMatchObject({
      type: 'core.command.failed',
      data: { code: 'VIOMMU_ERR_COMMAND_INVALID' },
    });
    // Nothing ran: only the command's own cost moved the clock.
    expect(s.clock.now() - before).toBe(s.timing.command);
    // `unit` routes architecture commands; a core command that takes none refuses it.
    expect(s.execute({ type: 'core.clock.advance', data: { ns: 5, unit: 'x' } }).ok).toBe(false);
    expect(s.execute({ type: 'core.clock.advance', data: { ns: -1 } })).toMatchObject({
      ok: false,
      detail: 'VIOMMU_ERR_COMMAND_INVALID: ns: expected an integer in [0, 9007199254740991], got -1',
    });
    expect(
      s.execute({ type: 'device.dma.access', data: { device: 'nic', iova: '0x1g', access: 'r' } }),
    ).toMatchObject({
      ok: false,
      detail: expect.stringContaining('iova: expected a 64-bit value as "0x..." hex'),
    });
  });

  it('a handler that fails leaves nothing pending; its result must be an errno the simulator names', () => {
    const s = sim();
    const pr = { device: 'nic', pasid: 3, addr: '0x5000', read: true, grpid: 9, last: true };
    expect(s.execute({ type: 'uapi.fault.register', data: { device: 'nic', result: -3 } })).toMatchObject({
      ok: false,
      detail: expect.stringContaining('result: expected 0 or a negated errno'),
    });
    expect(s.execute({ type: 'uapi.fault.register', data: { device: 'nic', result: -12 } }).ok).toBe(true);
    expect(s.execute({ type: 'device.page.request', data: pr })).toMatchObject({
      ok: false,
      errno: 'ENOMEM',
    });
    // iommu_report_device_fault dropped its pending copy: unregistering is allowed, no response matches.
    expect(
      s.execute({ type: 'uapi.page.respond', data: { device: 'nic', grpid: 9, flags: 1, pasid: 3 } }),
    ).toMatchObject({ ok: false, errno: 'EINVAL' });
    expect(s.execute({ type: 'uapi.fault.unregister', data: { device: 'nic' } }).ok).toBe(true);
  });
});
