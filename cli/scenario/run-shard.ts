/**
 * run-shard.json: what `viommu run --shard I/N --out DIR` leaves for `viommu merge`: the shard,
 * the whole run list (every shard lists all of it, so shards of different run sets are caught),
 * and the shard's run records with their exit codes and logs relative to DIR. Merging checks the
 * shards belong together, each exactly once, and gives the records of the unsharded run.
 */
import { relative, resolve } from 'node:path';
import type { Shard } from '../../core/sweep/matrix.js';
import { MergeError } from '../../core/sweep/results.js';
import type { RunRecord } from './run-report.js';

export const RUN_SHARD_FILE = 'run-shard.json';
export const RUN_SHARD_FORMAT = 'viommu-run-shard';
export const RUN_SHARD_VERSION = 1;

export interface RunShardRecord {
  /** Position in the run list. */
  readonly index: number;
  readonly exit: number;
  /** The run's log relative to the shard's --out folder, or null. */
  readonly log: string | null;
  readonly run: RunRecord;
}

export interface RunShard {
  readonly format: typeof RUN_SHARD_FORMAT;
  readonly version: number;
  /** Version of the simulator that ran the shard. */
  readonly simulator: string;
  readonly shard: Shard;
  /** Every run of the whole run (`file@target`), in order. */
  readonly runs: readonly string[];
  /** The exit code the whole command asks for before any run (no files, a filter matching nothing). */
  readonly floor: number;
  readonly records: readonly RunShardRecord[];
}

/**
 * The shard file of runs `records` (in run order) out of `runs`; `out` is the --out folder, and
 * `cwd` the folder the records' log paths are relative to.
 */
export function buildRunShard(
  simulator: string,
  shard: Shard,
  runs: readonly string[],
  floor: number,
  records: readonly { readonly exit: number; readonly run: RunRecord }[],
  out: string,
  cwd: string,
): RunShard {
  let at = -1;
  const placed = records.map(({ exit, run }) => {
    // Entries come in run order; the next listed run of the same name is this one.
    const name = `${run.file}@${run.target}`;
    at = runs.indexOf(name, at + 1);
    if (at < 0) throw new Error(`run ${name} is not in the run list`);
    const log = run.log === null ? null : relative(resolve(out), resolve(cwd, run.log)).split('\\').join('/');
    return { index: at, exit, log, run };
  });
  return {
    format: RUN_SHARD_FORMAT,
    version: RUN_SHARD_VERSION,
    simulator,
    shard,
    runs,
    floor,
    records: placed,
  };
}

/** Checks a parsed run-shard.json; throws MergeError naming `where`. */
export function checkRunShard(raw: unknown, where: string): RunShard {
  const r = raw as Partial<RunShard>;
  if (typeof r !== 'object' || r === null || r.format !== RUN_SHARD_FORMAT)
    throw new MergeError(`${where}: not a run shard (format "${RUN_SHARD_FORMAT}")`);
  if (r.version !== RUN_SHARD_VERSION)
    throw new MergeError(`${where}: run shard version ${r.version}, this viommu reads ${RUN_SHARD_VERSION}`);
  if (!Array.isArray(r.records) || !Array.isArray(r.runs) || typeof r.shard?.count !== 'number')
    throw new MergeError(`${where}: records, runs or shard missing`);
  return r as RunShard;
}

/** Merges run shards (`where` names each) into the records of the unsharded run, in run order. */
export function mergeRunShards(parts: readonly { readonly where: string; readonly shard: RunShard }[]): {
  readonly floor: number;
  readonly records: readonly RunShardRecord[];
} {
  if (parts.length === 0) throw new MergeError('nothing to merge');
  const first = parts[0]!;
  const a = first.shard;
  for (const p of parts) {
    const b = p.shard;
    if (b.runs.length !== a.runs.length || b.runs.some((name, i) => name !== a.runs[i])) {
      const i = a.runs.findIndex((name, k) => name !== b.runs[k]);
      const at = i < 0 ? b.runs.length - 1 : i;
      throw new MergeError(
        `${first.where} and ${p.where} are shards of different run sets (${a.runs.length} vs ${b.runs.length} runs; run ${at + 1}: ${a.runs[at] ?? 'none'} vs ${b.runs[at] ?? 'none'})`,
      );
    }
    if (b.simulator !== a.simulator)
      throw new MergeError(
        `${first.where} and ${p.where} were run by different simulator versions (${a.simulator} vs ${b.simulator})`,
      );
    if (b.shard.count !== a.shard.count)
      throw new MergeError(
        `${first.where} is shard ${a.shard.index}/${a.shard.count} but ${p.where} is ${b.shard.index}/${b.shard.count}`,
      );
  }
  const count = a.shard.count;
  const byIndex = new Map<number, string>();
  for (const p of parts) {
    const i = p.shard.shard.index;
    const seen = byIndex.get(i);
    if (seen !== undefined) throw new MergeError(`shard ${i}/${count} given twice: ${seen} and ${p.where}`);
    byIndex.set(i, p.where);
  }
  const missing: string[] = [];
  for (let i = 1; i <= count; i++) if (!byIndex.has(i)) missing.push(`${i}/${count}`);
  if (missing.length > 0)
    throw new MergeError(`shard${missing.length > 1 ? 's' : ''} ${missing.join(', ')} missing`);
  const records = parts.flatMap((p) => p.shard.records).sort((x, y) => x.index - y.index);
  if (records.length !== a.runs.length || new Set(records.map((r) => r.index)).size !== a.runs.length)
    throw new MergeError(
      `the shards hold ${records.length} runs of ${a.runs.length} (a shard was interrupted?)`,
    );
  return { floor: Math.max(...parts.map((p) => p.shard.floor)), records };
}
