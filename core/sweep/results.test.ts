import { describe, expect, it } from 'vitest';
import type { CellRecord } from './cell-run.js';
import { MergeError, mergeResults, RESULTS_FORMAT, RESULTS_VERSION, type SweepResults } from './results.js';

const record = (cell: number): CellRecord => ({
  cell,
  id: `cell ${cell}`,
  axes: { plugin: 'flat' },
  config: {},
  metrics: { translations: cell },
  expectationFailures: 0,
  error: null,
});

function shard(
  index: number,
  count: number,
  cells: number[],
  over: Partial<SweepResults> = {},
): SweepResults {
  return {
    format: RESULTS_FORMAT,
    version: RESULTS_VERSION,
    sweep: { id: 's', title: 't', file: 's.sweep.json', digest: 'sha256:aa' },
    simulator: '0.1.0',
    cells: 5,
    shard: { index, count },
    metrics: [],
    records: cells.map(record),
    ...over,
  };
}

describe('merging shard results', () => {
  it('puts the records back in cell order, with no shard', () => {
    const m = mergeResults([
      { where: 'b', results: shard(2, 2, [1, 3]) },
      { where: 'a', results: shard(1, 2, [0, 2, 4]) },
    ]);
    expect(m.shard).toBeNull();
    expect(m.records.map((r) => r.cell)).toEqual([0, 1, 2, 3, 4]);
  });

  it('names what does not fit', () => {
    const a = { where: 'a', results: shard(1, 2, [0, 2, 4]) };
    const cases: [{ where: string; results: SweepResults }[], RegExp][] = [
      [[a], /shard 2\/2 missing/],
      [[a, { where: 'a2', results: shard(1, 2, [0, 2, 4]) }], /shard 1\/2 given twice: a and a2/],
      [
        [
          a,
          {
            where: 'x',
            results: shard(2, 2, [1, 3], { sweep: { id: 's', title: 't', file: 's', digest: 'sha256:bb' } }),
          },
        ],
        /a and x are shards of different sweeps/,
      ],
      [
        [a, { where: 'v', results: shard(2, 2, [1, 3], { simulator: '0.2.0' }) }],
        /a and v were run by different simulator versions \(0\.1\.0 vs 0\.2\.0\)/,
      ],
      [[a, { where: 'n', results: shard(2, 3, [1]) }], /a is shard 1\/2 but n is 2\/3/],
      [[a, { where: 'u', results: { ...shard(2, 2, [1, 3]), shard: null } }], /u: not a shard/],
      [[a, { where: 'c', results: shard(2, 2, [1]) }], /the shards hold 4 records for a sweep of 5 cells/],
    ];
    for (const [parts, message] of cases) expect(() => mergeResults(parts)).toThrow(message);
    expect(() => mergeResults([])).toThrow(MergeError);
  });
});
