/**
 * A tiny benchmark harness shared by every bench/*.bench.ts file.
 *
 * `run(name, fn, { ops })` warms `fn` up, takes N samples and reports the median ns per
 * operation, where one call of `fn` performs `ops` operations. Rows print as Markdown table
 * rows as they finish; with `--json` on the command line nothing is printed until `finish()`,
 * which prints every result as one JSON array. There are no timing thresholds: a bench file
 * measures a baseline in the same run and reports ratios.
 *
 * Timing: the project machine is a shared 2-vCPU VM whose load often exceeds the CPU count, so
 * wall time would count the time the process is descheduled. A sample is measured in process
 * CPU time (process.cpuUsage, µs resolution) when it lasts >= 2 ms of CPU, else in wall time
 * (process.hrtime) — short samples are rarely preempted, and the median drops those that are.
 * Benchmarks are the one place a clock belongs.
 */

export interface RunOptions {
  /** Operations one call of `fn` performs. */
  readonly ops: number;
  /** Timed samples (default 9, or 21 with a setup); the median is reported. */
  readonly samples?: number;
  /** Minimum time per sample in ms (default 50); `fn` is called repeatedly to reach it. */
  readonly minSampleMs?: number;
  /** Warm-up time in ms before sampling (default 250). */
  readonly warmupMs?: number;
  /**
   * Runs untimed before every timed call (e.g. refill a cache that `fn` invalidates). With a
   * setup, each sample is exactly one call of `fn`.
   */
  readonly setup?: () => void;
}

export interface BenchResult {
  readonly name: string;
  /** Median ns per operation. */
  readonly nsPerOp: number;
  /** Lowest and highest sample, ns per operation. */
  readonly minNs: number;
  readonly maxNs: number;
  readonly samples: number;
  readonly opsPerCall: number;
}

const json = process.argv.includes('--json');
const results: BenchResult[] = [];
/** Every return value of `fn` is folded in here, so no work is optimised away. */
let sink = 0;

/** Print a section title and the table header (Markdown mode only). */
export function section(title: string): void {
  if (json) return;
  console.log(`\n### ${title}\n`);
  console.log('| case | ns/op (median) | min-max | Mops/s |');
  console.log('|---|---:|---:|---:|');
}

/** Measure `fn`; returns and records the result. */
export function run(name: string, fn: () => unknown, options: RunOptions): BenchResult {
  const samples = options.samples ?? (options.setup === undefined ? 9 : 21);
  const minSampleNs = (options.minSampleMs ?? 50) * 1e6;
  const setup = options.setup;
  // A full collection first (node --expose-gc, as scripts/run-bench.mjs starts it), so that the
  // garbage an earlier row left is not collected on this row's time.
  (globalThis as { gc?: () => void }).gc?.();
  const warmEnd = now() + (options.warmupMs ?? 250) * 1e6;
  do {
    setup?.();
    consume(fn());
  } while (now() < warmEnd);

  const perOp: number[] = [];
  for (let i = 0; i < samples; i++) {
    let calls = 0;
    setup?.();
    const c0 = cpuNs();
    const t0 = now();
    do {
      consume(fn());
      calls++;
      if (setup !== undefined) break;
    } while (cpuNs() - c0 < minSampleNs);
    const wall = now() - t0;
    const cpu = cpuNs() - c0;
    perOp.push((cpu >= 2e6 ? cpu : wall) / (calls * options.ops));
  }
  perOp.sort((a, b) => a - b);
  const result: BenchResult = {
    name,
    nsPerOp: perOp[perOp.length >> 1],
    minNs: perOp[0],
    maxNs: perOp[perOp.length - 1],
    samples,
    opsPerCall: options.ops,
  };
  results.push(result);
  if (!json) {
    console.log(
      `| ${name} | ${fmt(result.nsPerOp)} | ${fmt(result.minNs)}-${fmt(result.maxNs)} | ${fmt(1e3 / result.nsPerOp)} |`,
    );
  }
  return result;
}

/** `slow / fast`, for "x times faster" columns. */
export function ratio(slow: BenchResult, fast: BenchResult): number {
  return slow.nsPerOp / fast.nsPerOp;
}

/** Print a free-form note line (Markdown mode only). */
export function note(text: string): void {
  if (!json) console.log(`\n${text}`);
}

/** A line of human output right under the previous one (a table row); silent in `--json` mode. */
export function line(text: string): void {
  if (!json) console.log(text);
}

/** End of a bench file: in `--json` mode print all results; returns them either way. */
export function finish(): BenchResult[] {
  if (json) console.log(JSON.stringify({ node: process.version, results, sink: sink !== 0 }, null, 2));
  return results;
}

/** Format ns with 3 significant digits. */
export function fmt(ns: number): string {
  return ns >= 100 ? ns.toFixed(0) : ns >= 10 ? ns.toFixed(1) : ns.toFixed(2);
}

/** CPU time (user + system) of this process in ns. */
function cpuNs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) * 1e3;
}

function now(): number {
  return Number(process.hrtime.bigint());
}

function consume(v: unknown): void {
  if (typeof v === 'number') sink = (sink + v) | 0;
  else if (v !== undefined) sink = (sink + 1) | 0;
}
