// Builds the package into dist/: the ES modules of each entry point (esbuild, one build with code
// splitting, so the CLI and a plugin importing `viommu-sim` share one copy of core), then their
// .d.ts declarations (tsc -p tsconfig.build.json). Dependencies stay external and are loaded from
// node_modules; the createRequire banner lets bundled code that still calls require() work inside
// an ES module.
// Usage: node scripts/build.mjs [--js-only]
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { build } from 'esbuild';

/** dist/<name>.js ← source: the package's entry points (package.json "exports" and "bin"). */
export const ENTRY_POINTS = {
  index: 'core/index.ts',
  testing: 'core/testing/index.ts',
  'testing-setup': 'core/testing/setup.ts',
  config: 'cli/config/define-config.ts',
  plugins: 'cli/builtin-plugins.ts',
  cli: 'cli/main.ts',
  // The worker threads of `viommu sweep --workers N` load this module, found beside the CLI.
  'sweep-worker': 'cli/sweep/worker.ts',
};

rmSync('dist', { recursive: true, force: true });
await build({
  entryPoints: ENTRY_POINTS,
  outdir: 'dist',
  entryNames: '[name]',
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
  banner: {
    js: "import { createRequire as __viommuCreateRequire } from 'node:module';\nconst require = __viommuCreateRequire(import.meta.url);",
  },
});

if (!process.argv.includes('--js-only')) {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
