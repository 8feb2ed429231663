// Bundles the `viommu` CLI into dist/cli.js. Dependencies stay external and
// are loaded from node_modules; the createRequire banner lets bundled code
// that still calls require() work inside an ES module.
import { build } from 'esbuild';

await build({
  entryPoints: ['core/cli/main.ts'],
  outfile: 'dist/cli.js',
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
