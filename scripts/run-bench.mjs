// Bundles each bench/*.bench.ts with esbuild into dist/bench/ and runs it with node, one
// process per file so no bench sees another's call-site shapes.
// Usage: node scripts/run-bench.mjs [name ...] [--json]   (name = "cache" for bench/cache.bench.ts)
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { bundleBench } from './bundle-bench.mjs';

const args = process.argv.slice(2);
const passThrough = args.filter((a) => a.startsWith('--'));
const wanted = args.filter((a) => !a.startsWith('--'));
const all = readdirSync('bench')
  .filter((f) => f.endsWith('.bench.ts'))
  .map((f) => f.slice(0, -'.bench.ts'.length))
  .sort();
const names = wanted.length > 0 ? wanted : all;
const unknown = names.filter((n) => !all.includes(n));
if (unknown.length > 0) {
  console.error(`run-bench: no bench/${unknown[0]}.bench.ts (have: ${all.join(', ')})`);
  process.exit(2);
}

let failed = 0;
for (const name of names) {
  const outfile = join('dist', 'bench', `${name}.bench.mjs`);
  await bundleBench(join('bench', `${name}.bench.ts`), outfile);
  if (!passThrough.includes('--json')) console.log(`\n## bench/${name}.bench.ts (node ${process.version})`);
  const r = spawnSync(process.execPath, ['--expose-gc', outfile, ...passThrough], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed > 0 ? 1 : 0);
