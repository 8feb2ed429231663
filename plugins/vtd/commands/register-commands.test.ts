import 'reflect-metadata';
import { expect, it } from 'vitest';
import { PluginHost } from '../../../core/plugin/host.js';
import { Simulator } from '../../../core/sim/simulator.js';
import vtd from '../index.js';

function sim(): Simulator {
  return new Simulator(new PluginHost().use(vtd), {
    seed: 1,
    kernel: 'v5.10',
    memoryBytes: 16 << 20,
    units: [{ id: 'u0', plugin: 'vtd' }],
    devices: [{ name: 'dev0', sid: 0x10, unit: 'u0' }],
  });
}

function regs(s: Simulator): Record<string, unknown> {
  const r = s.execute({ type: 'vtd.regs.read', data: { unit: 'u0' } });
  expect(r.ok).toBe(true);
  return (r as { value: Record<string, unknown> }).value;
}

it('vtd.regs.read gives 32-bit registers as unsigned values (TES is bit 31, not a sign)', () => {
  const s = sim();
  expect(regs(s).GSTS).toBe((1 << 26) >>> 0); // QIES only: no root table, translation off
  expect(s.execute({ type: 'vtd.root.set', data: { unit: 'u0' } }).ok).toBe(true);
  const g = regs(s).GSTS as number;
  expect(g).toBeGreaterThan(0);
  expect(g & (1 << 30)).not.toBe(0); // RTPS
  expect(g >>> 31).toBe(1); // TES: set-up enables translation with the root table
});

it('vtd.regs.read shows IQER 0 while no descriptor stopped the queue, then its IQEI error type', () => {
  const s = sim();
  expect(regs(s).IQER).toBe(0);
  const bad = s.execute({ type: 'vtd.qi.submit', data: { unit: 'u0', descriptors: [['0xf', '0x0']] } });
  expect(bad.ok).toBe(true);
  expect(regs(s)).toMatchObject({ IQER: 3, IQH: 0, FSTS: 0x10 }); // IQEI 3: invalid descriptor type
});
