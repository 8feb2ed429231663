// Same-process A/B of the VT-d hot paths: the code of a git ref (A) against the working tree (B),
// both bundled into one process and sampled in alternating rounds (bench/ab-cases.ts).
//
// Usage: node scripts/ab-bench.mjs <ref> [--what hit|miss|qi] [--pages N] [--workload main|one-table]
//                                   [--rounds R] [--json]
// Exit codes: 0 ok, 2 usage error, 4 the ref cannot be read, 1 the comparison failed.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { bundleBench } from './bundle-bench.mjs';

const HELP = `usage: node scripts/ab-bench.mjs <ref> [options]

Compares the VT-d workload of bench/vtd-world.ts run by the code at git <ref> (A) with the
working tree (B), in one process, one sample of each per round. Prints A's and B's medians and
B's per-round ratio to A (below 1: B is faster).

options:
  --what hit|miss|qi         translate() hits, misses (IOTLB and PSCs flushed before each
                             sample), or 64 domain-selective QI descriptors after a refill
                             (default hit)
  --pages N                  pages in the tables, translations per sample (default 100000)
  --workload main|one-table  64 domains in runs of 16, or perf-notes' one table in runs of 64
                             (default main)
  --rounds R                 rounds of samples (default 15)
  --json                     the results as JSON
  -h, --help                 this text

Both sides run the working tree's bench/vtd-world.ts (the workload) against their own core/
and plugins/ (the code under test), so a ref works as long as the APIs the workload calls were
the same there.`;

function usage(message) {
  console.error(`ab-bench: ${message}\n\n${HELP}`);
  process.exit(2);
}

const args = process.argv.slice(2);
if (args.includes('-h') || args.includes('--help')) {
  console.log(HELP);
  process.exit(0);
}
const options = { what: 'hit', pages: '100000', workload: 'main', rounds: '15' };
let ref;
const json = args.includes('--json');
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--json') continue;
  if (a.startsWith('--')) {
    const key = a.slice(2);
    if (!(key in options)) usage(`unknown option ${a}`);
    if (i + 1 >= args.length) usage(`${a} needs a value`);
    options[key] = args[++i];
  } else if (ref === undefined) ref = a;
  else usage(`unexpected argument ${a}`);
}
if (ref === undefined) usage('a git ref is required (e.g. HEAD, main~3, a commit id)');
if (!['hit', 'miss', 'qi'].includes(options.what))
  usage(`--what must be hit, miss or qi, got ${options.what}`);
if (!['main', 'one-table'].includes(options.workload))
  usage(`--workload must be main or one-table, got ${options.workload}`);
const pages = Number(options.pages);
const rounds = Number(options.rounds);
if (!Number.isInteger(pages) || pages < 64 || pages > 1e6) usage(`--pages must be an integer in 64..1e6`);
if (!Number.isInteger(rounds) || rounds < 1 || rounds > 1000) usage(`--rounds must be an integer in 1..1000`);

const repo = resolve(import.meta.dirname, '..');
const work = mkdtempSync(join(tmpdir(), 'viommu-ab-'));
try {
  // A: the ref's core/ and plugins/, the code under test, with the working tree's workload.
  const a = join(work, 'a');
  mkdirSync(a);
  const archive = spawnSync('git', ['-C', repo, 'archive', '--format=tar', ref, 'core', 'plugins'], {
    maxBuffer: 1 << 30,
  });
  if (archive.status !== 0) {
    console.error(`ab-bench: cannot read ${ref}: ${archive.stderr.toString().trim()}`);
    process.exit(4);
  }
  const untar = spawnSync('tar', ['-x', '-C', a], { input: archive.stdout });
  if (untar.status !== 0) {
    console.error(`ab-bench: cannot unpack ${ref}: ${untar.stderr.toString().trim()}`);
    process.exit(4);
  }
  const worldA = join(a, 'bench', 'vtd-world.ts');
  mkdirSync(join(a, 'bench'));
  copyFileSync(join(repo, 'bench', 'vtd-world.ts'), worldA);

  const entry = join(work, 'ab-entry.ts');
  const o = { ref, what: options.what, pages, workload: options.workload, rounds };
  writeFileSync(
    entry,
    [
      `import * as A from ${JSON.stringify(worldA)};`,
      `import * as B from ${JSON.stringify(join(repo, 'bench', 'vtd-world.ts'))};`,
      `import { runAb } from ${JSON.stringify(join(repo, 'bench', 'ab-cases.ts'))};`,
      `runAb(A, B, ${JSON.stringify(o)});`,
      '',
    ].join('\n'),
  );
  // The bundle goes under the repo's dist/, so that packages resolve from its node_modules.
  const outfile = join(repo, 'dist', 'ab', `ab-${process.pid}.mjs`);
  await bundleBench(entry, outfile);
  const r = spawnSync(process.execPath, ['--expose-gc', outfile, ...(json ? ['--json'] : [])], {
    stdio: 'inherit',
  });
  rmSync(outfile, { force: true });
  process.exitCode = r.status === 0 ? 0 : 1;
} finally {
  rmSync(work, { recursive: true, force: true });
}
