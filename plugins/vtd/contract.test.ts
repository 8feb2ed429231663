import 'reflect-metadata';
import { expect, it } from 'vitest';
import { PluginHost } from '../../core/plugin/host.js';
import { type CommandInput, Simulator } from '../../core/sim/simulator.js';
import { runIommuContract } from '../../core/testing/contract.js';
import vtd from './index.js';

const DID = 1;
const hex = (v: bigint): string => `0x${v.toString(16)}`;

for (const mode of ['scalable', 'legacy'] as const) {
  runIommuContract({
    plugin: vtd,
    fixture: {
      options: { mode },
      device: { sid: 0x10 },
      setup: (): CommandInput[] => [
        { type: 'vtd.root.set', data: { unit: 'u0' } },
        { type: 'vtd.domain.create', data: { unit: 'u0', did: DID, levels: 4 } },
        { type: 'vtd.device.attach', data: { unit: 'u0', device: 'dev0', did: DID, mode: 'sl' } },
      ],
      map: (iova, pa, write) => [
        {
          type: 'vtd.pt.map',
          data: { unit: 'u0', table: 'sl', did: DID, iova: hex(iova), pa: hex(pa), perm: write ? 'rw' : 'r' },
        },
      ],
      unmap: (iova) => [
        { type: 'vtd.pt.unmap', data: { unit: 'u0', table: 'sl', did: DID, iova: hex(iova) } },
      ],
      invalidate: (iova): CommandInput[] => [
        {
          type: 'vtd.qi.submit',
          data: {
            unit: 'u0',
            descriptors: [
              // IOTLB page-selective (G = 3), DID, AM = 0, IH = 0; then a wait descriptor.
              [hex(0x2n | (3n << 4n) | (BigInt(DID) << 16n)), hex(iova & ~0xfffn)],
              ['0x5', '0x0'],
            ],
          },
        },
      ],
    },
  });
}

it('refuses a source-id wider than 16 bits, which would alias another device (EINVAL)', () => {
  const make = (sid: number) =>
    new Simulator(new PluginHost().use(vtd), {
      seed: 1,
      kernel: 'v5.10',
      memoryBytes: 16 << 20,
      units: [{ id: 'u0', plugin: 'vtd' }],
      devices: [{ name: 'dev0', sid, unit: 'u0' }],
    });
  expect(() => make(0x1_0008)).toThrow(/refused "dev0" with EINVAL/);
  expect(() => make(0xffff)).not.toThrow();
});
