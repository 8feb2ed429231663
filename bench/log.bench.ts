/**
 * Reading and checking a 1,000,000-record event log (500,000 DMA commands and
 * their events) in JSON Lines and in binary, against a naive
 * JSON.parse-per-line loop in the same run. "Check" = every frame's checksum
 * (binary) and every field (both), and a comparison with the expected record
 * stream, as replay does. Also the cost of writing: EventLogWriter.append and
 * JSON Lines encoding.
 */
import { BinaryLogReader, readBinary } from '../core/events/log/binary-reader.js';
import { firstBinaryDivergence, firstDivergence } from '../core/events/log/divergence.js';
import { EventLogWriter } from '../core/events/log/event-log-writer.js';
import { encodeJsonl } from '../core/events/log/jsonl.js';
import { readJsonl } from '../core/events/log/jsonl-reader.js';
import { SAMPLE_HEADER, sampleDmaRun } from '../core/events/log/sample-run.js';
import { naiveJsonlParse } from './baselines/naive-jsonl.js';
import { finish, note, ratio, run, section } from './harness.js';

const PAIRS = 500_000;
const records = sampleDmaRun(PAIRS);
const N = records.length;
const writer = new EventLogWriter(SAMPLE_HEADER, { initialBytes: 32 << 20 });
for (const r of records) writer.append(r);
const binary = writer.toBinary();
const jsonlText = encodeJsonl(SAMPLE_HEADER, records);
const jsonl = new TextEncoder().encode(jsonlText);
const opts = { ops: N, samples: 5, warmupMs: 0, minSampleMs: 1 };

section(`Event log: read and check ${N.toLocaleString('en')} records (ns per record)`);
note(
  `sizes: JSON Lines ${jsonl.length.toLocaleString('en')} B, binary ${binary.length.toLocaleString('en')} B (${(jsonl.length / binary.length).toFixed(1)}x smaller), ${(binary.length / N).toFixed(1)} B/record\n`,
);

const naive = run(
  'baseline: JSON Lines, split + JSON.parse per line, no checks',
  () => naiveJsonlParse(jsonl),
  opts,
);
const jsonlRead = run(
  'readJsonl (UTF-8 decode, parse, validate every field)',
  () => readJsonl(jsonl, 'b.jsonl').records.length,
  opts,
);
const jsonlCheck = run(
  'readJsonl + firstDivergence against the expected records',
  () => firstDivergence(records, readJsonl(jsonl, 'b.jsonl').records) === null,
  opts,
);
const binRead = run(
  'readBinary (checksums, decode, validate)',
  () => readBinary(binary, 'b.bin').records.length,
  opts,
);
const binCheck = run(
  'readBinary + firstDivergence against the expected records',
  () => firstDivergence(records, readBinary(binary, 'b.bin').records) === null,
  opts,
);
const binEncoded = run(
  'firstDivergence against a BinaryLogReader (checksums, compare encoded, decode only what differs)',
  () => firstDivergence(records, new BinaryLogReader(binary, 'b.bin')) === null,
  opts,
);
const copy = binary.slice();
const binCompare = run(
  'firstBinaryDivergence (checksums + bytes, no decode)',
  () => firstBinaryDivergence(binary, copy) === null,
  opts,
);

section('Event log: write (ns per record)');
const append = run(
  'EventLogWriter.append (binary encode into a doubling buffer)',
  () => {
    const w = new EventLogWriter(SAMPLE_HEADER, { initialBytes: 32 << 20 });
    for (let i = 0; i < N; i++) w.append(records[i]);
    return w.byteLength;
  },
  opts,
);
const jsonlWrite = run(
  'encodeJsonl (validate + JSON.stringify per record)',
  () => encodeJsonl(SAMPLE_HEADER, records).length,
  opts,
);

const mps = (ns: number) => (1e3 / ns).toFixed(2);
note(
  [
    `read+check, M records/s: binary ${mps(binCheck.nsPerOp)} decoded, ${mps(binEncoded.nsPerOp)} compared encoded (target >= 5), byte-level compare ${mps(binCompare.nsPerOp)},`,
    `JSON Lines ${mps(jsonlCheck.nsPerOp)} (target >= 1), naive JSON.parse loop ${mps(naive.nsPerOp)}.`,
    `readBinary is ${ratio(naive, binRead).toFixed(1)}x the naive loop, readJsonl ${ratio(naive, jsonlRead).toFixed(2)}x;`,
    `append ${mps(append.nsPerOp)} M records/s, encodeJsonl ${mps(jsonlWrite.nsPerOp)} M/s.`,
  ].join(' '),
);
finish();
