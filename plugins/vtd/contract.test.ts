import type { CommandInput } from '../../core/sim/simulator.js';
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
