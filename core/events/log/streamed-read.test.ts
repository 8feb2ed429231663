/** Readers over a ByteSource read a window at a time and give exactly what a read of the whole bytes gives. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isViommuError } from '../../errors/viommu-error.js';
import { recordsArb } from './arbitraries.test-support.js';
import { readBinary } from './binary-reader.js';
import { encodeBinary } from './binary-writer.js';
import { type ByteSource, fileSource, memorySource } from './byte-source.js';
import { encodeJsonl } from './jsonl.js';
import { readJsonl } from './jsonl-reader.js';
import type { ReadOptions } from './read-types.js';
import { SAMPLE_HEADER, sampleDmaRun } from './sample-run.js';

/** The bytes as a file-like source (no `whole`), read through a window of `window` bytes. */
function windowed(bytes: Uint8Array, window: number): ByteSource {
  const m = memorySource(bytes);
  return { size: m.size, readAt: m.readAt, close: m.close, windowBytes: window };
}

function outcome(read: () => unknown): unknown {
  try {
    return read();
  } catch (e) {
    if (isViommuError(e)) return { error: e.message };
    throw e;
  }
}

const readers = {
  binary: (b: Uint8Array | ByteSource, o: ReadOptions) => readBinary(b, 'x.log', o),
  jsonl: (b: Uint8Array | ByteSource, o: ReadOptions) => readJsonl(b, 'x.log', o),
};
const encoders = {
  binary: encodeBinary,
  jsonl: (h: typeof SAMPLE_HEADER, r: Parameters<typeof encodeBinary>[1]) =>
    new TextEncoder().encode(encodeJsonl(h, r)),
};

describe.each(['binary', 'jsonl'] as const)('a %s log read through a small window', (format) => {
  it('gives the records, the cut and the errors of a whole read, for any window, cut and damage', () => {
    fc.assert(
      fc.property(
        recordsArb,
        fc.integer({ min: 1, max: 300 }),
        fc.nat(),
        fc.option(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 }))),
        fc.constantFrom('strict', 'lenient') as fc.Arbitrary<'strict' | 'lenient'>,
        (records, window, cutAt, flip, mode) => {
          const full = encoders[format](SAMPLE_HEADER, records);
          const bytes = full.slice(0, full.length - (cutAt % 3 === 0 ? cutAt % full.length : 0));
          if (flip) bytes[flip[0] % bytes.length] ^= flip[1];
          const whole = outcome(() => readers[format](bytes, { mode }));
          const streamed = outcome(() => readers[format](windowed(bytes, window), { mode }));
          expect(streamed).toEqual(whole);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('reads a file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'viommu-stream-'));
    const file = join(dir, `run.${format}`);
    const bytes = encoders[format](SAMPLE_HEADER, sampleDmaRun(2000));
    writeFileSync(file, bytes);
    const source = fileSource(file);
    try {
      expect(readers[format](source, {}).records).toEqual(readers[format](bytes, {}).records);
    } finally {
      source.close();
    }
  });
});
