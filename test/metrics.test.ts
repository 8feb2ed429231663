/**
 * The common metrics (core/metrics): every built-in plugin reports them under the same names.
 * The churn workload maps, accesses, unmaps-and-invalidates and re-accesses a page 24 times, so
 * each architecture must count 24 page-selective invalidations (flat: 24 flushes), 24
 * translation faults, and every access before an invalidation-free hit walks.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BUILTIN_PLUGINS } from '../cli/builtin-plugins.js';
import { runCli } from '../cli/scenario/run-cli.js';
import { MetricsSink } from '../core/metrics/metrics-sink.js';
import { INVALIDATION_SCOPES } from '../core/metrics/unit-metrics.js';
import { PluginHost } from '../core/plugin/host.js';
import { loadScenarioFile } from '../core/scenario/load.js';
import { runTarget } from '../core/scenario/runner.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

describe('common metrics', () => {
  const host = new PluginHost();
  for (const p of BUILTIN_PLUGINS) host.use(p);
  const churn = loadScenarioFile(join(ROOT, 'scenarios/workloads/churn.scenario.json'));

  it.each(churn.targets.map((t) => [t.plugin, t] as const))('%s: churn counts', (plugin, target) => {
    const sink = new MetricsSink(host.get(plugin));
    let lastT = -1;
    const run = runTarget(host, churn, target, {
      sinks: [
        sink,
        {
          append: (r) => {
            lastT = r.t;
          },
        },
      ],
    });
    const m = sink.metrics(run.stats);
    expect(m.translations).toBe(48);
    expect(m.faults).toBe(24);
    expect(m.faultsByKind).toEqual({ TRANSLATION: 24 });
    // Each round: the access after map misses (nothing cached yet) and so does the one after unmap.
    expect(m.walks).toBe(48);
    expect(Object.keys(m.invalidations)).toEqual([...INVALIDATION_SCOPES]);
    expect(m.invalidations[plugin === 'flat' ? 'iotlb.global' : 'iotlb.page']).toBe(24);
    expect(m.simTimeNs).toBe(lastT);
    expect(m.simTimeNs).toBeGreaterThan(0);
    for (const c of Object.values(m.caches)) {
      expect(c.hits + c.misses).toBe(c.lookups);
      expect(c.hitRate).toBe(c.lookups === 0 ? 0 : c.hits / c.lookups);
    }
    expect(m.readsPerTranslation).toBe(m.memReads / 48);
  });

  it('run --json reports them per target', async () => {
    const r = await runCli([
      'run',
      join(ROOT, 'scenarios/workloads/churn.scenario.json'),
      '--json',
      '--no-golden',
      '--out',
      mkdtempSync(join(tmpdir(), 'viommu-metrics-')),
    ]);
    expect(r.code, r.stderr).toBe(0);
    const runs = JSON.parse(r.stdout).runs as {
      plugin: string;
      metrics: { invalidations: { [k: string]: number }; faultsByKind: object };
    }[];
    expect(runs.map((x) => x.plugin)).toEqual(['vtd', 'smmuv3', 'amdvi', 'flat']);
    for (const x of runs) {
      expect(x.metrics.faultsByKind).toEqual({ TRANSLATION: 24 });
      expect(x.metrics.invalidations[x.plugin === 'flat' ? 'iotlb.global' : 'iotlb.page']).toBe(24);
    }
  });
});
