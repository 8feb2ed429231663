/**
 * A stepsFile streamed line by line (core/scenario/step-stream.ts): parse, validate and compile
 * each line, beside the same stream with each line also checked against the target's command
 * catalog before it runs (what a run does since issue 15). 100k DMA lines on the flat plugin,
 * in the same process, rounds alternating; reported, never asserted.
 *
 * Run: node scripts/run-bench.mjs step-stream [--json]
 */
import 'reflect-metadata';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PluginHost } from '../core/plugin/host.js';
import { loadScenarioFile } from '../core/scenario/load.js';
import { streamedCommands } from '../core/scenario/step-stream.js';
import { flatPlugin } from '../core/testing/flat-plugin.js';
import { finish, note, runGroup, section } from './harness.js';

const LINES = 100_000;
const dir = mkdtempSync(join(tmpdir(), 'viommu-bench-steps-'));
let text = '';
for (let i = 0; i < LINES; i++) {
  const iova = `0x${(0x100000 + (i % 16) * 4096).toString(16)}`;
  text += `{"type":"device.dma.access","data":{"device":"nic","iova":"${iova}","access":"r"}}\n`;
}
writeFileSync(join(dir, 's.steps.jsonl'), text);
writeFileSync(
  join(dir, 's.scenario.json'),
  JSON.stringify({
    format: 'viommu-scenario',
    version: 1,
    id: 'bench/steps',
    title: 'streamed DMA lines',
    seed: 1,
    targets: [{ plugin: 'flat', devices: [{ name: 'nic', sid: 1 }] }],
    stepsFile: 's.steps.jsonl',
  }),
);
const host = new PluginHost().use(flatPlugin);
const scenario = loadScenarioFile(join(dir, 's.scenario.json'));
const target = scenario.targets[0]!;

function stream(h: PluginHost | undefined): number {
  let n = 0;
  for (const _ of streamedCommands(scenario, target, h)) n++;
  if (n !== LINES) throw new Error(`streamed ${n} of ${LINES} lines`);
  return n;
}

section(`a stepsFile of ${LINES} DMA lines, streamed`);
const opts = { ops: LINES, samples: 9, warmupMs: 0, minSampleMs: 1 };
const { cases } = runGroup({ name: 'parse, validate, compile', fn: () => stream(undefined), options: opts }, [
  { name: '+ catalog check per line', fn: () => stream(host), options: opts },
]);
note(
  `Checking each line against the catalog costs ${cases[0]!.ratio!.median.toFixed(2)}x the stream without it (${(cases[0]!.nsPerOp).toFixed(0)} ns a line).`,
);
rmSync(dir, { recursive: true, force: true });
finish();
