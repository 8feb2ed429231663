/**
 * Seals for JSON Lines logs. Every line ends in `,"sum":"xxxxxxxx"}`: eight
 * hex digits of a checksum over the line without that field, chained to the
 * previous line's sum. A changed line fails its own check; a removed, repeated
 * or moved line fails the check of the line after it (its predecessor is not
 * the one it was sealed after). The last line of a closed log is an end line,
 * `{"kind":"end","records":N,"sum":...}`, so a log cut between two lines is
 * told from a complete one, as the binary end marker does.
 *
 * The sum is FNV-1a over 32-bit words (two UTF-16 code units per word, as
 * checksum.ts does for bytes): each step is a bijection of the word for a
 * fixed state, so one changed character always changes the sum.
 */

const FNV_PRIME = 0x01000193;
/** The chain's start: the header line is sealed after this value. */
export const SEAL_START = 0x811c9dc5;

/** `,"sum":"` + 8 hex digits + `"}`. */
export const SEAL_SUFFIX_CHARS = 18;
const SUFFIX_HEAD = ',"sum":"';

/** Sum of line[0, end) chained after `prev`. */
export function lineSum(prev: number, line: string, end: number): number {
  let h = Math.imul(prev ^ end, FNV_PRIME);
  let i = 0;
  for (const whole = end - (end & 1); i < whole; i += 2)
    h = Math.imul(h ^ (line.charCodeAt(i) | (line.charCodeAt(i + 1) << 16)), FNV_PRIME);
  if (i < end) h = Math.imul(h ^ line.charCodeAt(i), FNV_PRIME);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  return h >>> 0;
}

const HEX = '0123456789abcdef';

function hex8(v: number): string {
  let s = '';
  for (let shift = 28; shift >= 0; shift -= 4) s += HEX[(v >>> shift) & 15];
  return s;
}

/**
 * `body` (one JSON object, without its closing brace) sealed after `prev`: the line to write
 * and its sum, which seals the next line.
 */
export function sealLine(prev: number, body: string): { line: string; sum: number } {
  const sum = lineSum(prev, body, body.length);
  return { line: `${body}${SUFFIX_HEAD}${hex8(sum)}"}`, sum };
}

/**
 * The stored sum of a sealed line, or -1 when the line does not end in a seal field.
 * The body is line[0, line.length - SEAL_SUFFIX_CHARS).
 */
export function storedLineSum(line: string): number {
  const n = line.length;
  if (n < SEAL_SUFFIX_CHARS + 2 || line.charCodeAt(n - 1) !== 0x7d || line.charCodeAt(n - 2) !== 0x22)
    return -1;
  if (!line.startsWith(SUFFIX_HEAD, n - SEAL_SUFFIX_CHARS)) return -1;
  let v = 0;
  for (let i = n - 10; i < n - 2; i++) {
    const c = line.charCodeAt(i);
    const d = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : -1;
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

/** The end line body of a log whose last record is `lastSeq`. */
export function endLineBody(lastSeq: number): string {
  return `{"kind":"end","records":${lastSeq}`;
}

/** Whether a line's body (seal removed) is an end line, and its record count (else -1). */
export function endLineRecords(body: string): number {
  if (!body.startsWith('{"kind":"end","records":')) return -1;
  const digits = body.slice(24);
  return /^(0|[1-9]\d{0,15})$/.test(digits) ? Number(digits) : -1;
}

/**
 * JSON Lines text with every line re-sealed as it stands (its old seal and end line dropped, a
 * new end line counting the lines after the header). Textual: the lines are not read as records,
 * so damaged content stays damaged. For tests and tools that edit logs on purpose; the
 * `viommu log reseal` command reads the records first (reseal.ts).
 */
export function resealText(text: string): string {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const bodies: string[] = [];
  for (const line of lines) {
    const body = storedLineSum(line) >= 0 ? line.slice(0, -SEAL_SUFFIX_CHARS) : line.replace(/\}$/, '');
    if (endLineRecords(body) < 0) bodies.push(body);
  }
  bodies.push(endLineBody(Math.max(0, bodies.length - 1)));
  let prev = SEAL_START;
  const out: string[] = [];
  for (const body of bodies) {
    if (body === '') {
      out.push(body);
      continue;
    }
    const { line, sum } = sealLine(prev, body);
    out.push(line);
    prev = sum;
  }
  return `${out.join('\n')}\n`;
}
