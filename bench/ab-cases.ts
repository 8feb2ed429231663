/**
 * The cases scripts/ab-bench.mjs compares: the same VT-d workload run by two checkouts of the code
 * in one process, A (a git ref) and B (the working tree), their samples taken in alternating
 * rounds (bench/harness.ts runGroup, with A as the baseline). On this shared VM two bench runs
 * can disagree by more than a change is worth; two versions in one process, sample by sample,
 * do not.
 *
 * Both sides run the working tree's bench/vtd-world.ts (the workload), each bundled against its own
 * core/ and plugins/ (the code under test), and build their own tables from the same seed: the
 * two never share a call site or an object.
 */
import { finish, type GroupCase, note, runGroup, section } from './harness.js';
import type * as VtdWorld from './vtd-world.js';

type World = typeof VtdWorld;

export type AbWhat = 'hit' | 'miss' | 'qi';

export interface AbOptions {
  /** The git ref A was taken from, for the report. */
  readonly ref: string;
  readonly what: AbWhat;
  /** Pages (translations per sample). */
  readonly pages: number;
  /** 'main': 64 domains in runs of 16; 'one-table': perf-notes §3's one table in runs of 64. */
  readonly workload: 'main' | 'one-table';
  readonly rounds: number;
}

/**
 * One side's timed call for `o.what` over its own tables and the untimed set-up before it, and
 * the sum of a translation pass (for checking that both sides compute the same thing).
 */
function sideCase(m: World, side: string, o: AbOptions): GroupCase & { sum: number } {
  const shape = o.workload === 'one-table' ? m.PERF_NOTES_SHAPE : undefined;
  const w = m.buildWorld(o.pages, 'sl', o.pages + 2, shape);
  const hw = m.unit(w, m.vtdCaches(o.pages));
  const sum = m.translateAll(hw, w);
  if (m.translateAll(hw, w) !== sum) throw new Error(`${side}: a second pass translated differently`);
  if (m.seen.faults !== 0) throw new Error(`${side}: ${m.seen.faults} faults: the workload is wrong`);
  const name = `${side}: ${o.what} @${o.pages}, ${o.workload}`;
  if (o.what === 'hit') return { name, sum, fn: () => m.translateAll(hw, w), options: { ops: o.pages } };
  if (o.what === 'miss') {
    return { name, sum, fn: () => m.translateAll(hw, w), options: { ops: o.pages, setup: m.coldCaches(hw) } };
  }
  const descs = Array.from({ length: m.DOMAINS }, (_, d) => m.domainDescriptor(d + 1));
  const refill = () => {
    m.translateAll(hw, w);
  };
  if (m.submit(hw, descs) !== descs.length) throw new Error(`${side}: the queue refused a descriptor`);
  return {
    name,
    sum,
    fn: () => m.submit(hw, descs),
    options: { ops: descs.length, setup: refill, warmupCalls: 2000 },
  };
}

/** Runs the comparison and prints it (Markdown, or JSON with --json). */
export function runAb(a: World, b: World, o: AbOptions): void {
  section(`A/B: ${o.what}, ${o.pages} pages, ${o.workload} workload; A = ${o.ref}, B = the working tree`);
  const base = sideCase(a, 'A', o);
  const other = sideCase(b, 'B', o);
  if (base.sum !== other.sum) throw new Error('A and B translate the workload to different pages');
  const [r] = runGroup(base, [other], o.rounds).cases;
  if (r?.ratio !== undefined) {
    note(
      `B/A ${r.ratio.median.toFixed(3)} (median of ${o.rounds} rounds, range ${r.ratio.min.toFixed(3)}-${r.ratio.max.toFixed(3)}): ` +
        (r.ratio.min <= 1 && r.ratio.max >= 1
          ? 'no clear difference (the rounds fall on both sides of 1)'
          : r.ratio.median < 1
            ? 'B is faster in every round'
            : 'B is slower in every round'),
    );
  }
  finish();
}
