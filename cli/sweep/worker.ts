/**
 * The worker-thread side of `viommu sweep` (bundled as dist/sweep-worker.js): runs one cell per
 * call on a host with the built-in plugins, made once per thread.
 */
import 'reflect-metadata';
import { PluginHost } from '../../core/plugin/host.js';
import type { CellJob } from '../../core/sweep/cell-job.js';
import { type CellOutcome, runCell } from '../../core/sweep/cell-run.js';
import { BUILTIN_PLUGINS } from '../builtin-plugins.js';

let host: PluginHost | undefined;

export default function runJob(task: { job: CellJob; metrics: readonly string[] }): CellOutcome {
  if (host === undefined) {
    host = new PluginHost();
    for (const p of BUILTIN_PLUGINS) host.use(p);
  }
  return runCell(host, task.job, task.metrics);
}
