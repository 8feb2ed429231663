/** Logs cut short, bytes flipped, arbitrary bytes: readers return records or throw a coded error, never anything else. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isViommuError } from '../../errors/viommu-error.js';
import { recordsArb } from './arbitraries.test-support.js';
import { BINARY_PREAMBLE_BYTES } from './binary-format.js';
import { BinaryLogReader, readBinary } from './binary-reader.js';
import { encodeBinary } from './binary-writer.js';
import { LOG_ERROR_CODES, type LogError } from './errors.js';
import { encodeJsonl } from './jsonl.js';
import { readJsonl } from './jsonl-reader.js';
import { resealText } from './line-seal.js';
import { readLog } from './read-log.js';
import { SAMPLE_HEADER, sampleDmaRun } from './sample-run.js';

function caught(f: () => unknown): LogError | undefined {
  try {
    f();
    return undefined;
  } catch (e) {
    if (isViommuError(e)) return e as LogError;
    throw e; // a crash: fails the test
  }
}

/** Byte offset where each record's frame ends, from an honest read. */
function frameEnds(bytes: Uint8Array): { recordsStart: number; ends: number[] } {
  const reader = new BinaryLogReader(bytes, 'x.bin');
  const ends: number[] = [];
  while (reader.next() !== null) ends.push(reader.offset);
  return { recordsStart: reader.recordsStart, ends };
}

describe('a binary log cut at any byte', () => {
  it('reads back exactly the complete records before the cut (lenient) and throws TRUNCATED naming where (strict)', () => {
    const records = sampleDmaRun(6);
    const bytes = encodeBinary(SAMPLE_HEADER, records);
    const { recordsStart, ends } = frameEnds(bytes);
    for (let cut = 0; cut < bytes.length; cut++) {
      const part = bytes.subarray(0, cut);
      const strict = caught(() => readBinary(part, 'run.bin'));
      expect(strict?.code, `cut at ${cut}`).toBe(LOG_ERROR_CODES.TRUNCATED);
      expect(strict?.message.startsWith('run.bin')).toBe(true);
      if (cut < recordsStart) {
        expect(caught(() => readBinary(part, 'run.bin', { mode: 'lenient' }))?.code).toBe(
          LOG_ERROR_CODES.TRUNCATED,
        );
        continue;
      }
      const complete = ends.filter((e) => e <= cut).length;
      const lenient = readBinary(part, 'run.bin', { mode: 'lenient' });
      expect(lenient.records, `cut at ${cut}`).toEqual(records.slice(0, complete));
      expect(lenient.truncated).toEqual({
        truncatedAt: complete === 0 ? recordsStart : ends[complete - 1],
        lastSeq: complete,
      });
      if (cut === lenient.truncated?.truncatedAt)
        expect(strict?.message).toMatch(`ends after record seq ${complete} without its end marker`);
      else
        expect(strict?.message).toMatch(
          `record seq ${complete + 1} at byte ${lenient.truncated?.truncatedAt}: record is cut short`,
        );
    }
  });

  it('holds for random logs and random cuts', () => {
    fc.assert(
      fc.property(recordsArb, fc.nat(), (records, at) => {
        const bytes = encodeBinary(SAMPLE_HEADER, records);
        const { recordsStart, ends } = frameEnds(bytes);
        const cut = recordsStart + (at % (bytes.length - recordsStart));
        const complete = ends.filter((e) => e <= cut).length;
        expect(readBinary(bytes.subarray(0, cut), 'r.bin', { mode: 'lenient' }).records).toEqual(
          readBinary(bytes, 'r.bin').records.slice(0, complete),
        );
        expect(caught(() => readBinary(bytes.subarray(0, cut), 'r.bin'))?.code).toBe(
          LOG_ERROR_CODES.TRUNCATED,
        );
      }),
      { numRuns: 150 },
    );
  });
});

describe('a JSON Lines log cut at any byte', () => {
  it('reads back the complete records (lenient); strict throws TRUNCATED naming the line and the byte', () => {
    const records = sampleDmaRun(4);
    const bytes = new TextEncoder().encode(encodeJsonl(SAMPLE_HEADER, records));
    const lineEnds: number[] = [];
    bytes.forEach((b, i) => {
      if (b === 0x0a) lineEnds.push(i + 1);
    });
    // The last line is the end line: records are the lines between the header and it.
    const recordLines = lineEnds.length - 2;
    for (let cut = 0; cut < bytes.length; cut++) {
      const part = bytes.subarray(0, cut);
      const completeLines = lineEnds.filter((e) => e <= cut).length;
      const strict = caught(() => readJsonl(part, 'run.jsonl'));
      // Every cut, even one between two lines, is a run cut short: the end line is missing.
      expect(strict?.code, `cut at ${cut}`).toBe(LOG_ERROR_CODES.TRUNCATED);
      if (completeLines === 0) continue;
      const lenient = readJsonl(part, 'run.jsonl', { mode: 'lenient' });
      // A cut that takes only the newline leaves the last record whole: lenient keeps it.
      const whole = Math.min(recordLines, lineEnds.includes(cut + 1) ? completeLines : completeLines - 1);
      expect(lenient.records, `cut at ${cut}`).toEqual(records.slice(0, whole));
      const startOfCutLine = lineEnds[completeLines - 1];
      if (lineEnds.includes(cut)) {
        expect(strict?.message).toBe(
          `run.jsonl line ${completeLines + 1} at byte ${cut}: log ends after record seq ${whole} without its end line (a run cut short?)`,
        );
        expect(lenient.truncated).toEqual({ truncatedAt: cut, lastSeq: whole });
      } else {
        expect(strict?.message).toBe(
          `run.jsonl line ${completeLines + 1} at byte ${startOfCutLine}: line is cut short (no newline at the end: a run cut short?)`,
        );
        const kept = whole === completeLines && completeLines <= recordLines;
        expect(lenient.truncated).toEqual({
          truncatedAt: kept ? cut : startOfCutLine,
          lastSeq: whole,
        });
      }
    }
  });
});

describe('a damaged JSON Lines log', () => {
  const text = encodeJsonl(SAMPLE_HEADER, sampleDmaRun(4));
  const lines = text.split('\n').slice(0, -1);
  const refused = (bad: string, what: string): LogError => {
    const e = caught(() => readJsonl(bad, 'run.jsonl'));
    expect(e, what).toBeDefined();
    expect([LOG_ERROR_CODES.CORRUPT, LOG_ERROR_CODES.TRUNCATED, LOG_ERROR_CODES.VERSION], what).toContain(
      e?.code,
    );
    expect(e?.message, what).toMatch(/^run\.jsonl line \d+/);
    // Lenient mode does not hide damage either (a cut aside).
    const l = caught(() => readJsonl(bad, 'run.jsonl', { mode: 'lenient' }));
    if (e?.code !== LOG_ERROR_CODES.TRUNCATED) expect(l, what).toBeDefined();
    return e!;
  };

  it('with any one character changed is refused, naming the line', () => {
    for (let at = 0; at < text.length - 1; at++) {
      if (text[at] === '\n') continue;
      const line = text.slice(0, at).split('\n').length;
      for (const c of ['0', 'x', ' ', '"']) {
        if (text[at] === c) continue;
        const e = refused(`${text.slice(0, at)}${c}${text.slice(at + 1)}`, `char ${at} -> ${c}`);
        expect(e.location.line, `char ${at} -> ${c}`).toBe(line);
      }
    }
  });

  it('with a line deleted, repeated or two lines swapped is refused at that place', () => {
    for (let i = 0; i < lines.length; i++) {
      const deleted = lines.filter((_, j) => j !== i);
      refused(`${deleted.join('\n')}\n`, `line ${i + 1} deleted`);
      const repeated = [...lines.slice(0, i + 1), lines[i], ...lines.slice(i + 1)];
      expect(refused(`${repeated.join('\n')}\n`, `line ${i + 1} repeated`).location.line).toBe(i + 2);
      if (i + 1 < lines.length) {
        const swapped = lines.slice();
        [swapped[i], swapped[i + 1]] = [swapped[i + 1], swapped[i]];
        expect(refused(`${swapped.join('\n')}\n`, `lines ${i + 1}, ${i + 2} swapped`).location.line).toBe(
          i + 1,
        );
      }
    }
  });

  it('with its header edited, even with valid JSON, is refused at line 1', () => {
    const edited = lines[0].replace('"seed":42', '"seed":43');
    expect(edited).not.toBe(lines[0]);
    const e = refused([edited, ...lines.slice(1)].join('\n'), 'header seed');
    expect(e.location.line).toBe(1);
  });

  it('re-sealed on purpose reads again', () => {
    const edited = [lines[0].replace('"seed":42', '"seed":43'), ...lines.slice(1)].join('\n');
    expect(readJsonl(resealText(edited), 'run.jsonl').header.seed).toBe(43);
  });

  it('written before seals existed still reads, and says so', () => {
    const unsealed = `${lines
      .slice(0, -1)
      .map((l) => `${l.slice(0, -18)}}`)
      .join('\n')}\n`;
    const log = readJsonl(unsealed, 'old.jsonl');
    expect(log.sealed).toBe(false);
    expect(log.records).toEqual(readJsonl(text, 'run.jsonl').records);
    expect(readJsonl(text, 'run.jsonl').sealed).toBe(true);
  });
});

describe('a flipped byte in a binary log', () => {
  it('is always detected, and the error names the record seq and the byte offset', () => {
    const records = sampleDmaRun(5);
    const bytes = encodeBinary(SAMPLE_HEADER, records);
    const { recordsStart, ends } = frameEnds(bytes);
    for (let at = 0; at < bytes.length; at++) {
      for (const mask of [0x01, 0x80, 0xff]) {
        const bad = bytes.slice();
        bad[at] ^= mask;
        const e = caught(() => readBinary(bad, 'run.bin'));
        expect(e, `byte ${at} ^ ${mask}`).toBeDefined();
        expect([LOG_ERROR_CODES.CORRUPT, LOG_ERROR_CODES.VERSION]).toContain(e?.code);
        if (at >= recordsStart && at < ends[ends.length - 1]) {
          const index = ends.findIndex((end) => at < end);
          const frameStart = index === 0 ? recordsStart : ends[index - 1];
          expect(e?.message, `byte ${at}`).toMatch(
            new RegExp(`^run\\.bin record seq ${index + 1} at byte ${frameStart}: `),
          );
        } else {
          expect(e?.message).toMatch(/^run\.bin (record seq \d+ at )?byte \d+: /);
        }
        // Lenient mode does not hide damage either.
        expect(caught(() => readBinary(bad, 'run.bin', { mode: 'lenient' }))).toBeDefined();
      }
    }
  });

  it('is detected in random logs', () => {
    fc.assert(
      fc.property(recordsArb, fc.nat(), fc.integer({ min: 1, max: 255 }), (records, where, mask) => {
        const bytes = encodeBinary(SAMPLE_HEADER, records);
        const bad = bytes.slice();
        bad[where % bad.length] ^= mask;
        expect(caught(() => readBinary(bad, 'r.bin'))).toBeDefined();
      }),
      { numRuns: 300 },
    );
  });

  it('in the preamble version reads as a newer format', () => {
    const bad = encodeBinary(SAMPLE_HEADER, []);
    bad[8] = 2;
    expect(caught(() => readBinary(bad, 'v.bin'))?.message).toBe(
      'v.bin byte 8: format version 2 is newer than this reader (1); use a newer viommu',
    );
    expect(BINARY_PREAMBLE_BYTES).toBe(12);
  });
});

describe('arbitrary bytes', () => {
  it('never crash a reader: records or a coded error', () => {
    const valid = encodeBinary(SAMPLE_HEADER, sampleDmaRun(3));
    const validText = new TextEncoder().encode(encodeJsonl(SAMPLE_HEADER, sampleDmaRun(3)));
    const mutated = (base: Uint8Array) =>
      fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 8 }).map((edits) => {
        const b = base.slice();
        for (const [i, v] of edits) b[i % b.length] = v;
        return b;
      });
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 200 }),
          mutated(valid),
          mutated(validText),
          fc.uint8Array().map((tail) => Uint8Array.from([...valid.subarray(0, 200), ...tail])),
        ),
        fc.constantFrom('strict', 'lenient') as fc.Arbitrary<'strict' | 'lenient'>,
        (bytes, mode) => {
          for (const read of [readLog, readBinary, readJsonl]) {
            const e = caught(() =>
              read(bytes, 'fuzz.log', { mode, types: new Set(['core.dma.access', 'core.dma.completed']) }),
            );
            if (e) expect(e.code).toMatch(/^VIOMMU_ERR_LOG_(CORRUPT|VERSION|TRUNCATED|UNKNOWN_TYPE)$/);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('an unknown type in a binary log names the record', () => {
    const bytes = encodeBinary(SAMPLE_HEADER, sampleDmaRun(2));
    const e = caught(() => readBinary(bytes, 'run.bin', { types: new Set(['core.dma.access']) }));
    expect(e?.code).toBe(LOG_ERROR_CODES.UNKNOWN_TYPE);
    expect(e?.message).toMatch(/^run\.bin record seq 2 at byte \d+: unknown type "core\.dma\.completed"$/);
  });
});
