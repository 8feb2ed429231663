/**
 * Replay of a 1,000,000-event log made by the simulator itself: a VT-d run
 * (legacy mode, second-level tables) whose ten workload commands make 100,000
 * DMA translations each over 16 mapped pages, one `workload.dma.translated`
 * event per access, so nearly every event is an IOTLB hit. Measured in one
 * process, per event:
 *   (a) binary: read (checksums, decode, validate) and compare with the expected records,
 *       decoded first or compared in their encoded form (BinaryLogReader.skipIfEqual);
 *   (b) JSON Lines: the same;
 *   (c) the baseline: a naive JSON.parse-per-line loop over the same JSON Lines, no checks;
 *   (d) full re-execution: replayLog on a fresh simulator, every record compared; and what
 *       `viommu replay` runs on a binary log, reading it as it goes (replayRecords).
 * Targets (issue 5), reported, not asserted: (a) >= 5 M events/s, (b) >= 1 M/s,
 * (d) >= 1 M/s, binary >= 5x smaller than JSON Lines.
 *
 * Run: node scripts/run-bench.mjs replay [--json]
 */
import 'reflect-metadata';
import { BinaryLogReader, readBinary } from '../core/events/log/binary-reader.js';
import { firstDivergence, recordDiff } from '../core/events/log/divergence.js';
import { EventLogWriter } from '../core/events/log/event-log-writer.js';
import { JsonlLogReader, readJsonl } from '../core/events/log/jsonl-reader.js';
import type { LogContents } from '../core/events/log/read-types.js';
import type { LogRecord } from '../core/events/log/records.js';
import type { JsonValue } from '../core/plugin/contract.js';
import { PluginHost } from '../core/plugin/host.js';
import { replayLog, replayRecords } from '../core/replay/replay.js';
import { createSimulator } from '../core/replay/sim-factory.js';
import { compileTarget } from '../core/scenario/compile.js';
import { makeHeader } from '../core/scenario/runner.js';
import { validateScenario } from '../core/scenario/validate.js';
import vtd from '../plugins/vtd/index.js';
import { naiveJsonlParse } from './baselines/naive-jsonl.js';
import { finish, note, ratio, run, section } from './harness.js';

const COMMANDS = 10;
const ACCESSES = 100_000;
const PAGES = 16;

const hex = (n: number): string => `0x${n.toString(16)}`;
const scenario = validateScenario(
  {
    format: 'viommu-scenario',
    version: 1,
    id: 'bench/replay',
    title: 'translation-heavy: ring and random DMA over 16 mapped pages, one event per access',
    seed: 5,
    targets: [
      {
        plugin: 'vtd',
        options: { mode: 'legacy' },
        devices: [{ name: 'nic', sid: 16 }],
        setup: [
          { type: 'vtd.root.set', data: {} },
          { type: 'vtd.domain.create', data: { did: 1, levels: 4 } },
          { type: 'vtd.device.attach', data: { device: 'nic', did: 1, mode: 'sl' } },
          ...Array.from({ length: PAGES }, (_, i) => ({
            type: 'vtd.pt.map',
            data: {
              table: 'sl',
              did: 1,
              iova: hex(0x10_0000 + i * 4096),
              pa: hex(0x80_0000 + i * 4096),
              perm: 'rw',
            },
          })),
        ],
      },
    ],
    steps: Array.from({ length: COMMANDS }, (_, i) => ({
      workload: {
        kind: i % 2 === 0 ? 'ring' : 'random',
        seed: i,
        device: 'nic',
        iova: hex(0x10_0000),
        pages: PAGES,
        slots: PAGES,
        count: ACCESSES,
        access: 'r',
        events: 'each',
      },
    })),
  },
  'bench/replay.scenario.json',
);

// Record the run as `viommu run` does, straight into the in-memory binary log.
const host = new PluginHost().use(vtd);
const target = scenario.targets[0];
const compiled = compileTarget(scenario, target);
const header = makeHeader(host, scenario, target, compiled.config as unknown as JsonValue, '0.1.0');
const writer = new EventLogWriter(header, { initialBytes: 16 << 20 });
const sim = createSimulator(host, compiled.config, [writer]);
for (const c of compiled.commands) sim.execute({ type: c.type, data: c.data });
const binary = writer.toBinary();
const jsonl = new TextEncoder().encode(writer.toJsonl());
const log: LogContents = readBinary(binary, 'run.events.bin');
const expected: readonly LogRecord[] = log.records;
const N = expected.length;
const stats = sim.units.values().next().value!.stats();
const iotlb = stats.caches.iotlb ?? Object.values(stats.caches)[0];

section(`Replay of a ${N.toLocaleString('en')}-record VT-d run (ns per record)`);
note(
  [
    `records: ${N.toLocaleString('en')} (${compiled.commands.length} commands); translations ${stats.translations.toLocaleString('en')},`,
    `IOTLB hits ${iotlb ? `${iotlb.hits.toLocaleString('en')} of ${(iotlb.hits + iotlb.misses).toLocaleString('en')}` : 'n/a'}.`,
    `sizes: JSON Lines ${jsonl.length.toLocaleString('en')} B (${(jsonl.length / N).toFixed(1)} B/record),`,
    `binary ${binary.length.toLocaleString('en')} B (${(binary.length / N).toFixed(1)} B/record): ${(jsonl.length / binary.length).toFixed(1)}x smaller.\n`,
  ].join(' '),
);

const opts = { ops: N, samples: 5, warmupMs: 0, minSampleMs: 1 };

/** Reads and checks a log record by record against the expected stream, without collecting. */
function checkStream(reader: BinaryLogReader | JsonlLogReader): number {
  let i = 0;
  for (let r = reader.next(); r !== null; r = reader.next(), i++) {
    if (i >= N || recordDiff(expected[i], r) !== undefined) return -1;
  }
  return i === N ? i : -1;
}

const naive = run(
  '(c) baseline: JSON Lines, split + JSON.parse per line, no checks',
  () => naiveJsonlParse(jsonl),
  opts,
);
const jsonlCheck = run(
  '(b) JSON Lines: readJsonl + firstDivergence against the expected records',
  () => firstDivergence(expected, readJsonl(jsonl, 'run.events.jsonl').records) === null,
  opts,
);
const jsonlStream = run(
  '(b) JSON Lines: JsonlLogReader.next + recordDiff, record by record',
  () => checkStream(new JsonlLogReader(jsonl, 'run.events.jsonl')),
  opts,
);
const binCheck = run(
  '(a) binary: readBinary + firstDivergence against the expected records',
  () => firstDivergence(expected, readBinary(binary, 'run.events.bin').records) === null,
  opts,
);
const binStream = run(
  '(a) binary: BinaryLogReader.next + recordDiff, record by record',
  () => checkStream(new BinaryLogReader(binary, 'run.events.bin')),
  opts,
);
const binEncoded = run(
  '(a) binary: firstDivergence against a BinaryLogReader (compares encoded records, decodes only what differs)',
  () => firstDivergence(expected, new BinaryLogReader(binary, 'run.events.bin')) === null,
  opts,
);
const replay = run(
  '(d) replayLog: re-execute on a fresh simulator, compare every record',
  () => {
    const r = replayLog(host, log);
    if (!r.ok) throw new Error(`replay diverged at seq ${r.divergence?.seq}`);
    return r.matched;
  },
  { ...opts, samples: 3 },
);
const replayStreamed = run(
  '(d) replayRecords over a BinaryLogReader: read + re-execute + compare encoded (what viommu replay runs)',
  () => {
    const reader = new BinaryLogReader(binary, 'run.events.bin');
    const r = replayRecords(host, reader.header, reader);
    if (!r.ok) throw new Error(`replay diverged at seq ${r.divergence?.seq}`);
    return r.matched;
  },
  { ...opts, samples: 3 },
);

const mps = (ns: number) => (1e3 / ns).toFixed(2);
note(
  [
    `M records/s: (a) binary ${mps(binCheck.nsPerOp)} collected, ${mps(binStream.nsPerOp)} streamed, ${mps(binEncoded.nsPerOp)} compared encoded (target >= 5);`,
    `(b) JSON Lines ${mps(jsonlCheck.nsPerOp)} collected, ${mps(jsonlStream.nsPerOp)} streamed (target >= 1);`,
    `(c) naive JSON.parse ${mps(naive.nsPerOp)};`,
    `(d) re-execution ${mps(replay.nsPerOp)}, read + re-execution ${mps(replayStreamed.nsPerOp)} (target >= 1).`,
    `Against the naive loop (same run, the figure to trust on a loaded VM): binary read+check`,
    `${ratio(naive, binCheck).toFixed(2)}x collected, ${ratio(naive, binStream).toFixed(2)}x streamed, ${ratio(naive, binEncoded).toFixed(2)}x compared encoded;`,
    `JSON Lines ${ratio(naive, jsonlCheck).toFixed(2)}x collected, ${ratio(naive, jsonlStream).toFixed(2)}x streamed; re-execution ${ratio(naive, replay).toFixed(2)}x, read + re-execution ${ratio(naive, replayStreamed).toFixed(2)}x (higher is faster).`,
  ].join(' '),
);
finish();
