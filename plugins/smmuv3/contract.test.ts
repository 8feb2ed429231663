/**
 * The shared plugin contract, run three ways: a stage-1 stream (one CD, ASID 7)
 * under the default v5.10 profile; a stage-2-only stream (VMID 9) on an SMMU
 * that implements stage 2 only; and the stage-1 stream under the opt-in
 * `proposed` UAPI profile, where bind and cache invalidation exist.
 */
import { describe } from 'vitest';
import type { JsonObject } from '../../core/plugin/contract.js';
import type { CommandInput } from '../../core/sim/simulator.js';
import { type ContractFixture, runIommuContract } from '../../core/testing/contract.js';
import smmuv3 from './index.js';

const SID = 0x10;
const ASID = 7;
const VMID = 9;
const hex = (v: bigint): string => `0x${v.toString(16)}`;

/** Commands submitted to the command queue, closed by CMD_SYNC as the Linux driver does. */
function submit(...commands: JsonObject[]): CommandInput[] {
  return [{ type: 'smmuv3.cmdq.submit', data: { commands: [...commands, { op: 'CMD_SYNC' }] } }];
}

function stage1(options?: JsonObject): ContractFixture {
  return {
    ...(options ? { options } : {}),
    device: { sid: SID },
    setup: (): CommandInput[] => [
      { type: 'smmuv3.init', data: {} },
      { type: 'smmuv3.table.create', data: { name: 's1', stage: 1, granule: 4096, inputBits: 48 } },
      {
        type: 'smmuv3.cd.write',
        data: { name: 'cd', ttb0: 's1', fields: { V: 1, AA64: 1, A: 1, R: 1, EPD1: 1, IPS: 5, ASID } },
      },
      { type: 'smmuv3.ste.write', data: { sid: SID, cd: 'cd', fields: { V: 1, Config: 0b101 } } },
    ],
    // AP[2:1] = 0b01: read/write at both privilege levels; 0b11: read-only.
    map: (iova, pa, write) => [
      { type: 'smmuv3.table.map', data: { table: 's1', iova: hex(iova), pa: hex(pa), ap: write ? 1 : 3 } },
    ],
    unmap: (iova) => [{ type: 'smmuv3.table.unmap', data: { table: 's1', iova: hex(iova) } }],
    // Stage-1-only streams are tagged with VMID 0 on an SMMU that implements stage 2.
    invalidate: (iova) => submit({ op: 'CMD_TLBI_NH_VA', vmid: 0, asid: ASID, addr: hex(iova), leaf: 1 }),
  };
}

const stage2: ContractFixture = {
  options: { stages: 's2' },
  device: { sid: SID },
  setup: (): CommandInput[] => [
    { type: 'smmuv3.init', data: {} },
    { type: 'smmuv3.table.create', data: { name: 's2', stage: 2, granule: 4096, inputBits: 40 } },
    {
      type: 'smmuv3.ste.write',
      data: { sid: SID, s2Table: 's2', fields: { V: 1, Config: 0b110, S2VMID: VMID, S2R: 1 } },
    },
  ],
  // S2AP = 0b11: read and write; 0b01: read only.
  map: (iova, pa, write) => [
    { type: 'smmuv3.table.map', data: { table: 's2', iova: hex(iova), pa: hex(pa), s2ap: write ? 3 : 1 } },
  ],
  unmap: (iova) => [{ type: 'smmuv3.table.unmap', data: { table: 's2', iova: hex(iova) } }],
  invalidate: (iova) => submit({ op: 'CMD_TLBI_S2_IPA', vmid: VMID, ipa: hex(iova), leaf: 1 }),
};

describe('stage 1, v5.10 profile', () => {
  runIommuContract({ plugin: smmuv3, fixture: stage1() });
});

describe('stage 2 only', () => {
  runIommuContract({ plugin: smmuv3, fixture: stage2 });
});

describe('stage 1, proposed profile', () => {
  runIommuContract({ plugin: smmuv3, fixture: stage1({ profile: 'proposed' }) });
});
