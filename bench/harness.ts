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
 *
 * `runGroup(base, cases)` is for rows that are compared with each other or whose target is a
 * ratio to a baseline: it takes its samples in rounds, one of the baseline and one of every case
 * per round, so that all of them see the same machine load, and it reports for each case the
 * median of its per-round ratios to the baseline beside its own median.
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
  /**
   * Calls of `fn` alone (no setup) at the end of the warm-up. A row whose setup is long (a refill
   * of 1e5 entries) reaches `fn` only a few times in the warm-up time, and would be timed in code
   * the JIT has not optimized yet; these calls run the same code until it has.
   */
  readonly warmupCalls?: number;
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
  /** runGroup only: this case over the group's baseline, per round of samples. */
  readonly ratio?: GroupRatio;
}

export interface GroupRatio {
  /** Name of the baseline row. */
  readonly to: string;
  /** Median, lowest and highest of the per-round ratios (case ns / baseline ns). */
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

const json = process.argv.includes('--json');
const results: BenchResult[] = [];
/** Every return value of `fn` is folded in here, so no work is optimised away. */
let sink = 0;

/** Print a section title and the table header (Markdown mode only). */
export function section(title: string): void {
  if (json) return;
  console.log(`\n### ${title}\n`);
  console.log('| case | ns/op (median) | min-max | Mops/s | ÷ group baseline (median, range over rounds) |');
  console.log('|---|---:|---:|---:|---:|');
}

/** Measure `fn`; returns and records the result. */
export function run(name: string, fn: () => unknown, options: RunOptions): BenchResult {
  const samples = options.samples ?? (options.setup === undefined ? 9 : 21);
  prepare(fn, options);
  const perOp: number[] = [];
  for (let i = 0; i < samples; i++) perOp.push(sample(fn, options));
  return record(summarise(name, perOp, options.ops));
}

/** One row of a runGroup. */
export interface GroupCase {
  readonly name: string;
  readonly fn: () => unknown;
  readonly options: RunOptions;
}

/**
 * Measure `base` and every case in rounds, and record them all; each case's result carries the
 * median of its per-round ratios to `base`. A round takes one sample of each, in an order that
 * rotates from round to round, so a load change on a shared machine moves a whole round, not one
 * row. Rounds: `rounds`, else the largest `samples` given, else 21 with a setup or 11 without.
 */
export function runGroup(
  base: GroupCase,
  cases: readonly GroupCase[],
  rounds?: number,
): { base: BenchResult; cases: BenchResult[] } {
  const all = [base, ...cases];
  const n =
    rounds ?? Math.max(...all.map((c) => c.options.samples ?? (c.options.setup === undefined ? 11 : 21)));
  for (const c of all) prepare(c.fn, c.options);
  const perOp: number[][] = all.map(() => []);
  for (let r = 0; r < n; r++) {
    for (let k = 0; k < all.length; k++) {
      const i = (r + k) % all.length;
      perOp[i]!.push(sample(all[i]!.fn, all[i]!.options));
    }
  }
  const b = record(summarise(base.name, perOp[0]!, base.options.ops));
  const out = cases.map((c, k) => {
    const ratios = perOp[k + 1]!.map((ns, r) => ns / perOp[0]![r]!).sort((x, y) => x - y);
    const ratio: GroupRatio = {
      to: base.name,
      median: ratios[ratios.length >> 1]!,
      min: ratios[0]!,
      max: ratios[ratios.length - 1]!,
    };
    return record({ ...summarise(c.name, perOp[k + 1]!, c.options.ops), ratio });
  });
  return { base: b, cases: out };
}

/** A full collection, then warm-up calls for `warmupMs`. */
function prepare(fn: () => unknown, options: RunOptions): void {
  // A full collection first (node --expose-gc, as scripts/run-bench.mjs starts it), so that the
  // garbage an earlier row left is not collected on this row's time.
  (globalThis as { gc?: () => void }).gc?.();
  const warmEnd = now() + (options.warmupMs ?? 250) * 1e6;
  do {
    options.setup?.();
    consume(fn());
  } while (now() < warmEnd);
  for (let i = options.warmupCalls ?? 0; i > 0; i--) consume(fn());
}

/** One timed sample: ns per operation. */
function sample(fn: () => unknown, options: RunOptions): number {
  const minSampleNs = (options.minSampleMs ?? 50) * 1e6;
  const setup = options.setup;
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
  return (cpu >= 2e6 ? cpu : wall) / (calls * options.ops);
}

function summarise(name: string, perOp: number[], ops: number): BenchResult {
  const sorted = [...perOp].sort((a, b) => a - b);
  return {
    name,
    nsPerOp: sorted[sorted.length >> 1],
    minNs: sorted[0],
    maxNs: sorted[sorted.length - 1],
    samples: sorted.length,
    opsPerCall: ops,
  };
}

/** Keep the result for finish() and print its row (Markdown mode). */
function record(result: BenchResult): BenchResult {
  results.push(result);
  if (!json) {
    const r = result.ratio;
    const rel = r === undefined ? '' : `${r.median.toFixed(2)}x (${r.min.toFixed(2)}-${r.max.toFixed(2)})`;
    console.log(
      `| ${result.name} | ${fmt(result.nsPerOp)} | ${fmt(result.minNs)}-${fmt(result.maxNs)} | ${fmt(1e3 / result.nsPerOp)} | ${rel} |`,
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
