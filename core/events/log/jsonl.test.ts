import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isViommuError } from '../../errors/viommu-error.js';
import { headerArb, recordsArb, viaJson } from './arbitraries.test-support.js';
import { LOG_ERROR_CODES } from './errors.js';
import { encodeJsonl, JsonlStreamWriter, recordLine } from './jsonl.js';
import { JsonlLogReader, readJsonl } from './jsonl-reader.js';
import { resealText } from './line-seal.js';
import type { LogRecord } from './records.js';
import { SAMPLE_HEADER, sampleDmaRun } from './sample-run.js';

const FILE = 'run.events.jsonl';

function errorOf(f: () => unknown): { code: string; message: string; location: Record<string, unknown> } {
  try {
    f();
  } catch (e) {
    if (isViommuError(e)) return e as never;
    throw e;
  }
  throw new Error('expected an error');
}

/** A valid log whose line `lineNo` (1 = header) is replaced by `line`, re-sealed. */
function withLine(lineNo: number, line: string): string {
  const lines = encodeJsonl(SAMPLE_HEADER, sampleDmaRun(5)).split('\n');
  lines[lineNo - 1] = line;
  return resealText(lines.join('\n'));
}

/** The log without its end line: what a run cut short between two lines leaves. */
function withoutEnd(text: string): string {
  return text.slice(0, text.lastIndexOf('\n', text.length - 2) + 1);
}

describe('JSON Lines encoding', () => {
  it('readJsonl(encodeJsonl(records)) gives the records back, from text and from bytes', () => {
    fc.assert(
      fc.property(headerArb, recordsArb, (header, records) => {
        const text = encodeJsonl(header, records);
        const expected = viaJson(records);
        expect(readJsonl(text, FILE).records).toEqual(expected);
        const fromBytes = readJsonl(new TextEncoder().encode(text), FILE);
        expect(fromBytes.records).toEqual(expected);
        expect(fromBytes.header).toEqual(viaJson(header));
        expect(encodeJsonl(fromBytes.header, fromBytes.records)).toBe(text);
      }),
      { numRuns: 150 },
    );
  });

  it('writes the header first, one record per line, envelope keys in declared order', () => {
    const text = encodeJsonl(SAMPLE_HEADER, sampleDmaRun(1));
    const lines = text.split('\n');
    expect(lines).toHaveLength(5); // header, command, event, end line, "" after the final newline
    expect(
      lines[0].startsWith('{"kind":"header","format":"viommu-events","formatVersion":1,"simulator":"0.1.0"'),
    ).toBe(true);
    expect(lines[1]).toMatch(
      /^\{"kind":"command","seq":1,"t":100,"type":"core\.dma\.access","v":1,"data":\{"device":"nvme0","iova":"0x0000000017b27000","access":"r"\},"sum":"[0-9a-f]{8}"\}$/,
    );
    expect(lines[3]).toMatch(/^\{"kind":"end","records":2,"sum":"[0-9a-f]{8}"\}$/);
    expect(lines[2]).toMatch(
      /^\{"kind":"event","seq":2,"t":110,"type":"core.dma.completed","v":1,"cause":1,"data":\{"device":"nvme0","pasid":-1,/,
    );
  });

  it('the stream writer hands out chunks of at least chunkBytes, never one per line', () => {
    const chunks: string[] = [];
    const w = new JsonlStreamWriter(SAMPLE_HEADER, (c) => chunks.push(c), { chunkBytes: 4096 });
    const records = sampleDmaRun(300);
    for (const r of records) w.append(r);
    w.close();
    expect(chunks.length).toBeGreaterThan(2);
    for (const c of chunks.slice(0, -1)) expect(c.length).toBeGreaterThanOrEqual(4096);
    expect(chunks.join('')).toBe(encodeJsonl(SAMPLE_HEADER, records));
  });
});

describe('readJsonl on bad input names the file, the line and the field', () => {
  it('an unknown type, when a type registry is given', () => {
    const line = recordLine({
      kind: 'command',
      seq: 3,
      t: sampleDmaRun(5)[2].t,
      type: 'vtd.iotlb.hitt',
      v: 1,
      data: {},
    });
    const e = errorOf(() =>
      readJsonl(withLine(4, line), FILE, { types: new Set(['core.dma.access', 'core.dma.completed']) }),
    );
    expect(e.code).toBe(LOG_ERROR_CODES.UNKNOWN_TYPE);
    expect(e.message).toBe('run.events.jsonl line 4: unknown type "vtd.iotlb.hitt"');
    // Without a registry the same log reads.
    expect(readJsonl(withLine(4, line), FILE).records[2].type).toBe('vtd.iotlb.hitt');
  });

  it('a newer format version', () => {
    const header = JSON.stringify({ ...SAMPLE_HEADER, formatVersion: 2 });
    const e = errorOf(() => readJsonl(withLine(1, header), FILE));
    expect(e.code).toBe(LOG_ERROR_CODES.VERSION);
    expect(e.message).toMatch(
      /^run\.events\.jsonl line 1: header: formatVersion 2 is newer than this reader \(1\)/,
    );
  });

  const malformed: [string, string, string, RegExp][] = [
    ['not JSON', '{"kind":"command",', 'CORRUPT', /line 3: not valid JSON/],
    ['an empty line', '', 'CORRUPT', /line 3: empty line/],
    [
      'a wrong kind',
      '{"kind":"cmd","seq":2,"t":1,"type":"a","v":1,"data":{}}',
      'CORRUPT',
      /line 3: field "kind": expected "command" or "event", got "cmd"/,
    ],
    [
      'a gap in seq',
      '{"kind":"command","seq":5,"t":200,"type":"a","v":1,"data":{}}',
      'CORRUPT',
      /line 3: field "seq": expected 2 \(gap-free\), got 5/,
    ],
    [
      't as a string',
      '{"kind":"command","seq":2,"t":"200","type":"a","v":1,"data":{}}',
      'CORRUPT',
      /line 3: field "t": expected a safe integer >= 100/,
    ],
    [
      'time going back',
      '{"kind":"command","seq":2,"t":99,"type":"a","v":1,"data":{}}',
      'CORRUPT',
      /line 3: field "t".*got 99/,
    ],
    [
      'a missing type',
      '{"kind":"command","seq":2,"t":200,"v":1,"data":{}}',
      'CORRUPT',
      /line 3: field "type": expected a non-empty string, got nothing/,
    ],
    [
      'a cause pointing at an event',
      '{"kind":"event","seq":2,"t":200,"type":"a","v":1,"cause":2,"data":{}}',
      'CORRUPT',
      /line 3: field "cause": expected the seq of an earlier command, got 2/,
    ],
    [
      'data as an array',
      '{"kind":"command","seq":2,"t":200,"type":"a","v":1,"data":[]}',
      'CORRUPT',
      /line 3: field "data": expected an object, got an array/,
    ],
    [
      'an overflowing number',
      '{"kind":"command","seq":2,"t":200,"type":"a","v":1,"data":{"x":{"y":1e999}}}',
      'CORRUPT',
      /line 3: field "data\.x\.y": Infinity is not a finite number/,
    ],
    [
      'a lone surrogate',
      '{"kind":"command","seq":2,"t":200,"type":"a","v":1,"data":{"s":"\\ud800"}}',
      'CORRUPT',
      /line 3: field "data\.s": string contains a lone UTF-16 surrogate/,
    ],
    [
      'an extra field',
      '{"kind":"command","seq":2,"t":200,"type":"a","v":1,"data":{},"src":"vtd0"}',
      'CORRUPT',
      /line 3: field "src": not expected in a command record/,
    ],
    [
      'a cause on a command',
      '{"kind":"command","seq":2,"t":200,"type":"a","v":1,"cause":1,"data":{}}',
      'CORRUPT',
      /line 3: field "cause": not expected/,
    ],
  ];
  for (const [what, line, code, message] of malformed) {
    it(`a malformed record line: ${what}`, () => {
      const e = errorOf(() => readJsonl(withLine(3, line), FILE));
      expect(e.code).toBe(`VIOMMU_ERR_LOG_${code}`);
      expect(e.message).toMatch(message);
      expect(e.message.startsWith('run.events.jsonl line 3: ')).toBe(true);
      expect(e.location.line).toBe(3);
    });
  }

  it('a malformed header names the header field', () => {
    const e = errorOf(() => readJsonl(withLine(1, JSON.stringify({ ...SAMPLE_HEADER, seed: '0x2a' })), FILE));
    expect(e.code).toBe(LOG_ERROR_CODES.CORRUPT);
    expect(e.message).toBe('run.events.jsonl line 1: header: seed: expected a safe integer');
  });

  it('invalid UTF-8 names its line', () => {
    const bytes = new TextEncoder().encode(
      withLine(4, '{"kind":"command","seq":3,"t":300,"type":"a","v":1,"data":{"s":"XX"}}'),
    );
    const at = bytes.lastIndexOf(0x58);
    bytes[at] = 0xff;
    const e = errorOf(() => readJsonl(bytes, FILE));
    expect(e.message).toBe('run.events.jsonl line 4: not valid UTF-8');
  });

  it('a log cut inside a line: strict names the line, lenient returns the lines before', () => {
    const records = sampleDmaRun(3);
    const text = withoutEnd(encodeJsonl(SAMPLE_HEADER, records));
    const cut = text.slice(0, text.length - 20);
    const e = errorOf(() => readJsonl(cut, FILE));
    expect(e.code).toBe(LOG_ERROR_CODES.TRUNCATED);
    expect(e.message).toMatch(/^run\.events\.jsonl line 7 at byte \d+: line is cut short/);
    const lenient = readJsonl(cut, FILE, { mode: 'lenient' });
    expect(lenient.records).toEqual(records.slice(0, 5));
    expect(lenient.truncated).toEqual({
      truncatedAt: text.lastIndexOf('\n', text.length - 2) + 1,
      lastSeq: 5,
    });
  });

  it('a last line without its newline: strict names it; lenient keeps it if it is a whole record', () => {
    const records = sampleDmaRun(3);
    const cut = withoutEnd(encodeJsonl(SAMPLE_HEADER, records)).slice(0, -1);
    const e = errorOf(() => readJsonl(cut, FILE));
    expect(e.code).toBe(LOG_ERROR_CODES.TRUNCATED);
    expect(e.message).toMatch(/^run\.events\.jsonl line 7 at byte \d+: line is cut short/);
    const bytes = new TextEncoder().encode(cut);
    for (const input of [cut, bytes]) {
      const lenient = readJsonl(input, FILE, { mode: 'lenient' });
      expect(lenient.records).toEqual(records);
      // Still cut: the writer ends every line with a newline.
      expect(lenient.truncated).toEqual({ truncatedAt: bytes.length, lastSeq: 6 });
    }
    const cursor = new JsonlLogReader(bytes, FILE, { mode: 'lenient' });
    expect([...cursor]).toEqual(records);
    expect(cursor.next()).toBeNull();
    // A whole last line that is not a valid record is damage, not a cut, in both modes.
    const damaged = withoutEnd(withLine(11, '{"kind":"event","seq":10}')).slice(0, -1);
    const d = errorOf(() => readJsonl(damaged, FILE, { mode: 'lenient' }));
    expect(d.code).toBe(LOG_ERROR_CODES.CORRUPT);
    expect(d.message).toMatch(/^run\.events\.jsonl line 11: field "t"/);
  });

  it('the cursor gives the records one at a time, then the same ending as readJsonl', () => {
    const records = sampleDmaRun(3);
    const text = encodeJsonl(SAMPLE_HEADER, records);
    const reader = new JsonlLogReader(new TextEncoder().encode(text), FILE);
    const open = withoutEnd(text);
    expect(reader.header).toEqual(viaJson(SAMPLE_HEADER));
    expect(reader.next()).toEqual(records[0]);
    expect([...reader]).toEqual(records.slice(1));
    expect(reader.next()).toBeNull();
    const cut = open.slice(0, open.length - 20);
    const strict = new JsonlLogReader(cut, FILE);
    for (let i = 0; i < 5; i++) expect(strict.next()?.seq).toBe(i + 1);
    expect(errorOf(() => strict.next()).message).toMatch(
      /^run\.events\.jsonl line 7 at byte \d+: line is cut short/,
    );
    const lenient = new JsonlLogReader(cut, FILE, { mode: 'lenient' });
    expect([...lenient]).toEqual(records.slice(0, 5));
    expect(lenient.truncated).toEqual(readJsonl(cut, FILE, { mode: 'lenient' }).truncated);
    // A damaged line is reported when the cursor reaches it, after the good records before it.
    const damaged = new JsonlLogReader(withLine(3, '{"kind":"event",'), FILE);
    expect(damaged.next()?.seq).toBe(1);
    expect(errorOf(() => damaged.next()).message).toMatch(/^run\.events\.jsonl line 3: not valid JSON/);
  });

  it('an empty file', () => {
    expect(errorOf(() => readJsonl('', FILE)).message).toBe('run.events.jsonl line 1: empty log (no header)');
  });
});

it('records() of JSON Lines and binary agree on a sample run', () => {
  const records: LogRecord[] = sampleDmaRun(20);
  expect(readJsonl(encodeJsonl(SAMPLE_HEADER, records), FILE).records).toEqual(records);
});
