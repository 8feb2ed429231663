/**
 * Runs cell jobs, in this thread or on worker threads. tinypool (a small, maintained fork of
 * piscina, no dependencies, Node 20) keeps the queue and hands each idle thread the next cell:
 * cells differ a lot in cost, so a shared queue balances better than fixed slices. Results are
 * put back in cell order by the caller, so the number of threads never shows in the output.
 */
import { existsSync } from 'node:fs';
import { sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import Tinypool from 'tinypool';
import type { AnyPlugin } from '../../core/plugin/host.js';
import { PluginHost } from '../../core/plugin/host.js';
import type { CellJob } from '../../core/sweep/cell-job.js';
import { type CellOutcome, runCell } from '../../core/sweep/cell-run.js';
import type { PluginFlags } from '../config/load-plugins.js';
import type { WorkerTask } from './worker.js';

/**
 * The built worker beside the built CLI (dist/sweep-worker.js; this code may sit in dist/ or in
 * a shared chunk under dist/chunks/); null when running from source.
 */
export function workerFile(): string | null {
  for (const rel of ['./sweep-worker.js', '../sweep-worker.js']) {
    const path = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(path) && !path.includes(`${sep}cli${sep}sweep${sep}`)) return path;
  }
  return null;
}

export async function runJobs(
  jobs: readonly CellJob[],
  metrics: readonly string[],
  workers: number,
  plugins: readonly AnyPlugin[],
  /** What the workers need to load the same plugins: the cwd and the --config / --plugin flags. */
  load: { readonly cwd: string; readonly flags: PluginFlags },
  onDone: (o: CellOutcome) => void,
): Promise<CellOutcome[]> {
  const file = workerFile();
  if (workers <= 1 || file === null || jobs.length <= 1) {
    const host = new PluginHost();
    for (const p of plugins) host.use(p);
    return jobs.map((job) => {
      const o = runCell(host, job, metrics);
      onDone(o);
      return o;
    });
  }
  const pool = new Tinypool({ filename: file, minThreads: workers, maxThreads: workers });
  try {
    return await Promise.all(
      jobs.map(async (job) => {
        const task: WorkerTask = { job, metrics, cwd: load.cwd, flags: load.flags };
        const o = (await pool.run(task)) as CellOutcome;
        onDone(o);
        return o;
      }),
    );
  } finally {
    await pool.destroy();
  }
}
