/**
 * A sweep whose workload is a QEMU VT-d trace: `viommu sweep` imports it into OUT/workloads (as
 * `viommu trace import` does) and runs it on each cell's IOTLB size; a trace workload on another
 * architecture's target, or in another format, is refused by name.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT } from '../cli/scenario/context.js';
import { runCli } from '../cli/scenario/run-cli.js';

const fixtures = resolve(import.meta.dirname, '../plugins/vtd/trace/fixtures');
const dir = mkdtempSync(join(tmpdir(), 'viommu-sweep-trace-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
for (const f of ['legacy-lazy-cm0-flush.trace.log.gz', 'legacy-lazy-cm0-flush.console.log'])
  cpSync(join(fixtures, f), join(dir, f));

const target = (plugin: string) => ({
  plugin,
  options: { caches: { iotlb: { entries: '$entries' } } },
  tlbCache: 'iotlb',
  devices: [{ name: 'dev', sid: 16 }],
  setup: [],
  templates: {},
});

/** Writes NAME.sweep.json over `plugins` with the trace workload `workload`. */
function sweepFile(name: string, plugins: string[], workload: object): string {
  const file = join(dir, `${name}.sweep.json`);
  const sweep = {
    format: 'viommu-sweep',
    version: 1,
    id: `test/${name}`,
    title: 'an imported trace on two IOTLB sizes',
    axes: [
      { name: 'plugin', values: plugins },
      { name: 'workload', values: ['flush'] },
      { name: 'entries', values: [16, 256] },
    ],
    targets: Object.fromEntries(plugins.map((p) => [p, target(p)])),
    workloads: { flush: workload },
  };
  writeFileSync(file, JSON.stringify(sweep, null, 2));
  return file;
}

const TRACE = { trace: 'legacy-lazy-cm0-flush.trace.log.gz', format: 'qemu-vtd' };

describe('a trace as a sweep workload', { timeout: 120_000 }, () => {
  it('is imported into the output folder and run on every cell', async () => {
    const file = sweepFile('trace', ['vtd'], TRACE);
    const r = await runCli(['sweep', file, '--workers', '1', '--out', join(dir, 'out'), '-q'], { cwd: dir });
    expect(r.code, r.stderr + r.stdout).toBe(EXIT.OK);
    expect(existsSync(join(dir, 'out/workloads/flush.scenario.json'))).toBe(true);
    expect(existsSync(join(dir, 'out/workloads/flush.steps.jsonl'))).toBe(true);
    const results = JSON.parse(readFileSync(join(dir, 'out/results.json'), 'utf8'));
    expect(results.records).toHaveLength(2);
    const [small, large] = results.records;
    expect(small.error).toBeNull();
    expect(small.config.workload).toEqual({ name: 'flush', trace: TRACE.trace, target: 'vtd' });
    // The console log beside the trace says legacy mode; the cell's axis sets the IOTLB size.
    expect(small.config.options.mode).toBe('legacy');
    expect(small.metrics['tlb.capacity']).toBe(16);
    expect(large.metrics['tlb.capacity']).toBe(256);
    expect(small.metrics.translations).toBeGreaterThan(1000);
    expect(large.metrics.translations).toBe(small.metrics.translations);
    expect(large.metrics['tlb.hits']).toBeGreaterThan(small.metrics['tlb.hits']);
  });

  it('is refused on a target of another architecture, and in another format', async () => {
    const other = await runCli(['sweep', sweepFile('mixed', ['vtd', 'smmuv3'], TRACE), '-q'], { cwd: dir });
    expect(other.code).toBe(EXIT.INPUT);
    expect(other.stderr).toContain(
      'a qemu-vtd trace runs on VT-d targets only, but cell "plugin=smmuv3 workload=flush entries=16" has target "smmuv3"',
    );
    const format = await runCli(['sweep', sweepFile('format', ['vtd'], { ...TRACE, format: 'pcap' }), '-q'], {
      cwd: dir,
    });
    expect(format.code).toBe(EXIT.INPUT);
    expect(format.stderr).toContain('workloads.flush.format: expected "qemu-vtd"');
  });
});
