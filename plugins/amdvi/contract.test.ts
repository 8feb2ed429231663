import type { CommandInput } from '../../core/sim/simulator.js';
import { runIommuContract } from '../../core/testing/contract.js';
import amdvi from './index.js';

const ROOT = '0x1000000';
const DOMAIN = 7;
const DEVID = 0x10;

runIommuContract({
  plugin: amdvi,
  fixture: {
    device: { sid: DEVID },
    setup: (): CommandInput[] => [
      { type: 'amdvi.unit.init', data: {} },
      { type: 'amdvi.pagetable.create', data: { mode: 3, root: ROOT } },
      {
        type: 'amdvi.dte.write',
        data: {
          deviceId: DEVID,
          v: true,
          tv: true,
          mode: 3,
          root: ROOT,
          ir: true,
          iw: true,
          domainId: DOMAIN,
        },
      },
      {
        type: 'amdvi.command.submit',
        data: { commands: [{ op: 'INVALIDATE_DEVTAB_ENTRY', deviceId: DEVID }, { op: 'COMPLETION_WAIT' }] },
      },
    ],
    map: (iova, pa, write) => [
      {
        type: 'amdvi.pagetable.map',
        data: { root: ROOT, iova: `0x${iova.toString(16)}`, pa: `0x${pa.toString(16)}`, iw: write },
      },
    ],
    unmap: (iova) => [
      { type: 'amdvi.pagetable.unmap', data: { root: ROOT, iova: `0x${iova.toString(16)}` } },
    ],
    invalidate: (iova): CommandInput[] => [
      {
        type: 'amdvi.command.submit',
        data: {
          commands: [
            { op: 'INVALIDATE_IOMMU_PAGES', domainId: DOMAIN, iova: `0x${iova.toString(16)}`, pages: 1 },
            { op: 'COMPLETION_WAIT' },
          ],
        },
      },
    ],
  },
});
