/**
 * The conclusions docs/compare.md draws from the three shipped sweeps, checked on results: each
 * sweep file is run here with the same axes and targets but shorter workloads (the shipped
 * ones take minutes), and every ordering the document states must hold in its results.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BUILTIN_PLUGINS } from '../cli/builtin-plugins.js';
import { PluginHost } from '../core/plugin/host.js';
import { cellJob } from '../core/sweep/cell-job.js';
import { type CellRecord, runCell } from '../core/sweep/cell-run.js';
import { expandCells } from '../core/sweep/matrix.js';
import { loadSweepFile } from '../core/sweep/sweep-file.js';

const repo = resolve(import.meta.dirname, '..');
const host = new PluginHost();
for (const p of BUILTIN_PLUGINS) host.use(p);

type Edit = (sweep: {
  axes: { name: string; values: unknown[] }[];
  workloads: { [k: string]: { params: { [k: string]: unknown } } };
}) => void;

/** Runs the shipped sweep `name` with `edit` applied; returns its records. */
function run(name: string, edit: Edit): CellRecord[] {
  const s = JSON.parse(readFileSync(join(repo, 'sweeps', `${name}.sweep.json`), 'utf8'));
  edit(s);
  const dir = mkdtempSync(join(tmpdir(), 'viommu-compare-'));
  writeFileSync(join(dir, `${name}.sweep.json`), JSON.stringify(s));
  const sweep = loadSweepFile(join(dir, `${name}.sweep.json`));
  const records = expandCells(sweep).map((c) => runCell(host, cellJob(sweep, c), []).record);
  for (const r of records) expect(r.error, r.id).toBeNull();
  return records;
}

const pick = (rs: readonly CellRecord[], axes: { [k: string]: unknown }): CellRecord => {
  const found = rs.filter((r) => Object.entries(axes).every(([k, v]) => r.axes[k] === v));
  expect(found, JSON.stringify(axes)).toHaveLength(1);
  return found[0]!;
};
const m = (r: CellRecord, k: string): number => {
  const v = r.metrics[k];
  expect(v, `${r.id}: ${k}`).toBeTypeOf('number');
  return v!;
};

describe('docs/compare.md question 1: IOTLB size x policy x workload', () => {
  const entries = [16, 64, 256, 1024];
  let rs: CellRecord[] = [];
  beforeAll(() => {
    rs = run('iotlb-size', (s) => {
      s.axes.find((a) => a.name === 'entries')!.values = entries;
      s.axes.find((a) => a.name === 'workload')!.values = ['random-hot', 'random-mixed', 'nic-rx'];
      for (const w of ['random-hot', 'random-mixed'])
        Object.assign(s.workloads[w]!.params, { pages: 8192, count: 20000, hotPages: 512 });
      Object.assign(s.workloads['nic-rx']!.params, { ring: 64, packets: 1024 });
    });
  }, 300_000);
  const plugins = ['vtd', 'smmuv3', 'amdvi'];

  it('with LRU, a bigger IOTLB never hits less on random reads, and cuts page-walk reads', () => {
    for (const plugin of plugins) {
      const cells = entries.map((e) =>
        pick(rs, { plugin, entries: e, policy: 'lru', workload: 'random-hot' }),
      );
      for (let i = 1; i < cells.length; i++) {
        expect(m(cells[i]!, 'tlb.hitRate')).toBeGreaterThanOrEqual(m(cells[i - 1]!, 'tlb.hitRate'));
        expect(m(cells[i]!, 'readsPerTranslation')).toBeLessThanOrEqual(
          m(cells[i - 1]!, 'readsPerTranslation'),
        );
      }
      expect(m(cells.at(-1)!, 'tlb.hitRate')).toBeGreaterThan(m(cells[0]!, 'tlb.hitRate') + 0.3);
    }
  });

  it('once the hot set fits, LRU hits at least as often as FIFO and random, and QEMU flush-when-full hits least', () => {
    for (const plugin of plugins) {
      const at = (policy: string) =>
        m(pick(rs, { plugin, entries: 1024, policy, workload: 'random-hot' }), 'tlb.hitRate');
      expect(at('lru')).toBeGreaterThanOrEqual(at('fifo'));
      expect(at('lru')).toBeGreaterThanOrEqual(at('random'));
      expect(at('qemu')).toBeLessThan(at('lru'));
    }
  });

  it('2 MiB mappings raise the hit rate of a small IOTLB on the same accesses', () => {
    for (const plugin of plugins) {
      const hot = m(pick(rs, { plugin, entries: 64, policy: 'lru', workload: 'random-hot' }), 'tlb.hitRate');
      const mixed = m(
        pick(rs, { plugin, entries: 64, policy: 'lru', workload: 'random-mixed' }),
        'tlb.hitRate',
      );
      expect(mixed).toBeGreaterThan(hot);
    }
  });

  it('per-packet map/unmap caps a NIC ring at one hit per two accesses, whatever the size', () => {
    for (const plugin of plugins)
      for (const e of entries) {
        const r = pick(rs, { plugin, entries: e, policy: 'lru', workload: 'nic-rx' });
        expect(m(r, 'tlb.hitRate')).toBeLessThanOrEqual(0.5);
      }
  });
});

describe('docs/compare.md question 2: strict, lazy, batched invalidation', () => {
  let rs: CellRecord[] = [];
  beforeAll(() => {
    rs = run('invalidation', (s) => {
      Object.assign(s.workloads['nic-rx']!.params, { ring: 64, packets: 2048 });
      Object.assign(s.workloads.nvme!.params, { queues: 2, depth: 16, ios: 512 });
    });
  }, 300_000);

  it('lazy costs extra misses, batched none; invalidation operations fall strict > batched > lazy', () => {
    for (const plugin of ['vtd', 'smmuv3', 'amdvi'])
      for (const workload of ['nic-rx', 'nvme']) {
        const [strict, lazy, batched] = ['strict', 'lazy', 'batched'].map((strategy) =>
          pick(rs, { plugin, workload, strategy }),
        );
        expect(m(lazy!, 'tlb.misses')).toBeGreaterThan(m(strict!, 'tlb.misses'));
        expect(m(batched!, 'tlb.misses')).toBe(m(strict!, 'tlb.misses'));
        expect(m(strict!, 'invalidationsTotal')).toBeGreaterThan(m(batched!, 'invalidationsTotal'));
        expect(m(batched!, 'invalidationsTotal')).toBeGreaterThan(m(lazy!, 'invalidationsTotal'));
        expect(m(strict!, 'invalidations.sync')).toBeGreaterThan(m(batched!, 'invalidations.sync'));
        expect(m(lazy!, 'invalidations.iotlb.domain')).toBeGreaterThan(0);
        expect(m(lazy!, 'invalidations.iotlb.page')).toBe(0);
      }
  });
});

describe('docs/compare.md question 3: nested against shadow translation', () => {
  let rs: CellRecord[] = [];
  beforeAll(() => {
    rs = run('nested-shadow', (s) => {
      Object.assign(s.workloads['nic-rx']!.params, { ring: 64, packets: 1024 });
      Object.assign(s.workloads.nvme!.params, { queues: 2, depth: 8, ios: 256 });
      Object.assign(s.workloads['random-hot']!.params, { pages: 4096, count: 10000, hotPages: 256 });
    });
  }, 300_000);
  const traps = (r: CellRecord): number =>
    ['after-map', 'flush-pages', 'flush-domain', 'sync'].reduce(
      (n, k) => n + (r.metrics[`ops.${k}`] ?? 0),
      0,
    );

  it('nested walks cost more reads per translation; shadowing costs more guest invalidations for the VMM', () => {
    for (const entries of [64, 512])
      for (const workload of ['nic-rx', 'nvme', 'random-hot']) {
        const nested = pick(rs, { mode: 'nested', entries, workload });
        const shadow = pick(rs, { mode: 'shadow', entries, workload });
        expect(m(nested, 'readsPerTranslation')).toBeGreaterThan(2 * m(shadow, 'readsPerTranslation'));
        expect(m(nested, 'faults')).toBe(0);
        expect(m(shadow, 'faults')).toBe(0);
        expect(traps(shadow)).toBeGreaterThan(traps(nested));
        expect(m(shadow, 'invalidationsTotal')).toBe(m(nested, 'invalidationsTotal'));
      }
  });
});
