// Bundles the `viommu` CLI into dist/cli.js. Dependencies stay external and
// are loaded from node_modules; the createRequire banner lets bundled code
// that still calls require() work inside an ES module.
// Usage: node scripts/build-cli.mjs [--outfile dist/other.js]
import { build } from 'esbuild';

const at = process.argv.indexOf('--outfile');
const outfile = at > 0 && process.argv[at + 1] ? process.argv[at + 1] : 'dist/cli.js';

await build({
  entryPoints: ['cli/main.ts'],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
  banner: {
    js: "#!/usr/bin/env node\nimport { createRequire as __viommuCreateRequire } from 'node:module';\nconst require = __viommuCreateRequire(import.meta.url);",
  },
});
