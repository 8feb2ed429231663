import { runIommuContract } from '__CORE__/testing/contract.js';
import plugin from './index.js';

const TABLE = '0x100000';

runIommuContract({
  plugin,
  fixture: {
    setup: () => [{ type: '__NAME__.table.set', data: { base: TABLE } }],
    map: (iova, pa, write) => [{ type: '__NAME__.pte.set', data: { iova: `0x${iova.toString(16)}`, pa: `0x${pa.toString(16)}`, write } }],
    unmap: (iova) => [{ type: '__NAME__.pte.clear', data: { iova: `0x${iova.toString(16)}` } }],
    invalidate: () => [{ type: '__NAME__.tlb.invalidate', data: {} }],
  },
});
