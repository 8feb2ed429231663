/**
 * The generators no shipped sweep uses (shared-domain, sva), run through a sweep on the flat
 * plugin: every access translates without a fault, a shared pool hits more with one device's
 * bursts than the pool's size in entries allows, and PASIDs map the same range apart.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUILTIN_PLUGINS } from '../cli/builtin-plugins.js';
import { PluginHost } from '../core/plugin/host.js';
import { cellJob } from '../core/sweep/cell-job.js';
import { runCell } from '../core/sweep/cell-run.js';
import { expandCells } from '../core/sweep/matrix.js';
import { loadSweepFile } from '../core/sweep/sweep-file.js';

const host = new PluginHost();
for (const p of BUILTIN_PLUGINS) host.use(p);

function sweep(workloads: object, axisValues: string[]) {
  const s = {
    format: 'viommu-sweep',
    version: 1,
    id: 'test/generators',
    title: 'generators',
    axes: [
      { name: 'plugin', values: ['flat'] },
      { name: 'workload', values: axisValues },
    ],
    targets: {
      flat: {
        options: { cacheEntries: 256 },
        devices: [
          { name: 'a', sid: 1 },
          { name: 'b', sid: 2 },
        ],
        templates: { map: [{ type: 'flat.map', data: { iova: '$iova', pa: '$pa', pasid: '$pasid' } }] },
        tlbCache: 'tlb',
      },
    },
    workloads,
  };
  const dir = mkdtempSync(join(tmpdir(), 'viommu-gen-'));
  writeFileSync(join(dir, 'g.sweep.json'), JSON.stringify(s));
  const sw = loadSweepFile(join(dir, 'g.sweep.json'));
  return expandCells(sw).map((c) => runCell(host, cellJob(sw, c), []).record);
}

describe('generators', () => {
  it('shared-domain and sva translate every access without a fault', () => {
    const [shared, sva] = sweep(
      {
        shared: {
          generator: 'shared-domain',
          params: {
            devices: ['a', 'b'],
            iova: '0x100000',
            pa: '0x900000',
            pages: 128,
            count: 4000,
            burst: 8,
          },
        },
        sva: {
          generator: 'sva',
          params: {
            device: 'a',
            pasids: [1, 2, 3],
            iova: '0x100000',
            pa: '0x900000',
            pages: 32,
            count: 3000,
          },
        },
      },
      ['shared', 'sva'],
    );
    for (const r of [shared!, sva!]) expect(r.error, r.error ?? '').toBeNull();
    expect(shared!.metrics.translations).toBe(4000);
    expect(shared!.metrics.faults).toBe(0);
    expect(shared!.metrics['ops.map']).toBe(128);
    // 128 shared pages fit the 256-entry TLB: after the first touches, hits.
    expect(shared!.metrics['tlb.hitRate']).toBeGreaterThan(0.9);
    expect(sva!.metrics.translations).toBe(3000);
    expect(sva!.metrics.faults).toBe(0);
    expect(sva!.metrics['ops.map']).toBe(96);
  });

  it('a plugin that throws under a generator fails its cell with the plugin named', () => {
    const dir = mkdtempSync(join(tmpdir(), 'viommu-gen-'));
    const s = {
      format: 'viommu-sweep',
      version: 1,
      id: 'test/crash',
      title: 'crash',
      axes: [
        { name: 'plugin', values: ['flat'] },
        { name: 'workload', values: ['r'] },
      ],
      targets: {
        flat: {
          devices: [{ name: 'a', sid: 1 }],
          templates: { map: [{ type: 'flat.crash.now', data: {} }] },
          tlbCache: 'tlb',
        },
      },
      workloads: {
        r: {
          generator: 'random-access',
          params: { device: 'a', iova: '0x0', pa: '0x0', pages: 4, count: 4 },
        },
      },
    };
    writeFileSync(join(dir, 'c.sweep.json'), JSON.stringify(s));
    const sw = loadSweepFile(join(dir, 'c.sweep.json'));
    const [r] = expandCells(sw).map((c) => runCell(host, cellJob(sw, c), []).record);
    expect(r!.error).toMatch(/flat/);
    expect(r!.error).toMatch(/crash/);
    expect(r!.metrics).toEqual({});
  });
});
