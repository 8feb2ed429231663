import { describe, expect, it } from 'vitest';
import { expandCells, parseShard, shardCells } from './matrix.js';

const axes = [
  { name: 'plugin', values: ['vtd', 'amdvi'] },
  { name: 'entries', values: [16, 64, 256] },
  { name: 'workload', values: ['nic'] },
];

describe('sweep matrix', () => {
  it('is the cross product in axis order, the first axis varying slowest', () => {
    const cells = expandCells({ axes, exclude: [] });
    expect(cells.map((c) => c.id)).toEqual([
      'plugin=vtd entries=16 workload=nic',
      'plugin=vtd entries=64 workload=nic',
      'plugin=vtd entries=256 workload=nic',
      'plugin=amdvi entries=16 workload=nic',
      'plugin=amdvi entries=64 workload=nic',
      'plugin=amdvi entries=256 workload=nic',
    ]);
    expect(cells.map((c) => c.index)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('leaves out cells matching every key of an exclude entry, then numbers the rest', () => {
    const cells = expandCells({ axes, exclude: [{ plugin: 'amdvi', entries: [16, 256] }] });
    expect(cells.map((c) => `${c.index}:${c.axes.plugin}/${c.axes.entries}`)).toEqual([
      '0:vtd/16',
      '1:vtd/64',
      '2:vtd/256',
      '3:amdvi/64',
    ]);
  });

  it('deals cells round-robin to shards, which together hold each cell once', () => {
    const cells = expandCells({ axes, exclude: [] });
    const shards = [1, 2, 3, 4].map((i) => shardCells(cells, { index: i, count: 4 }).map((c) => c.index));
    expect(shards).toEqual([[0, 4], [1, 5], [2], [3]]);
    expect(shardCells(cells, null)).toHaveLength(6);
  });

  it('parses I/N and refuses anything else', () => {
    expect(parseShard('2/3')).toEqual({ index: 2, count: 3 });
    for (const bad of ['0/3', '4/3', '1/0', '1-3', 'a/b', '1/3/5'])
      expect(() => parseShard(bad)).toThrow(/--shard/);
  });
});
