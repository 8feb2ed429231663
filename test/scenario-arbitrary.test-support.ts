/**
 * fast-check arbitraries for whole scenarios: one scenario with a flat, a
 * VT-d (legacy, second-level) and an AMD-Vi (v1 tables) target that map the
 * same 16 pages, then a random list of shared steps (single DMAs, seeded
 * workloads of every kind, map/unmap churn, flushes through each target's
 * templates, statistics samples, page requests, commands that fail) and an
 * optional checkpoint interval. The steps say what to do once; each target's
 * templates say how, so one scenario runs on every plugin.
 */
import fc from 'fast-check';
import type { JsonObject } from '../core/plugin/contract.js';
import { PluginHost } from '../core/plugin/host.js';
import type { Scenario } from '../core/scenario/types.js';
import { validateScenario } from '../core/scenario/validate.js';
import { flatPlugin } from '../core/testing/flat-plugin.js';
import amdvi from '../plugins/amdvi/index.js';
import vtd from '../plugins/vtd/index.js';
import { iotlbDesc } from '../plugins/vtd/testing/descriptors.js';

const SID = 16;
const IOVA = 0x10_0000;
const PA = 0x20_0000;
const PAGES = 16;
/** Churn and extra mappings live here, away from the set-up mapping. */
const CHURN_IOVA = 0x400_0000;
const CHURN_PA = 0x300_0000;
const AMDVI_ROOT = '0x1000000';
const DID = 1;

const hex = (n: number): string => `0x${n.toString(16)}`;
const qwords = (d: bigint[]): string[] => d.map((q) => `0x${q.toString(16)}`);
const pages = (f: (i: number) => JsonObject[]): JsonObject[] =>
  Array.from({ length: PAGES }, (_, i) => f(i)).flat();

const VTD_FLUSH = {
  type: 'vtd.qi.submit',
  data: { descriptors: [qwords(iotlbDesc(2, DID))] },
};
const AMDVI_FLUSH = {
  type: 'amdvi.command.submit',
  data: { commands: [{ op: 'INVALIDATE_IOMMU_PAGES', domainId: DID, all: true }] },
};

/** The three targets: the same device and the same 16 mapped pages on each plugin. */
const TARGETS = [
  {
    plugin: 'flat',
    options: { cacheEntries: 64 },
    devices: [{ name: 'nic', sid: SID }],
    setup: [{ type: 'flat.map', data: { iova: hex(IOVA), pa: hex(PA), pages: PAGES, perm: 3 } }],
    templates: {
      map: [{ type: 'flat.map', data: { iova: '$iova', pa: '$pa' } }],
      unmap: [
        { type: 'flat.unmap', data: { iova: '$iova' } },
        { type: 'flat.tlb.flush', data: {} },
      ],
      flush: [{ type: 'flat.tlb.flush', data: {} }],
    },
  },
  {
    plugin: 'vtd',
    options: { mode: 'legacy' },
    devices: [{ name: 'nic', sid: SID }],
    setup: [
      { type: 'vtd.root.set', data: {} },
      { type: 'vtd.domain.create', data: { did: DID, levels: 4 } },
      { type: 'vtd.device.attach', data: { device: 'nic', did: DID, mode: 'sl' } },
      ...pages((i) => [
        {
          type: 'vtd.pt.map',
          data: { table: 'sl', did: DID, iova: hex(IOVA + i * 4096), pa: hex(PA + i * 4096), perm: 'rw' },
        },
      ]),
    ],
    templates: {
      map: [{ type: 'vtd.pt.map', data: { table: 'sl', did: DID, iova: '$iova', pa: '$pa', perm: 'rw' } }],
      unmap: [{ type: 'vtd.pt.unmap', data: { table: 'sl', did: DID, iova: '$iova' } }, VTD_FLUSH],
      flush: [VTD_FLUSH],
    },
  },
  {
    plugin: 'amdvi',
    devices: [{ name: 'nic', sid: SID }],
    setup: [
      { type: 'amdvi.unit.init', data: { devTabPages: 1 } },
      { type: 'amdvi.pagetable.create', data: { mode: 3, root: AMDVI_ROOT } },
      {
        type: 'amdvi.dte.write',
        data: {
          deviceId: SID,
          v: true,
          tv: true,
          ir: true,
          iw: true,
          mode: 3,
          root: AMDVI_ROOT,
          domainId: DID,
        },
      },
      {
        type: 'amdvi.command.submit',
        data: { commands: [{ op: 'INVALIDATE_DEVTAB_ENTRY', deviceId: SID }] },
      },
      ...pages((i) => [
        {
          type: 'amdvi.pagetable.map',
          data: { root: AMDVI_ROOT, iova: hex(IOVA + i * 4096), pa: hex(PA + i * 4096) },
        },
      ]),
    ],
    templates: {
      map: [{ type: 'amdvi.pagetable.map', data: { root: AMDVI_ROOT, iova: '$iova', pa: '$pa' } }],
      unmap: [{ type: 'amdvi.pagetable.unmap', data: { root: AMDVI_ROOT, iova: '$iova' } }, AMDVI_FLUSH],
      flush: [AMDVI_FLUSH],
    },
  },
];

/** The plugins the scenarios name, loaded once. */
export function scenarioHost(): PluginHost {
  return new PluginHost().use(flatPlugin).use(vtd).use(amdvi);
}

const access = fc.constantFrom('r', 'w', 'rw');

const dmaStep = fc
  .record({ page: fc.nat(PAGES + 3), offset: fc.nat(4095), access })
  .map(({ page, offset, access }) => ({
    type: 'device.dma.access',
    data: { device: 'nic', iova: hex(IOVA + page * 4096 + offset), access },
  }));

const patternStep = fc
  .record({
    kind: fc.constantFrom('streaming', 'random', 'ring', 'fault-burst'),
    seed: fc.nat(1000),
    pages: fc.integer({ min: 1, max: PAGES + 2 }),
    count: fc.nat(300),
    stride: fc.constantFrom(8, 512, 4096),
    slots: fc.integer({ min: 1, max: 8 }),
    burst: fc.integer({ min: 1, max: 8 }),
    events: fc.constantFrom('summary', 'each'),
    access,
  })
  .map((w) => ({ workload: { device: 'nic', iova: hex(IOVA), ...w } }));

const churnStep = fc
  .record({
    seed: fc.nat(1000),
    pages: fc.integer({ min: 1, max: 8 }),
    count: fc.integer({ min: 1, max: 4 }),
  })
  .map((w) => ({
    workload: { kind: 'churn', device: 'nic', iova: hex(CHURN_IOVA), pa: hex(CHURN_PA), ...w },
  }));

const mapStep = fc.nat(7).map((p) => ({
  use: 'map',
  with: { iova: hex(CHURN_IOVA + p * 4096), pa: hex(CHURN_PA + p * 4096) },
}));

const otherStep = fc.constantFrom<object>(
  { use: 'flush', with: {} },
  { type: 'core.stats.sample', data: {} },
  { type: 'core.clock.advance', data: { ns: 1000 } },
  { type: 'device.page.request', data: { device: 'nic', addr: hex(IOVA), read: true, grpid: 3, last: true } },
  // Commands that fail, as their steps say (malformed data is refused before a run): an unaligned
  // word; a VT-d command naming a domain that does not exist, which on the other targets is a
  // command of another plugin's scope.
  { type: 'core.memory.write64', data: { addr: '0x1001', value: '0x0' }, expect: { ok: false } },
  { type: 'vtd.pt.unmap', data: { table: 'sl', did: 99, iova: '0x0' }, expect: { ok: false } },
);

const step = fc.oneof(dmaStep, patternStep, churnStep, mapStep, otherStep);

/** A random scenario, validated by the real validator (so it is one a user could write). */
export const scenarioArb: fc.Arbitrary<Scenario> = fc
  .record({
    seed: fc.nat(2 ** 31),
    checkpointEvery: fc.constantFrom(0, 0, 2, 5),
    steps: fc.array(step, { minLength: 1, maxLength: 8 }),
  })
  .map(({ seed, checkpointEvery, steps }) =>
    validateScenario(
      {
        format: 'viommu-scenario',
        version: 1,
        id: 'property/random',
        title: 'random steps on every plugin',
        seed,
        checkpointEvery,
        targets: TARGETS,
        steps,
      },
      'property.scenario.json',
    ),
  );
