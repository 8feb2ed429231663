/**
 * `viommu sweep` on worker threads: the shipped IOTLB-size sweep (240 cells, the biggest) with
 * --workers 1 and --workers 2, alternating, wall-clock time per run (parallelism is about wall
 * time, so CPU time would not show it). The 1-worker run is the baseline, measured in the same
 * bench run; the 2-worker results must be the same bytes. Target: 2 workers >= 1.6x 1 worker on
 * a 2-core machine with nothing else running.
 *
 * Runs the built CLI (npm run bench builds it). Options: --sweep FILE, --rounds N (default 1),
 * --json.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';

const args = process.argv.slice(2);
const opt = (name: string, fallback: string): string => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : fallback;
};
const sweep = opt('--sweep', 'sweeps/iotlb-size.sweep.json');
const rounds = Number(opt('--rounds', '1'));
const json = args.includes('--json');
const dir = mkdtempSync(join(tmpdir(), 'viommu-sweep-bench-'));

function runOnce(workers: number, round: number): { seconds: number; results: string } {
  const out = join(dir, `w${workers}-r${round}`);
  const start = process.hrtime.bigint();
  const r = spawnSync(
    process.execPath,
    ['dist/cli.js', 'sweep', sweep, '--workers', String(workers), '--out', out, '-q'],
    {
      encoding: 'utf8',
    },
  );
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (r.status !== 0) throw new Error(`sweep --workers ${workers} exited ${r.status}: ${r.stderr}`);
  return { seconds, results: readFileSync(join(out, 'results.json'), 'utf8') };
}

const times: { [w: number]: number[] } = { 1: [], 2: [] };
let same = true;
for (let round = 0; round < rounds; round++) {
  // Alternate the order so neither setting always runs on a warmer machine.
  const order = round % 2 === 0 ? [1, 2] : [2, 1];
  const got: { [w: number]: string } = {};
  for (const w of order) {
    const r = runOnce(w, round);
    times[w]!.push(r.seconds);
    got[w] = r.results;
  }
  same &&= got[1] === got[2];
}
rmSync(dir, { recursive: true, force: true });
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const one = median(times[1]!);
const two = median(times[2]!);
const result = {
  sweep,
  cores: availableParallelism(),
  rounds,
  workers1Seconds: one,
  workers2Seconds: two,
  speedup: one / two,
  identicalResults: same,
};
if (json) console.log(JSON.stringify(result));
else {
  console.log(`| case | wall time (median of ${rounds}) | vs 1 worker |`);
  console.log('| --- | ---: | ---: |');
  console.log(`| ${sweep}, --workers 1 (baseline) | ${one.toFixed(1)} s | 1.00x |`);
  console.log(`| ${sweep}, --workers 2 | ${two.toFixed(1)} s | ${(one / two).toFixed(2)}x |`);
  console.log(`results.json identical: ${same}; cores: ${result.cores}`);
}
if (!same) process.exit(1);
