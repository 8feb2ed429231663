/**
 * `viommu run --shard i/n` and `viommu merge`: three shards of a scenario folder (one file in it
 * broken) run disjoint parts of the run list, each exits by its own runs, and merged they give
 * the unsharded run's JSON report byte for byte and the same logs; merge refuses shards that are
 * missing, repeated or of another run set, naming them.
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../cli/scenario/context.js';
import { runCli } from '../cli/scenario/run-cli.js';

const repo = resolve(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'viommu-run-shard-'));
const at = (name: string) => join(dir, name);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const viommu = (...args: string[]) => runCli(args, { cwd: dir });

/** Every file under `root`, relative path -> text. */
function tree(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string, rel: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name), `${rel}${e.name}/`);
      else out.set(`${rel}${e.name}`, readFileSync(join(d, e.name), 'utf8'));
    }
  };
  walk(root, '');
  return out;
}

beforeAll(() => {
  cpSync(join(repo, 'scenarios/flat'), at('scenarios/flat'), { recursive: true });
  cpSync(join(repo, 'scenarios/smmuv3'), at('scenarios/smmuv3'), { recursive: true });
  // Sorted first: run 1 of the list, so shard 1/3's.
  writeFileSync(at('scenarios/aaa-broken.scenario.json'), '{ "id": ');
});

describe('viommu run --shard', { timeout: 120_000 }, () => {
  it('3 shards merge into the unsharded report; each exits by its own runs', async () => {
    const whole = await viommu(
      'run',
      'scenarios',
      '--out',
      at('merged'),
      '--reporter',
      'json',
      '--output-file',
      `json=${at('whole.json')}`,
    );
    expect(whole.code).toBe(EXIT.INPUT);
    const report = JSON.parse(readFileSync(at('whole.json'), 'utf8'));
    expect(report.runs.length).toBeGreaterThan(4);
    expect(report.runs[0].status).toBe('invalid');
    expect(report.runs.slice(1).every((r: { status: string }) => r.status === 'passed')).toBe(true);
    const expected = readFileSync(at('whole.json'), 'utf8');
    const logs = tree(at('merged'));
    expect(logs.size).toBe(report.runs.length - 1);
    rmSync(at('merged'), { recursive: true });

    const names = new Set<string>();
    for (const i of [1, 2, 3]) {
      const s = await viommu('run', 'scenarios', '--shard', `${i}/3`, '--out', at(`s${i}`), '-q');
      expect(s.code, s.stderr).toBe(i === 1 ? EXIT.INPUT : EXIT.OK);
      const part = JSON.parse(readFileSync(at(`s${i}/run-shard.json`), 'utf8'));
      expect(part.shard).toEqual({ index: i, count: 3 });
      expect(part.runs).toHaveLength(report.runs.length);
      for (const r of part.records) {
        expect(r.index % 3).toBe(i - 1);
        names.add(`${r.run.file}@${r.run.target}`);
      }
    }
    expect(names.size).toBe(report.runs.length);

    const m = await viommu('merge', at('s3'), at('s1'), at('s2'), '--out', at('merged'));
    expect(m.code, m.stderr).toBe(EXIT.INPUT);
    expect(readFileSync(at('merged/report.json'), 'utf8')).toBe(expected);
    const merged = tree(at('merged'));
    merged.delete('report.json');
    expect(merged).toEqual(logs);
  });

  it('merge refuses missing, repeated and foreign shards, naming them', async () => {
    const missing = await viommu('merge', at('s1'), at('s3'), '--out', at('m1'));
    expect(missing.code).toBe(EXIT.INPUT);
    expect(missing.stderr).toContain('shard 2/3 missing');
    const twice = await viommu('merge', at('s1'), at('s2'), at('s2'), at('s3'), '--out', at('m2'));
    expect(twice.code).toBe(EXIT.INPUT);
    expect(twice.stderr).toContain('shard 2/3 given twice: s2 and s2');
    const other = await viommu('run', 'scenarios/flat', '--shard', '2/3', '--out', at('other'), '-q');
    expect(other.code, other.stderr).toBe(EXIT.OK);
    const foreign = await viommu('merge', at('s1'), at('other'), at('s3'), '--out', at('m3'));
    expect(foreign.code).toBe(EXIT.INPUT);
    expect(foreign.stderr).toContain('s1 and other are shards of different run sets');
    const badShard = await viommu('run', 'scenarios', '--shard', '4/3');
    expect(badShard.code).toBe(EXIT.USAGE);
    expect(badShard.stderr).toContain('I must be between 1 and N');
  });
});
