import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const repo = resolve(import.meta.dirname, '..');

function abBench(...args: string[]) {
  return spawnSync(process.execPath, [resolve(repo, 'scripts/ab-bench.mjs'), ...args], {
    cwd: repo,
    encoding: 'utf8',
    timeout: 120_000,
  });
}

describe('scripts/ab-bench.mjs', () => {
  it('compares HEAD with the working tree in one process and reports B against A per round', () => {
    const r = abBench('HEAD', '--what', 'miss', '--pages', '1000', '--rounds', '2', '--json');
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as {
      results: { name: string; samples: number; ratio?: { to: string; median: number } }[];
    };
    expect(out.results.map((x) => x.name)).toEqual(['A: miss @1000, main', 'B: miss @1000, main']);
    expect(out.results.every((x) => x.samples === 2)).toBe(true);
    expect(out.results[1]!.ratio!.to).toBe('A: miss @1000, main');
    expect(out.results[1]!.ratio!.median).toBeGreaterThan(0);
  });

  it('refuses bad options with exit 2 and an unreadable ref with exit 4', () => {
    const bad = abBench('HEAD', '--what', 'everything');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--what must be hit, miss or qi');
    expect(abBench().status).toBe(2);
    const ref = abBench('no-such-ref-anywhere', '--pages', '1000');
    expect(ref.status).toBe(4);
    expect(ref.stderr).toContain('cannot read no-such-ref-anywhere');
  });
});
