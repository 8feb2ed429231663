/**
 * The README's "Use it as a library" program (examples/run-scenario.ts) runs as printed: bundled
 * with 'viommu-sim' and 'viommu-sim/plugins' pointing at this checkout's sources, on a library
 * scenario whose numbers its own expectations pin. test/pack.e2e.test.ts also type-checks it
 * (strict) and runs it against the installed package.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';

const repo = resolve(import.meta.dirname, '..');
// Under node_modules, so the bundle's package imports (tsyringe, rxjs) resolve from the repo.
const temp = join(repo, 'node_modules', '.viommu-temp', `example-${process.pid}`);
afterAll(() => rmSync(temp, { recursive: true, force: true }));

const ENTRY = { 'viommu-sim': 'core/index.ts', 'viommu-sim/plugins': 'cli/builtin-plugins.ts' } as const;

describe('examples/run-scenario.ts', () => {
  it('is the program the README shows, and it runs a scenario and prints its statistics', async () => {
    const program = readFileSync(join(repo, 'examples/run-scenario.ts'), 'utf8');
    expect(readFileSync(join(repo, 'README.md'), 'utf8')).toContain(program.trim());

    const result = await build({
      entryPoints: [join(repo, 'examples/run-scenario.ts')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      write: false,
      logLevel: 'silent',
      plugins: [
        {
          name: 'viommu-sim-from-source',
          setup(b) {
            b.onResolve({ filter: /^viommu-sim(\/plugins)?$/ }, (args) => ({
              path: join(repo, ENTRY[args.path as keyof typeof ENTRY]),
            }));
          },
        },
      ],
    });
    mkdirSync(temp, { recursive: true });
    const file = join(temp, 'run-scenario.mjs');
    writeFileSync(file, result.outputFiles[0]!.text);
    const r = spawnSync(process.execPath, [file, 'scenarios/flat/streaming-hits.scenario.json'], {
      cwd: repo,
      encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
    // The scenario expects 513 translations, none faulting; 16 pages streamed: 16 misses.
    expect(r.stdout).toBe('flat: 513 translations, 0 faults, IOTLB 497/513 hits, 0 failed expectations\n');
    expect(r.status).toBe(0);
  });
});
