// How a bench entry is bundled, for scripts/run-bench.mjs and scripts/ab-bench.mjs: one ESM file
// for node 20, packages left to node_modules (so the output must sit under the repo).
import { build } from 'esbuild';

/** Bundles `entry` (a .ts file) into `outfile`. */
export async function bundleBench(entry, outfile) {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'warning',
  });
}
