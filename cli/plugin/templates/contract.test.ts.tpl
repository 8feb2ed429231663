import { runIommuContract } from '__TESTING__';
import plugin from './index.js';

const TABLE = '0x100000';
const hex = (n: bigint): string => `0x${n.toString(16)}`;

runIommuContract({
  plugin,
  fixture: {
    setup: () => [{ type: '__NAME__.table.set', data: { base: TABLE } }],
    map: (iova, pa, write) => [
      {
        type: '__NAME__.pte.set',
        data: { iova: hex(iova), pa: hex(pa), write },
      },
    ],
    unmap: (iova) => [{ type: '__NAME__.pte.clear', data: { iova: hex(iova) } }],
    invalidate: () => [{ type: '__NAME__.tlb.invalidate', data: {} }],
  },
});
