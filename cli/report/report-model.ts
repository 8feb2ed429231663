/**
 * What a sweep report shows, computed once for every output format: the cells with their axes
 * and metrics, the baseline cell and each metric's delta to it, and the charts the sweep's axes
 * allow (hit rate against cache size per policy; misses and invalidation work per strategy;
 * reads per translation per translation mode).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CellRecord } from '../../core/sweep/cell-run.js';
import { checkResults, type SweepResults } from '../../core/sweep/results.js';
import type { AxisValue } from '../../core/sweep/sweep-file.js';

export interface ChartSpec {
  readonly id: string;
  readonly title: string;
  /** The axis on x, the metric on y, the axis that picks the colour (or null). */
  readonly x: string;
  readonly y: string;
  readonly color: string | null;
  /** `line` over a numeric x (log scale), `bar` over categories. */
  readonly mark: 'line' | 'bar';
  readonly yLabel: string;
}

export interface ReportModel {
  readonly results: SweepResults;
  /** Axis names, in the sweep's order. */
  readonly axes: readonly string[];
  /** Metric names, in order of first appearance. */
  readonly metrics: readonly string[];
  readonly cells: readonly CellRecord[];
  readonly baseline: CellRecord;
  readonly charts: readonly ChartSpec[];
  /** Axes that do not vary (one value): shown once, not per chart. */
  readonly fixed: { readonly [axis: string]: AxisValue };
  /** Axes besides a chart's x and colour that vary: each combination is one panel. */
  readonly panelAxes: (chart: ChartSpec) => readonly string[];
}

/** Reads DIR/results.json; throws naming the file when it is not a sweep's results. */
export function readResults(dir: string): SweepResults {
  const file = join(dir, 'results.json');
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw Object.assign(new Error(`${file}: ${(e as Error).message}`), { code: 'VIOMMU_ERR_INPUT' });
  }
  const r = checkResults(raw, file);
  if (r.shard !== null)
    throw Object.assign(
      new Error(
        `${file}: shard ${r.shard.index}/${r.shard.count} only; merge the shards first (viommu merge)`,
      ),
      {
        code: 'VIOMMU_ERR_INPUT',
      },
    );
  return r;
}

/** The baseline: a cell index, or a cell id (`plugin=vtd entries=64 ...`); default cell 0. */
export function pickBaseline(cells: readonly CellRecord[], wanted: string | undefined): CellRecord {
  if (wanted === undefined) return cells[0]!;
  const byIndex = /^\d+$/.test(wanted) ? cells.find((c) => c.cell === Number(wanted)) : undefined;
  const found = byIndex ?? cells.find((c) => c.id === wanted);
  if (found === undefined)
    throw Object.assign(
      new Error(
        `--baseline: no cell ${JSON.stringify(wanted)} (give a cell number 0..${cells.length - 1} or a cell id)`,
      ),
      {
        code: 'VIOMMU_USAGE',
      },
    );
  return found;
}

const CHARTS: readonly (ChartSpec & { readonly needs: readonly string[] })[] = [
  {
    id: 'hit-rate-by-size',
    title: 'Translation-cache hit rate against cache size, per policy',
    x: 'entries',
    y: 'tlb.hitRate',
    color: 'policy',
    mark: 'line',
    yLabel: 'hit rate',
    needs: ['entries', 'policy'],
  },
  {
    id: 'reads-by-size',
    title: 'Page-walk reads per translation against cache size, per policy',
    x: 'entries',
    y: 'readsPerTranslation',
    color: 'policy',
    mark: 'line',
    yLabel: 'memory reads per translation',
    needs: ['entries', 'policy'],
  },
  {
    id: 'misses-by-strategy',
    title: 'Translation-cache misses per invalidation strategy',
    x: 'strategy',
    y: 'tlb.misses',
    color: 'strategy',
    mark: 'bar',
    yLabel: 'misses',
    needs: ['strategy'],
  },
  {
    id: 'invalidations-by-strategy',
    title: 'Invalidation operations (all scopes, with waits) per invalidation strategy',
    x: 'strategy',
    y: 'invalidationsTotal',
    color: 'strategy',
    mark: 'bar',
    yLabel: 'invalidation operations',
    needs: ['strategy'],
  },
  {
    id: 'reads-by-mode',
    title: 'Memory reads per translation per translation mode',
    x: 'mode',
    y: 'readsPerTranslation',
    color: 'mode',
    mark: 'bar',
    yLabel: 'memory reads per translation',
    needs: ['mode'],
  },
  {
    id: 'invalidations-by-mode',
    title: 'Invalidation operations per translation mode',
    x: 'mode',
    y: 'invalidationsTotal',
    color: 'mode',
    mark: 'bar',
    yLabel: 'invalidation operations',
    needs: ['mode'],
  },
];

export function buildModel(results: SweepResults, baselineWanted?: string): ReportModel {
  const cells = results.records.filter((r) => r.error === null);
  if (cells.length === 0)
    throw Object.assign(new Error('results.json: no cell ran without error'), { code: 'VIOMMU_ERR_INPUT' });
  const axes = Object.keys(cells[0]!.axes);
  const metrics: string[] = [];
  const seen = new Set<string>();
  for (const c of cells)
    for (const k of Object.keys(c.metrics))
      if (!seen.has(k)) {
        seen.add(k);
        metrics.push(k);
      }
  const varying = axes.filter((a) => new Set(cells.map((c) => String(c.axes[a]))).size > 1);
  const fixed: { [axis: string]: AxisValue } = {};
  for (const a of axes) if (!varying.includes(a)) fixed[a] = cells[0]!.axes[a]!;
  const charts = CHARTS.filter((c) => c.needs.every((a) => varying.includes(a)) && seen.has(c.y)).map(
    ({ needs: _n, ...c }) => c,
  );
  return {
    results,
    axes,
    metrics,
    cells,
    baseline: pickBaseline(cells, baselineWanted),
    charts,
    fixed,
    panelAxes: (chart) => varying.filter((a) => a !== chart.x && a !== chart.color),
  };
}

/** `value - baseline` and the relative change; null when the baseline lacks the metric. */
export function delta(
  model: ReportModel,
  cell: CellRecord,
  metric: string,
): { abs: number; rel: number | null } | null {
  const b = model.baseline.metrics[metric];
  const v = cell.metrics[metric];
  if (b === undefined || v === undefined) return null;
  return { abs: v - b, rel: b === 0 ? null : (v - b) / Math.abs(b) };
}

/** A metric value as the tables show it: integers whole, others to 6 significant digits. */
export function formatValue(v: number | undefined): string {
  if (v === undefined) return '';
  if (Number.isInteger(v)) return String(v);
  return Number(v.toPrecision(6)).toString();
}

export function formatDelta(d: { abs: number; rel: number | null } | null): string {
  if (d === null || d.abs === 0) return '';
  const abs = `${d.abs > 0 ? '+' : ''}${formatValue(d.abs)}`;
  return d.rel === null ? abs : `${abs} (${d.rel > 0 ? '+' : ''}${(d.rel * 100).toFixed(1)}%)`;
}
