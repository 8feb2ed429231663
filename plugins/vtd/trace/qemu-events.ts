/**
 * The QEMU `intel-iommu` trace events the importer reads, and how their text
 * is laid out (QEMU `hw/i386/trace-events`, 7.2 to 10.x). Each event's
 * arguments are its format string: words, then `name 0x%x` fields. The
 * readers below find a field by its name, so extra fields that later
 * releases add (a `pasid`) and renamed ones (`slpte` → `pte`) read the same.
 *
 * A line of the `log` backend is `[ISO-TIME ]TID@SECONDS.MICROSECONDS:event args`
 * with `-msg timestamp=on`, or `event args` without it.
 */

/** Events whose lines the importer turns into steps or checks; every other line is counted as unused. */
export const USED_EVENTS = [
  'vtd_iotlb_page_hit',
  'vtd_iotlb_page_update',
  'vtd_dmar_translate',
  'vtd_dmar_fault',
  'vtd_iotlb_cc_hit',
  'vtd_iotlb_cc_update',
  'vtd_iotlb_reset',
  'vtd_context_cache_reset',
  'vtd_inv_desc',
  'vtd_inv_qi_tail',
  'vtd_inv_desc_iotlb_pages',
  'vtd_inv_desc_iotlb_domain',
  'vtd_inv_desc_iotlb_global',
  'vtd_inv_desc_iotlb_pasid_pages',
  'vtd_inv_desc_iotlb_pasid',
  'vtd_inv_desc_cc_global',
  'vtd_inv_desc_cc_domain',
  'vtd_inv_desc_cc_devices',
  'vtd_inv_desc_cc_device',
  'vtd_inv_desc_wait_sw',
  'vtd_reg_dmar_root',
  'vtd_dmar_enable',
  'vtd_reg_write',
] as const;
export type UsedEvent = (typeof USED_EVENTS)[number];

/** Where a line's event name and arguments start, or null when the line is not a trace event. */
export interface LineParts {
  /** Index of the event name. */
  nameStart: number;
  nameEnd: number;
  /** Index of the first argument character (after the space), or the line length. */
  argsStart: number;
  /** Index of `TID@` (the time follows the `@`), -1 without timestamps. */
  timeAt: number;
}

/** Splits a line into its parts (no allocation but the result object, which callers reuse). */
export function splitLine(line: string, out: LineParts): boolean {
  let p = 0;
  // An ISO 8601 prefix ("2025-01-02T03:04:05.678901Z ") that newer QEMUs put before log lines.
  if (line.length > 20 && line.charCodeAt(4) === 45 && line.charCodeAt(10) === 84) {
    const sp = line.indexOf(' ');
    if (sp < 0) return false;
    p = sp + 1;
  }
  let timeAt = -1;
  const first = line.charCodeAt(p);
  if (first >= 48 && first <= 57) {
    // "TID@SECONDS.MICROSECONDS:"
    const at = line.indexOf('@', p);
    const colon = line.indexOf(':', p);
    if (at < 0 || colon < at) return false;
    timeAt = at;
    p = colon + 1;
  }
  if (line.charCodeAt(p) !== 118 /* v */ || !line.startsWith('vtd_', p)) {
    out.nameStart = p;
    out.nameEnd = p;
    out.argsStart = p;
    out.timeAt = timeAt;
    return false;
  }
  let e = line.indexOf(' ', p);
  if (e < 0) e = line.length;
  out.nameStart = p;
  out.nameEnd = e;
  out.argsStart = Math.min(e + 1, line.length);
  out.timeAt = timeAt;
  return true;
}

/** Seconds of a `TID@SECONDS.MICROSECONDS:` prefix, NaN without one. */
export function lineTime(line: string, timeAt: number): number {
  if (timeAt < 0) return Number.NaN;
  return Number.parseFloat(line.slice(timeAt + 1, line.indexOf(':', timeAt)));
}

/**
 * A hex number below 2^52 exactly: longer values keep their low 52 bits (the fields read here are
 * addresses and PTEs, whose high bits the importer does not use). NaN when malformed.
 */
export function parseHex52(s: string): number {
  const t = s.length > 13 ? s.slice(s.length - 13) : s;
  if (t.length === 0) return Number.NaN;
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i) | 0x20;
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return Number.NaN;
  }
  return Number.parseInt(t, 16);
}

/** The text of field `key` ("sid", "iova"...) after `from`: the token after `key `, without `0x`. */
export function fieldText(line: string, key: string, from: number): string | undefined {
  let i = line.indexOf(needle(key), from - 1);
  if (i < 0) return undefined;
  i += key.length + 2;
  let e = line.indexOf(' ', i);
  if (e < 0) e = line.length;
  return line.charCodeAt(i) === 48 && (line.charCodeAt(i + 1) | 0x20) === 120
    ? line.slice(i + 2, e)
    : line.slice(i, e);
}

const NEEDLES = new Map<string, string>();

/** ` key ` (cached: the readers run once per field per line). */
function needle(key: string): string {
  let n = NEEDLES.get(key);
  if (n === undefined) {
    n = ` ${key} `;
    NEEDLES.set(key, n);
  }
  return n;
}

/** The value of a hex digit's char code, -1 for any other character. */
function hexDigit(c: number): number {
  const l = c | 0x20;
  return c >= 48 && c <= 57 ? c - 48 : l >= 97 && l <= 102 ? l - 87 : -1;
}

/**
 * A hex field (`key 0x...`) as a number (low 52 bits), NaN when absent or malformed. Reads the
 * digits in place: no substring per field.
 */
export function hexField(line: string, key: string, from: number): number {
  let i = line.indexOf(needle(key), from - 1);
  if (i < 0) return Number.NaN;
  i += key.length + 2;
  if (line.charCodeAt(i) === 48 && (line.charCodeAt(i + 1) | 0x20) === 120) i += 2;
  // One pass; v keeps the low 52 bits (v % 2^48 is exact, so v * 16 + d stays below 2^52).
  let v = 0;
  let e = i;
  for (; e < line.length; e++) {
    const c = line.charCodeAt(e);
    if (c === 32) break;
    const d = hexDigit(c);
    if (d < 0) return Number.NaN;
    v = (v % 281474976710656) * 16 + d;
  }
  return e === i ? Number.NaN : v;
}

/**
 * A hex field (`key 0x...`, 1 to 16 digits) as a 64-bit word; null when absent, malformed or
 * longer. One substring (the digits with their `0x`) for BigInt to read.
 */
export function hexWord(line: string, key: string, from: number): bigint | null {
  let i = line.indexOf(needle(key), from - 1);
  if (i < 0) return null;
  i += key.length + 2;
  if (line.charCodeAt(i) !== 48 || (line.charCodeAt(i + 1) | 0x20) !== 120) return null;
  let e = i + 2;
  while (e < line.length && line.charCodeAt(e) !== 32) {
    if (hexDigit(line.charCodeAt(e)) < 0) return null;
    e++;
  }
  if (e === i + 2 || e - i - 2 > 16) return null;
  return BigInt(line.slice(i, e));
}

/** A decimal field (`key 1`), NaN when absent or malformed. */
export function decField(line: string, key: string, from: number): number {
  const t = fieldText(line, key, from);
  return t === undefined || !/^\d+$/.test(t) ? Number.NaN : Number(t);
}

/** `BB:DD.FF` (vtd_dmar_translate's device) as a source-id, NaN when malformed. Read in place. */
export function bdfField(line: string, from: number): number {
  let i = line.indexOf(' dev ', from - 1);
  if (i < 0) return Number.NaN;
  i += 5;
  // BB ':' DD '.' F or FF, then a space or the end.
  const b1 = hexDigit(line.charCodeAt(i));
  const b0 = hexDigit(line.charCodeAt(i + 1));
  const d1 = hexDigit(line.charCodeAt(i + 3));
  const d0 = hexDigit(line.charCodeAt(i + 4));
  if (line.charCodeAt(i + 2) !== 58 || line.charCodeAt(i + 5) !== 46) return Number.NaN;
  if (b1 < 0 || b0 < 0 || d1 < 0 || d0 < 0) return Number.NaN;
  let fn = hexDigit(line.charCodeAt(i + 6));
  let e = i + 7;
  if (fn < 0) return Number.NaN;
  const f2 = hexDigit(line.charCodeAt(e));
  if (f2 >= 0) {
    fn = fn * 16 + f2;
    e++;
  }
  if (e < line.length && line.charCodeAt(e) !== 32) return Number.NaN;
  const dev = d1 * 16 + d0;
  if (dev > 31 || fn > 7) return Number.NaN;
  return ((b1 * 16 + b0) << 8) | (dev << 3) | fn;
}

/** A source-id as QEMU and Linux print a PCI function: `BB:DD.F`. */
export function bdfName(sid: number): string {
  const h = (n: number, w: number): string => n.toString(16).padStart(w, '0');
  return `${h(sid >> 8, 2)}:${h((sid >> 3) & 31, 2)}.${(sid & 7).toString(16)}`;
}
