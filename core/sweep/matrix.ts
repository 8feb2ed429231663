/**
 * The cells of a sweep: the cross product of its axes in declaration order (the first axis
 * varies slowest), minus the excluded combinations, numbered from 0. A shard I/N takes every
 * N-th cell starting at I-1, so shards get a like mix of cheap and costly cells.
 */
import type { AxisValue, Sweep } from './sweep-file.js';

export interface Cell {
  /** Position among the sweep's cells (after exclusion). */
  readonly index: number;
  /** `plugin=vtd entries=64 workload=nic-ring seed=1`: the axes in order. */
  readonly id: string;
  readonly axes: { readonly [axis: string]: AxisValue };
}

export interface Shard {
  /** 1-based. */
  readonly index: number;
  readonly count: number;
}

/** Every cell of the sweep, in order. */
export function expandCells(sweep: Pick<Sweep, 'axes' | 'exclude'>): Cell[] {
  let combos: { [axis: string]: AxisValue }[] = [{}];
  for (const axis of sweep.axes) {
    const next: { [axis: string]: AxisValue }[] = [];
    for (const c of combos) for (const v of axis.values) next.push({ ...c, [axis.name]: v });
    combos = next;
  }
  const kept = combos.filter((c) => !sweep.exclude.some((e) => matches(e, c)));
  return kept.map((axes, index) => ({
    index,
    id: sweep.axes.map((a) => `${a.name}=${axes[a.name]}`).join(' '),
    axes,
  }));
}

function matches(
  rule: { readonly [axis: string]: AxisValue | readonly AxisValue[] },
  cell: { readonly [axis: string]: AxisValue },
): boolean {
  return Object.entries(rule).every(([k, v]) => (Array.isArray(v) ? v.includes(cell[k]) : v === cell[k]));
}

/** Parses `I/N` (1 <= I <= N); throws a RangeError naming the problem. */
export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text);
  if (!m) throw new RangeError(`--shard: expected I/N (e.g. 2/3), got ${JSON.stringify(text)}`);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || index < 1 || index > count)
    throw new RangeError(`--shard: ${text}: I must be between 1 and N, N at least 1`);
  return { index, count };
}

/** The cells shard `shard` runs (all of them without a shard). */
export function shardCells<T extends { readonly index: number }>(
  cells: readonly T[],
  shard: Shard | null,
): T[] {
  if (shard === null) return [...cells];
  return cells.filter((c) => inShard(c.index, shard));
}

/** Whether the 0-based `index` belongs to `shard`: every N-th from the I-th (all without a shard). */
export function inShard(index: number, shard: Shard | null): boolean {
  return shard === null || index % shard.count === shard.index - 1;
}
