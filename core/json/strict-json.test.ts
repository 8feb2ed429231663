import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JsonInputError, parseStrictJson } from './strict-json.js';

const FILE = 'dir/x.scenario.json';

function problem(text: string, limits?: Parameters<typeof parseStrictJson>[2]): string {
  try {
    parseStrictJson(text, FILE, limits);
  } catch (e) {
    expect(e).toBeInstanceOf(JsonInputError);
    expect((e as JsonInputError).code).toBe('VIOMMU_ERR_INPUT');
    return (e as Error).message;
  }
  throw new Error(`accepted: ${text.slice(0, 80)}`);
}

describe('parseStrictJson', () => {
  it('gives what JSON.parse gives for any JSON value, compact or indented', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), fc.boolean(), (v, pretty) => {
        const text = JSON.stringify(v, null, pretty ? 2 : undefined);
        expect(parseStrictJson(text, FILE)).toStrictEqual(JSON.parse(text));
      }),
    );
  });

  it('refuses whatever JSON.parse refuses, and accepts nothing it would read differently', () => {
    const jsonish = fc
      .array(
        fc.constantFrom(
          '{',
          '}',
          '[',
          ']',
          ',',
          ':',
          '"a"',
          '"b"',
          '1',
          '-0.5e3',
          'true',
          'null',
          ' ',
          '\n',
          '/',
          '*',
          "'",
        ),
        { maxLength: 30 },
      )
      .map((parts) => parts.join(''));
    fc.assert(
      fc.property(fc.oneof(jsonish, fc.string()), (text) => {
        let want: unknown;
        try {
          want = JSON.parse(text);
        } catch {
          expect(() => parseStrictJson(text, FILE)).toThrow(JsonInputError);
          return;
        }
        let got: unknown;
        try {
          got = parseStrictJson(text, FILE);
        } catch (e) {
          // Refusing more than JSON.parse is allowed only for duplicate keys.
          expect((e as Error).message).toContain('duplicate key');
          return;
        }
        expect(got).toStrictEqual(want);
      }),
      { numRuns: 2000 },
    );
  });

  it('names the line and column of a syntax error', () => {
    expect(problem('{\n  "a": 1,,\n  "b": 2\n}')).toBe(
      'dir/x.scenario.json line 2 column 10: not valid JSON: expected a "quoted" property name (no trailing commas) (after a)',
    );
    expect(problem('{"a": [1, 2,]}')).toMatch(
      /^dir\/x\.scenario\.json line 1 column 13: not valid JSON: expected a value \(no trailing commas\) \(after a\[2\]\)$/,
    );
    expect(problem('{"a": 1} // note')).toMatch(/line 1 column 10: not valid JSON: comments are not JSON/);
    expect(problem('')).toMatch(/line 1 column 1: not valid JSON/);
  });

  it('refuses a byte-order mark', () => {
    expect(problem('\ufeff{"a": 1}')).toBe(
      'dir/x.scenario.json line 1 column 1: starts with a byte-order mark (U+FEFF): save the file as UTF-8 without BOM',
    );
  });

  it('refuses a duplicate key with its path, however deep', () => {
    expect(problem('{"steps": [{"type": "a"}, {"type": "b",\n "data": {"x": 1, "x": 2}}]}')).toBe(
      'dir/x.scenario.json line 2 column 19: steps[1].data.x: duplicate key "x" (JSON.parse would silently keep the last one)',
    );
    // Equal keys in different objects are fine; so are keys that name Object.prototype members.
    expect(parseStrictJson('[{"x": 1}, {"x": 2}, {"constructor": 3, "__proto__": 4}]', FILE)).toStrictEqual(
      JSON.parse('[{"x": 1}, {"x": 2}, {"constructor": 3, "__proto__": 4}]'),
    );
  });

  it('stops at the depth limit instead of overflowing the stack, even a million levels deep', () => {
    const deep = `{"description": ${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}}`;
    expect(problem(deep)).toBe(
      `dir/x.scenario.json line 1 column 80: description${'[0]'.repeat(63)}: nested deeper than 64 levels`,
    );
    expect(problem('[[[1]]]', { maxDepth: 2, maxChars: 100 })).toBe(
      'dir/x.scenario.json line 1 column 3: [0][0]: nested deeper than 2 levels',
    );
    expect(parseStrictJson('[[1]]', FILE, { maxDepth: 2, maxChars: 100 })).toEqual([[1]]);
  });

  it('refuses a text past the size limit before parsing it', () => {
    expect(problem('[1, 2, 3]', { maxDepth: 8, maxChars: 8 })).toBe(
      'dir/x.scenario.json line 1 column 1: larger than the limit of 8 characters (9)',
    );
  });
});
