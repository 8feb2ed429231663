/**
 * `viommu report` in a real browser: three small sweeps (cache size x policy, invalidation
 * strategies, nested against shadow) are run with the built CLI, reported as HTML, and opened in headless Chromium
 * (Debian's package, driven by playwright-core). The page must render with no console error,
 * draw every chart, and show in its table exactly the numbers of results.json. Markdown and CSV
 * carry the same numbers. Without a chromium binary (e.g. a laptop) the browser test is skipped;
 * .ci/run installs it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildTestCli } from './build-cli.test-support.js';

const repo = resolve(import.meta.dirname, '..');
let cli: string;
const browserPath = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
let dir: string;

function viommu(...args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: dir, encoding: 'utf8', timeout: 300_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface Results {
  records: { cell: number; id: string; metrics: { [k: string]: number } }[];
}

beforeAll(async () => {
  cli = await buildTestCli('test-report');
  dir = mkdtempSync(join(tmpdir(), 'viommu-report-'));
  const size = JSON.parse(readFileSync(join(repo, 'sweeps/iotlb-size.sweep.json'), 'utf8'));
  size.id = 'test/size-small';
  size.axes = [
    { name: 'plugin', values: ['vtd', 'amdvi'] },
    { name: 'entries', values: [16, 64, 256] },
    { name: 'policy', values: ['lru', 'fifo'] },
    { name: 'workload', values: ['random-hot'] },
  ];
  size.workloads['random-hot'].params = {
    ...size.workloads['random-hot'].params,
    pages: 2048,
    count: 3000,
    hotPages: 64,
  };
  writeFileSync(join(dir, 'size.sweep.json'), JSON.stringify(size));
  const inv = JSON.parse(readFileSync(join(repo, 'sweeps/invalidation.sweep.json'), 'utf8'));
  inv.id = 'test/invalidation-small';
  inv.axes[0].values = ['vtd', 'smmuv3'];
  inv.workloads['nic-rx'].params = { ...inv.workloads['nic-rx'].params, ring: 16, packets: 200 };
  inv.workloads.nvme.params = { ...inv.workloads.nvme.params, queues: 1, depth: 4, ios: 40 };
  writeFileSync(join(dir, 'inv.sweep.json'), JSON.stringify(inv));
  const ns = JSON.parse(readFileSync(join(repo, 'sweeps/nested-shadow.sweep.json'), 'utf8'));
  ns.id = 'test/nested-shadow-small';
  ns.axes = ns.axes.filter((a: { name: string }) => a.name !== 'entries');
  ns.workloads['nic-rx'].params = { ...ns.workloads['nic-rx'].params, ring: 16, packets: 100 };
  ns.workloads.nvme.params = { ...ns.workloads.nvme.params, queues: 1, depth: 4, ios: 30 };
  ns.workloads['random-hot'].params = {
    ...ns.workloads['random-hot'].params,
    pages: 512,
    count: 2000,
    hotPages: 64,
  };
  for (const t of Object.values(ns.targets) as { options: { caches: { iotlb: { entries: unknown } } } }[])
    t.options.caches.iotlb.entries = 64;
  writeFileSync(join(dir, 'ns.sweep.json'), JSON.stringify(ns));
  for (const s of ['size', 'inv', 'ns']) {
    const r = viommu('sweep', `${s}.sweep.json`, '--workers', '1', '--out', s, '-q');
    expect(r.code, r.stderr).toBe(0);
  }
}, 300_000);

// Spawned CLI runs and a browser: slow on a shared machine, so generous limits (nothing here is timed).
describe('viommu report', { timeout: 300_000 }, () => {
  it('writes Markdown and CSV with the numbers of results.json and deltas to the baseline', () => {
    const r = viommu('report', 'size', '--md', '-', '--csv', 'size.csv', '--baseline', '1');
    expect(r.code, r.stderr).toBe(0);
    const results = JSON.parse(readFileSync(join(dir, 'size/results.json'), 'utf8')) as Results;
    const csv = readFileSync(join(dir, 'size.csv'), 'utf8').trim().split('\n');
    const head = csv[0]!.split(',');
    expect(csv).toHaveLength(results.records.length + 1);
    const hit = head.indexOf('tlb.hitRate');
    csv.slice(1).forEach((line, i) => {
      expect(Number(line.split(',')[hit])).toBe(results.records[i]!.metrics['tlb.hitRate']);
    });
    expect(r.stdout).toContain('Baseline: cell 1 (`plugin=vtd entries=16 policy=fifo workload=random-hot`)');
    expect(r.stdout.split('\n').filter((l) => l.startsWith('| ')).length).toBe(results.records.length + 2); // header and rule lines
    expect(viommu('report', 'size', '--baseline', 'no-such-cell').code).toBe(2);
  });

  it.skipIf(browserPath === undefined)(
    'renders in headless Chromium: no console error, every chart drawn, the table equal to results.json',
    async () => {
      for (const [name, charts] of [
        ['size', ['hit-rate-by-size', 'reads-by-size']],
        ['inv', ['misses-by-strategy', 'invalidations-by-strategy']],
        ['ns', ['reads-by-mode', 'invalidations-by-mode']],
      ] as const) {
        const r = viommu('report', name, '--html', `${name}.html`);
        expect(r.code, r.stderr).toBe(0);
        const html = readFileSync(join(dir, `${name}.html`), 'utf8');
        expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=/); // self-contained
        const results = JSON.parse(readFileSync(join(dir, name, 'results.json'), 'utf8')) as Results;
        const browser = await chromium.launch({ executablePath: browserPath!, args: ['--no-sandbox'] });
        try {
          const page = await browser.newPage();
          const errors: string[] = [];
          page.on('console', (m) => {
            if (m.type() === 'error' || m.type() === 'warning') errors.push(m.text());
          });
          page.on('pageerror', (e) => errors.push(e.message));
          page.on('request', (req) => {
            if (!req.url().startsWith('file:')) errors.push(`network request ${req.url()}`);
          });
          await page.goto(`file://${join(dir, `${name}.html`)}`);
          await page.waitForLoadState('load');
          const drawn = await page.$$eval('figure[data-chart]', (fs) =>
            fs.map((f) => ({
              id: f.getAttribute('data-chart'),
              rows: Number(f.getAttribute('data-drawn')),
              marks: f.querySelectorAll(
                'svg [aria-label="line"] path, svg [aria-label="bar"] rect, svg [aria-label="dot"] circle',
              ).length,
            })),
          );
          expect(drawn.map((d) => d.id)).toEqual(charts);
          for (const d of drawn) {
            expect(d.rows, d.id).toBe(results.records.length);
            expect(d.marks, d.id).toBeGreaterThan(0);
          }
          const cells = await page.$$eval('#metrics tbody tr', (trs) =>
            trs.map((tr) => ({
              cell: Number(tr.getAttribute('data-cell')),
              values: [...tr.querySelectorAll('td[data-metric]')].map((td) => ({
                metric: td.getAttribute('data-metric') ?? '',
                exact: td.getAttribute('data-value'),
                shown: td.querySelector('.v')!.textContent!,
              })),
            })),
          );
          expect(cells.map((c) => c.cell)).toEqual(results.records.map((r) => r.cell));
          for (const c of cells) {
            const metrics = results.records.find((r) => r.cell === c.cell)!.metrics;
            // Columns are every metric of any cell; a cell without one (ops.after-map on nested) shows nothing.
            const shown = c.values.filter((v) => v.exact !== null);
            expect(shown.map((v) => v.metric).sort()).toEqual(Object.keys(metrics).sort());
            for (const v of c.values.filter((x) => x.exact === null)) expect(v.shown).toBe('');
            for (const v of shown) {
              expect(Number(v.exact)).toBe(metrics[v.metric]);
              expect(Number(v.shown)).toBeCloseTo(metrics[v.metric]!, 4);
            }
          }
          expect(errors).toEqual([]);
        } finally {
          await browser.close();
        }
      }
    },
  );
});
