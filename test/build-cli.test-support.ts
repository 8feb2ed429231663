/**
 * A private build of the CLI and its sweep worker for end-to-end tests that spawn them, under
 * node_modules/.cache/viommu-tests/<name>/: inside the repo, so packages resolve from its
 * node_modules, and outside dist/, which `npm run build` (and the pack test) empties at will.
 */
import { join, resolve } from 'node:path';
import { build } from 'esbuild';

const repo = resolve(import.meta.dirname, '..');

/** A scratch folder inside the repo (so imports resolve) that no build empties. */
export function testDir(name: string): string {
  return join(repo, 'node_modules', '.cache', 'viommu-tests', name);
}

/** Builds into node_modules/.cache/viommu-tests/<name>/ and returns the path of its cli.js. */
export async function buildTestCli(name: string): Promise<string> {
  const outdir = testDir(name);
  await build({
    entryPoints: { cli: join(repo, 'cli/main.ts'), 'sweep-worker': join(repo, 'cli/sweep/worker.ts') },
    outdir,
    entryNames: '[name]',
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    splitting: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'warning',
    banner: {
      js: "import { createRequire as __viommuCreateRequire } from 'node:module';\nconst require = __viommuCreateRequire(import.meta.url);",
    },
  });
  return join(outdir, 'cli.js');
}
