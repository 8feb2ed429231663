/**
 * Runs one cell on a host: the cell's scenario on its target, with a MetricsSink, and returns
 * its record (configuration, selected metrics) and its gem5-style stats (every metric). A cell
 * whose plugin throws or whose input is invalid gets an `error` instead of metrics; the others
 * go on.
 */
import { type FlatMetrics, flattenMetrics, selectMetrics } from '../metrics/flatten.js';
import { MetricsSink } from '../metrics/metrics-sink.js';
import type { JsonObject } from '../plugin/contract.js';
import type { PluginHost } from '../plugin/host.js';
import { runTarget } from '../scenario/runner.js';
import type { CellJob } from './cell-job.js';
import type { AxisValue } from './sweep-file.js';

export interface CellRecord {
  readonly cell: number;
  readonly id: string;
  readonly axes: { readonly [axis: string]: AxisValue };
  readonly config: JsonObject;
  readonly metrics: FlatMetrics;
  /** Expectations of a scenario workload that did not hold with this cell's options. */
  readonly expectationFailures: number;
  /** Why the cell did not run (`VIOMMU_ERR_...: message`), or null. */
  readonly error: string | null;
}

export interface CellOutcome {
  readonly record: CellRecord;
  /** Every metric, for the cell's stats.json. */
  readonly stats: FlatMetrics;
}

export function runCell(host: PluginHost, job: CellJob, wanted: readonly string[]): CellOutcome {
  const base = { cell: job.cell.index, id: job.cell.id, axes: job.cell.axes, config: job.config };
  try {
    const sink = new MetricsSink(host.get(job.target.plugin));
    const run = runTarget(host, job.scenario, job.target, { sinks: [sink] });
    if (run.error !== null) {
      const error = `VIOMMU_ERR_PLUGIN_THREW: plugin ${run.error.plugin} threw at seq ${run.error.seq}: ${run.error.message}`;
      return { record: { ...base, metrics: {}, expectationFailures: 0, error }, stats: {} };
    }
    const stats = flattenMetrics(sink.metrics(run.stats), job.tlbCache, sink.ops);
    return {
      record: {
        ...base,
        metrics: selectMetrics(stats, wanted),
        expectationFailures: run.failures.length,
        error: null,
      },
      stats,
    };
  } catch (e) {
    const code =
      typeof (e as { code?: unknown }).code === 'string' ? `${(e as { code: string }).code}: ` : '';
    const error = `${code}${e instanceof Error ? e.message : String(e)}`;
    return { record: { ...base, metrics: {}, expectationFailures: 0, error }, stats: {} };
  }
}
