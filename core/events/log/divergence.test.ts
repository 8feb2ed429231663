import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { payloadValue, recordsArb, viaJson } from './arbitraries.test-support.js';
import { BinaryLogReader } from './binary-reader.js';
import { encodeBinary } from './binary-writer.js';
import { firstBinaryDivergence, firstDivergence } from './divergence.js';
import type { LogRecord } from './records.js';
import { SAMPLE_HEADER, sampleDmaRun } from './sample-run.js';

/** One record changed in one field, keeping the log valid where the field allows. */
function alter(r: LogRecord, how: number, value: unknown): { record: LogRecord; field: string } {
  switch (how % 4) {
    case 0:
      return { record: { ...r, type: `${r.type}.x` }, field: 'type' };
    case 1:
      return { record: { ...r, v: r.v + 1 }, field: 'v' };
    case 2:
      return { record: { ...r, data: { ...r.data, zzExtra: value as never } }, field: 'data.zzExtra' };
    default: {
      const keys = Object.keys(r.data);
      if (keys.length === 0) return { record: { ...r, data: { k: 1 } }, field: 'data.k' };
      const k = keys[how % keys.length];
      const old = r.data[k];
      const changed = JSON.stringify(old) === JSON.stringify(value) ? [old] : value;
      return { record: { ...r, data: { ...r.data, [k]: changed as never } }, field: `data.${k}` };
    }
  }
}

describe('firstDivergence', () => {
  it('reports an altered record at its seq, with the differing field and the command that caused it', () => {
    fc.assert(
      fc.property(
        recordsArb.filter((rs) => rs.length > 0),
        fc.nat(),
        fc.nat(),
        payloadValue,
        (records, which, how, value) => {
          const i = which % records.length;
          const { record, field } = alter(records[i], how, viaJson(value));
          const actual = records.slice();
          actual[i] = record;
          const d = firstDivergence(records, actual);
          expect(d?.seq).toBe(i + 1);
          expect(d?.expected).toBe(records[i]);
          expect(d?.actual).toBe(record);
          const r = records[i];
          expect(d?.cause).toBe(r.kind === 'event' ? records[r.cause - 1] : null);
          if (field.startsWith('data.')) expect(d?.field?.startsWith(field)).toBe(true);
          else expect(d?.field).toBe(field);
          // Arrays take a path of their own; plain iterators must get the very same answer.
          expect(firstDivergence(records.values(), actual.values())).toEqual(d);
          // The same divergence through binary logs, and the byte-level comparison agrees on where.
          const eb = encodeBinary(SAMPLE_HEADER, records);
          const ab = encodeBinary(SAMPLE_HEADER, actual);
          expect(firstBinaryDivergence(eb, ab)?.seq).toBe(i + 1);
          expect(firstDivergence(new BinaryLogReader(eb, 'e'), new BinaryLogReader(ab, 'a'))?.field).toBe(
            d?.field,
          );
          // Against a binary reader, equal records are compared encoded: the same divergence.
          expect(firstDivergence(records, new BinaryLogReader(ab, 'a'))).toEqual(d);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('returns null for equal logs, and notices payload key order', () => {
    const records = sampleDmaRun(20);
    expect(firstDivergence(records, viaJson(records))).toBeNull();
    const e = encodeBinary(SAMPLE_HEADER, records);
    expect(
      firstBinaryDivergence(e, encodeBinary({ ...SAMPLE_HEADER, scenario: 'other' }, records)),
    ).toBeNull();
    const reordered = records.slice();
    const { device, ...rest } = records[5].data;
    reordered[5] = { ...records[5], data: { ...rest, device } };
    expect(firstDivergence(records, reordered)).toMatchObject({ seq: 6, field: 'data.device' });
    expect(firstBinaryDivergence(e, encodeBinary(SAMPLE_HEADER, reordered))?.seq).toBe(6);
  });

  it('reports a log that ends early or runs on, with the other side null', () => {
    const records = sampleDmaRun(5);
    const short = records.slice(0, 7);
    expect(firstDivergence(records, short)).toEqual({
      seq: 8,
      expected: records[7],
      actual: null,
      cause: records[6],
    });
    expect(firstDivergence(short, records)).toEqual({
      seq: 8,
      expected: null,
      actual: records[7],
      cause: records[6],
    });
    const d = firstBinaryDivergence(encodeBinary(SAMPLE_HEADER, records), encodeBinary(SAMPLE_HEADER, short));
    expect(d?.seq).toBe(8);
    expect(d?.expectedOffset).toBeLessThan(encodeBinary(SAMPLE_HEADER, records).length - 16);
  });

  it('names the command of an event whose cause is not the last command', () => {
    const records: LogRecord[] = [
      { kind: 'command', seq: 1, t: 0, type: 'outer', v: 1, data: {} },
      { kind: 'command', seq: 2, t: 0, type: 'inner', v: 1, data: {} },
      { kind: 'event', seq: 3, t: 0, type: 'inner.done', v: 1, cause: 2, data: {} },
      { kind: 'event', seq: 4, t: 0, type: 'outer.done', v: 1, cause: 1, data: { ok: true } },
    ];
    const actual = records.slice();
    actual[3] = { ...records[3], data: { ok: false } } as LogRecord;
    expect(firstDivergence(records, actual)).toMatchObject({ seq: 4, field: 'data.ok', cause: records[0] });
  });
});
