/**
 * The worker-thread side of `viommu sweep` (built as dist/sweep-worker.js): runs one cell per
 * call on a host with the plugins the main thread loaded (the built-in ones, the config file's
 * and --plugin's, loaded again here from the same cwd and flags), made once per thread.
 */
import 'reflect-metadata';
import { PluginHost } from '../../core/plugin/host.js';
import type { CellJob } from '../../core/sweep/cell-job.js';
import { type CellOutcome, runCell } from '../../core/sweep/cell-run.js';
import { BUILTIN_PLUGINS } from '../builtin-plugins.js';
import { loadPlugins, type PluginFlags } from '../config/load-plugins.js';

let host: Promise<PluginHost> | undefined;

export interface WorkerTask {
  readonly job: CellJob;
  readonly metrics: readonly string[];
  readonly cwd: string;
  readonly flags: PluginFlags;
}

async function makeHost(cwd: string, flags: PluginFlags): Promise<PluginHost> {
  const loaded = await loadPlugins(BUILTIN_PLUGINS, cwd, flags);
  const h = new PluginHost();
  for (const p of loaded.plugins) h.use(p.plugin);
  return h;
}

export default async function runJob(task: WorkerTask): Promise<CellOutcome> {
  host ??= makeHost(task.cwd, task.flags);
  return runCell(await host, task.job, task.metrics);
}
