/**
 * `viommu sweep` and `viommu merge` end to end, on the built CLI (worker threads load the
 * bundled worker): the results are the same bytes with one worker or two, and three shards run
 * as separate processes merge into exactly the unsharded output; merge refuses shards that do
 * not belong together, naming them.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildTestCli, testDir } from './build-cli.test-support.js';

const repo = resolve(import.meta.dirname, '..');
let cli: string;
let dir: string;
let sweepFile: string;

function viommu(...args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: dir, encoding: 'utf8', timeout: 300_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Every file under `root`, relative path -> bytes. */
function tree(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string, rel: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (e.isDirectory()) walk(join(d, e.name), `${rel}${e.name}/`);
      else out.set(`${rel}${e.name}`, readFileSync(join(d, e.name), 'utf8'));
    }
  };
  walk(root, '');
  return out;
}

/** The shipped invalidation sweep, made small: same axes and targets, short workloads. */
function smallSweep(): object {
  const s = JSON.parse(readFileSync(join(repo, 'sweeps/invalidation.sweep.json'), 'utf8'));
  s.id = 'test/invalidation-small';
  s.workloads['nic-rx'].params = { ...s.workloads['nic-rx'].params, ring: 32, packets: 300 };
  s.workloads.nvme.params = { ...s.workloads.nvme.params, queues: 2, depth: 4, ios: 60 };
  return s;
}

beforeAll(async () => {
  cli = await buildTestCli('test-sweep');
  dir = mkdtempSync(join(tmpdir(), 'viommu-sweep-'));
  sweepFile = join(dir, 'small.sweep.json');
  writeFileSync(sweepFile, JSON.stringify(smallSweep(), null, 2));
}, 300_000);

// Spawned CLI runs: slow on a shared machine, so generous limits (nothing here is timed).
describe('viommu sweep', { timeout: 300_000 }, () => {
  it('writes the same bytes with 1 and 2 workers, and 3 merged shards equal the unsharded run', () => {
    const one = viommu('sweep', sweepFile, '--workers', '1', '--out', 'w1', '-q');
    expect(one.code, one.stderr).toBe(0);
    const two = viommu('sweep', sweepFile, '--workers', '2', '--out', 'w2', '-q');
    expect(two.code, two.stderr).toBe(0);
    const results = JSON.parse(readFileSync(join(dir, 'w1/results.json'), 'utf8'));
    expect(results.records).toHaveLength(18);
    expect(results.shard).toBeNull();
    expect(results.records.every((r: { error: null }) => r.error === null)).toBe(true);
    expect(tree(join(dir, 'w2'))).toEqual(tree(join(dir, 'w1')));
    for (const i of [1, 2, 3]) {
      const s = viommu('sweep', sweepFile, '--shard', `${i}/3`, '--workers', '1', '--out', `s${i}`, '-q');
      expect(s.code, s.stderr).toBe(0);
      const part = JSON.parse(readFileSync(join(dir, `s${i}/results.json`), 'utf8'));
      expect(part.shard).toEqual({ index: i, count: 3 });
      expect(part.records).toHaveLength(6);
    }
    const m = viommu('merge', 's3', 's1', 's2', '--out', 'merged');
    expect(m.code, m.stderr).toBe(0);
    expect(readFileSync(join(dir, 'merged/results.json'), 'utf8')).toBe(
      readFileSync(join(dir, 'w1/results.json'), 'utf8'),
    );
    expect(tree(join(dir, 'merged'))).toEqual(tree(join(dir, 'w1')));
    // gem5-style per-cell files: the resolved configuration and every metric.
    const config = JSON.parse(readFileSync(join(dir, 'w1/cells/0000/config.json'), 'utf8'));
    expect(config.plugin).toBe('vtd');
    expect(config.workload.params.strategy).toBe('strict');
    const stats = JSON.parse(readFileSync(join(dir, 'w1/cells/0000/stats.json'), 'utf8'));
    expect(stats['caches.iotlb.lookups']).toBe(stats['tlb.lookups']);
    expect(stats.translations).toBe(results.records[0].metrics.translations);
  });

  it('merge refuses missing, repeated and foreign shards, naming them', () => {
    const missing = viommu('merge', 's1', 's2', '--out', 'bad1');
    expect(missing.code).toBe(4);
    expect(missing.stderr).toContain('shard 3/3 missing');
    cpSync(join(dir, 's1'), join(dir, 's1-copy'), { recursive: true });
    const twice = viommu('merge', 's1', 's2', 's3', 's1-copy', '--out', 'bad2');
    expect(twice.code).toBe(4);
    expect(twice.stderr).toContain('shard 1/3 given twice: s1 and s1-copy');
    const other = JSON.parse(readFileSync(sweepFile, 'utf8'));
    other.workloads.nvme.params.ios = 61;
    writeFileSync(join(dir, 'other.sweep.json'), JSON.stringify(other));
    expect(
      viommu('sweep', 'other.sweep.json', '--shard', '2/3', '--workers', '1', '--out', 'o2', '-q').code,
    ).toBe(0);
    const foreign = viommu('merge', 's1', 'o2', 's3', '--out', 'bad3');
    expect(foreign.code).toBe(4);
    expect(foreign.stderr).toMatch(/s1 and o2 are shards of different sweeps/);
    cpSync(join(dir, 's2'), join(dir, 's2-old'), { recursive: true });
    const old = JSON.parse(readFileSync(join(dir, 's2-old/results.json'), 'utf8'));
    old.simulator = '0.0.1';
    writeFileSync(join(dir, 's2-old/results.json'), JSON.stringify(old));
    const version = viommu('merge', 's1', 's2-old', 's3', '--out', 'bad4');
    expect(version.code).toBe(4);
    expect(version.stderr).toContain(
      's1 and s2-old were run by different simulator versions (0.1.0 vs 0.0.1)',
    );
  });

  it('refuses a bad sweep file with exit 4 naming the field, and a bad --shard with exit 2', () => {
    const bad = JSON.parse(readFileSync(sweepFile, 'utf8'));
    bad.axes[0].values.push('riscv');
    writeFileSync(join(dir, 'bad.sweep.json'), JSON.stringify(bad));
    const r = viommu('sweep', 'bad.sweep.json', '--out', 'x');
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('bad.sweep.json: axes.plugin.values[3]: no target named "riscv"');
    expect(viommu('sweep', sweepFile, '--shard', '4/3').code).toBe(2);
  });

  it('runs cells on a plugin loaded with --plugin, the same on worker threads as in one thread', () => {
    // A scaffolded plugin inside the repo, so its imports of core/ resolve.
    const pdir = testDir('sweep-plugin');
    rmSync(pdir, { recursive: true, force: true });
    mkdirSync(pdir, { recursive: true });
    const made = spawnSync(process.execPath, [cli, 'plugin', 'new', 'toyiommu'], {
      cwd: pdir,
      encoding: 'utf8',
    });
    expect(made.status, made.stderr).toBe(0);
    const toy = {
      format: 'viommu-sweep',
      version: 1,
      id: 'test/toy',
      title: 'a plugin from outside the bundle',
      axes: [
        { name: 'plugin', values: ['toyiommu'] },
        { name: 'entries', values: [8, 32] },
        { name: 'workload', values: ['nic'] },
        { name: 'strategy', values: ['strict', 'lazy'] },
      ],
      targets: {
        toyiommu: {
          options: { tlbEntries: '$entries' },
          devices: [{ name: 'dev', sid: 16 }],
          setup: [{ type: 'toyiommu.table.set', data: { base: '0x100000' } }],
          templates: {
            map: [{ type: 'toyiommu.pte.set', data: { iova: '$iova', pa: '$pa', write: true } }],
            unmap: [{ type: 'toyiommu.pte.clear', data: { iova: '$iova' } }],
            'flush-page': [{ type: 'toyiommu.tlb.invalidate', data: {} }],
            'flush-domain': [{ type: 'toyiommu.tlb.invalidate', data: {} }],
            sync: [],
          },
          tlbCache: 'tlb',
        },
      },
      workloads: {
        nic: {
          generator: 'nic-ring',
          params: {
            device: 'dev',
            iova: '0x0',
            pa: '0x800000',
            ring: 8,
            packets: 100,
            strategy: '$strategy',
          },
        },
      },
    };
    writeFileSync(join(pdir, 'toy.sweep.json'), JSON.stringify(toy));
    const run = (w: string) =>
      spawnSync(
        process.execPath,
        [
          cli,
          'sweep',
          'toy.sweep.json',
          '--plugin',
          './plugins/toyiommu/index.ts',
          '--workers',
          w,
          '--out',
          `w${w}`,
          '-q',
        ],
        {
          cwd: pdir,
          encoding: 'utf8',
        },
      );
    for (const w of ['1', '2']) expect(run(w).status).toBe(0);
    const one = readFileSync(join(pdir, 'w1/results.json'), 'utf8');
    expect(readFileSync(join(pdir, 'w2/results.json'), 'utf8')).toBe(one);
    const records = JSON.parse(one).records as { error: null; metrics: { translations: number } }[];
    expect(records.map((r) => r.error)).toEqual([null, null, null, null]);
    expect(records.every((r) => r.metrics.translations === 200)).toBe(true);
    // Without --plugin the target's plugin is unknown: the cells fail, exit 3.
    const missing = spawnSync(
      process.execPath,
      [cli, 'sweep', 'toy.sweep.json', '--workers', '1', '--out', 'none', '-q'],
      { cwd: pdir, encoding: 'utf8' },
    );
    expect(missing.status).not.toBe(0);
  });
});
