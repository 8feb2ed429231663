/**
 * `viommu trace compare` on the real QEMU 7.2 sample (shared/data/qemu-vtd, 187,201 lines,
 * 25,355 lookups) against the floor of any streamed reader in the same process: gunzip the file
 * and split it into lines (trace-lines.ts with a callback that only counts). Target: compare at
 * <= 4x the floor. Rows alternate floor and compare in rounds so both see the same machine load;
 * the ratio is the median of per-round ratios, in process CPU time. Also: the parse alone (as
 * `trace import` and as the comparer read it), import to a steps file, compare with three designs
 * in one parse, and the process's peak RSS.
 *
 * Run: npm run bench -- trace   (VIOMMU_QEMU_VTD_SAMPLE=path to use another trace)
 */
import 'reflect-metadata';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareTrace } from '../plugins/vtd/trace/compare-trace.js';
import { importTrace } from '../plugins/vtd/trace/import-trace.js';
import { parseIotlbDesign } from '../plugins/vtd/trace/iotlb-design.js';
import { QemuVtdImporter } from '../plugins/vtd/trace/qemu-vtd-importer.js';
import { forEachLine } from '../plugins/vtd/trace/trace-lines.js';
import { line, note } from './harness.js';

// The real sample lives in shared/, beside the repository; benches run from the repository root.
const SAMPLE =
  process.env.VIOMMU_QEMU_VTD_SAMPLE ??
  join('..', 'shared', 'data', 'qemu-vtd', 'legacy-strict-cm0.trace.log.gz');
const ROUNDS = 7;

/** CPU milliseconds of one call. */
async function cpuMs(fn: () => Promise<unknown>): Promise<number> {
  const t0 = process.cpuUsage();
  await fn();
  const t = process.cpuUsage(t0);
  return (t.user + t.system) / 1000;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const q72 = [parseIotlbDesign('qemu-7.2')];
  const three = ['qemu-7.2', 'qemu', 'lru:256'].map((s) => parseIotlbDesign(s));
  const out = mkdtempSync(join(tmpdir(), 'trace-bench-'));
  const floor = () => forEachLine(SAMPLE, () => {});
  const parseOnly = async () => {
    const imp = new QemuVtdImporter({ command() {}, lookup() {} }, { file: SAMPLE });
    await forEachLine(SAMPLE, (l, n) => imp.line(l, n));
    return imp.finish();
  };
  // The comparer's form of the same parse: leaf writes and queue batches as numbers and words.
  const parseWords = async () => {
    const imp = new QemuVtdImporter({ command() {}, lookup() {}, leaf() {}, queue() {} }, { file: SAMPLE });
    await forEachLine(SAMPLE, (l, n) => imp.line(l, n));
    return imp.finish();
  };
  const cases: [string, () => Promise<unknown>][] = [
    ['import to a no-op sink (parse only)', parseOnly],
    ['parse only, as the comparer reads (no JSON)', parseWords],
    ['trace compare --iotlb qemu-7.2', () => compareTrace(SAMPLE, q72)],
    ['trace compare, 3 designs in one parse', () => compareTrace(SAMPLE, three)],
    ['trace import (steps file written)', () => importTrace(SAMPLE, out)],
  ];
  // Warm-up: one of each.
  await floor();
  for (const [, fn] of cases) await fn();
  const base: number[] = [];
  const times = cases.map(() => [] as number[]);
  const ratios = cases.map(() => [] as number[]);
  for (let r = 0; r < ROUNDS; r++) {
    const b = await cpuMs(floor);
    base.push(b);
    for (let i = 0; i < cases.length; i++) {
      const t = await cpuMs(cases[i]![1]);
      times[i]!.push(t);
      ratios[i]!.push(t / b);
    }
  }
  note(`### trace: ${SAMPLE.split('/').pop()} (median of ${ROUNDS} rounds, CPU ms)\n`);
  line('| case | ms | × floor | target |');
  line('| --- | ---: | ---: | --- |');
  line(`| floor: gunzip + split into lines | ${median(base).toFixed(0)} | 1.00× | |`);
  cases.forEach(([name], i) => {
    line(
      `| ${name} | ${median(times[i]!).toFixed(0)} | ${median(ratios[i]!).toFixed(2)}× | ${name.startsWith('trace compare --') ? '≤ 4×' : ''} |`,
    );
  });
  note(`peak RSS of this process: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
}

await main();
