/**
 * results.json: one record per cell, in cell order, written byte for byte the same whatever
 * ran the cells (one worker or several, one process or merged shards). A shard's file names its
 * shard; merging checks that the shards are of one sweep and version, each exactly once, and
 * writes the file an unsharded run writes.
 */
import { basename } from 'node:path';
import type { CellRecord } from './cell-run.js';
import type { Shard } from './matrix.js';
import type { Sweep } from './sweep-file.js';

export const RESULTS_FORMAT = 'viommu-sweep-results';
export const RESULTS_VERSION = 1;

export interface SweepResults {
  readonly format: typeof RESULTS_FORMAT;
  readonly version: number;
  readonly sweep: {
    readonly id: string;
    readonly title: string;
    readonly file: string;
    readonly digest: string;
  };
  /** Version of the simulator that ran the cells. */
  readonly simulator: string;
  /** Cells in the whole sweep (all shards). */
  readonly cells: number;
  /** The shard this file holds, or null for all cells. */
  readonly shard: Shard | null;
  readonly metrics: readonly string[];
  readonly records: readonly CellRecord[];
}

export function buildResults(
  sweep: Sweep,
  simulator: string,
  cells: number,
  shard: Shard | null,
  records: readonly CellRecord[],
): SweepResults {
  return {
    format: RESULTS_FORMAT,
    version: RESULTS_VERSION,
    sweep: { id: sweep.id, title: sweep.title, file: basename(sweep.file), digest: sweep.digest },
    simulator,
    cells,
    shard,
    metrics: sweep.metrics,
    records: [...records].sort((a, b) => a.cell - b.cell),
  };
}

export function encodeResults(r: SweepResults): string {
  return `${JSON.stringify(r, null, 2)}\n`;
}

/** A merge that cannot be done; the message names the shards. */
export class MergeError extends Error {
  readonly code = 'VIOMMU_ERR_INPUT';
}

/** Checks a parsed results file; throws MergeError naming `where`. */
export function checkResults(raw: unknown, where: string): SweepResults {
  const r = raw as Partial<SweepResults>;
  if (typeof r !== 'object' || r === null || r.format !== RESULTS_FORMAT)
    throw new MergeError(`${where}: not a sweep results file (format "${RESULTS_FORMAT}")`);
  if (r.version !== RESULTS_VERSION)
    throw new MergeError(`${where}: results version ${r.version}, this viommu reads ${RESULTS_VERSION}`);
  if (!Array.isArray(r.records) || typeof r.sweep?.digest !== 'string' || typeof r.cells !== 'number')
    throw new MergeError(`${where}: records, sweep or cells missing`);
  return r as SweepResults;
}

/** Merges shard results (`where` names each, e.g. its folder) into the unsharded results. */
export function mergeResults(
  parts: readonly { readonly where: string; readonly results: SweepResults }[],
): SweepResults {
  if (parts.length === 0) throw new MergeError('nothing to merge');
  const first = parts[0]!;
  for (const p of parts) {
    const a = first.results;
    const b = p.results;
    if (b.shard === null) throw new MergeError(`${p.where}: not a shard (it holds every cell already)`);
    if (b.sweep.digest !== a.sweep.digest || b.sweep.id !== a.sweep.id)
      throw new MergeError(
        `${first.where} and ${p.where} are shards of different sweeps (${a.sweep.id} ${a.sweep.digest.slice(0, 19)} vs ${b.sweep.id} ${b.sweep.digest.slice(0, 19)})`,
      );
    if (b.simulator !== a.simulator)
      throw new MergeError(
        `${first.where} and ${p.where} were run by different simulator versions (${a.simulator} vs ${b.simulator})`,
      );
    if (b.shard.count !== a.shard!.count)
      throw new MergeError(
        `${first.where} is shard ${a.shard!.index}/${a.shard!.count} but ${p.where} is ${b.shard.index}/${b.shard.count}`,
      );
  }
  const count = first.results.shard!.count;
  const byIndex = new Map<number, string>();
  for (const p of parts) {
    const i = p.results.shard!.index;
    const seen = byIndex.get(i);
    if (seen !== undefined) throw new MergeError(`shard ${i}/${count} given twice: ${seen} and ${p.where}`);
    byIndex.set(i, p.where);
  }
  const missing: string[] = [];
  for (let i = 1; i <= count; i++) if (!byIndex.has(i)) missing.push(`${i}/${count}`);
  if (missing.length > 0)
    throw new MergeError(`shard${missing.length > 1 ? 's' : ''} ${missing.join(', ')} missing`);
  const records = parts.flatMap((p) => p.results.records);
  const cells = first.results.cells;
  if (records.length !== cells || new Set(records.map((r) => r.cell)).size !== cells)
    throw new MergeError(`the shards hold ${records.length} records for a sweep of ${cells} cells`);
  return { ...first.results, shard: null, records: [...records].sort((a, b) => a.cell - b.cell) };
}
