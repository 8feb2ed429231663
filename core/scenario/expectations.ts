/** Checking a command's result and events, and a run's counters, against a scenario's expectations. */
import type { CacheCounters } from '../cache/stats.js';
import type { EventRecord } from '../events/log/records.js';
import type { JsonValue, UnitStats } from '../plugin/contract.js';
import type { UapiResult } from '../uapi/errno.js';
import type { Bound, RunExpectation, StepExpectation } from './types.js';

/** True when every key of `want` is in `got` with a matching value (arrays: same length, element-wise). */
export function partialMatch(want: JsonValue | undefined, got: JsonValue | undefined): boolean {
  if (want === undefined) return true;
  if (want === null || typeof want !== 'object') return want === got;
  if (Array.isArray(want)) {
    return Array.isArray(got) && got.length === want.length && want.every((w, i) => partialMatch(w, got[i]));
  }
  if (got === null || typeof got !== 'object' || Array.isArray(got)) return false;
  const g = got as { readonly [k: string]: JsonValue };
  return Object.entries(want).every(([k, w]) => partialMatch(w, g[k]));
}

/**
 * Keys whose numbers are an architecture's own codes (a DMA result's `code`, VT-d's fault
 * `reason`, SMMUv3/AMD-Vi event `code`): the specs write them in hex, so messages do too.
 */
const ARCH_CODE_KEYS: ReadonlySet<string> = new Set(['code', 'reason']);

/** A JSON.stringify replacer writing architectural codes in hex (messages, inspect and divergence text). */
export function hexCodes(key: string, v: unknown): unknown {
  return ARCH_CODE_KEYS.has(key) && typeof v === 'number' && Number.isInteger(v) && v >= 0
    ? `0x${v.toString(16)}`
    : v;
}

/** A value as a failure message shows it: JSON, architectural codes in hex, cut at 200 characters. */
export const show = (v: unknown): string => {
  const s = JSON.stringify(v, hexCodes);
  return s === undefined ? 'undefined' : s.length > 200 ? `${s.slice(0, 197)}...` : s;
};

/** Problems with one command's outcome; empty when it meets `e`. */
export function checkStep(
  e: StepExpectation | undefined,
  result: UapiResult<JsonValue>,
  events: readonly EventRecord[],
): string[] {
  const out: string[] = [];
  // A plugin's exception is not an outcome: whatever `e` says, it does not hold.
  const crashed = events.find((r) => r.type === 'core.plugin.failed');
  if (crashed) return [`plugin error: ${show(crashed.data)}`];
  const failed = events.find((r) => r.type === 'core.command.failed');
  if (!e) {
    if (failed) out.push(`command threw: ${show(failed.data)}`);
    return out;
  }
  const wantOk = e.errno !== undefined ? false : e.ok;
  if (wantOk !== undefined && result.ok !== wantOk) {
    out.push(
      result.ok
        ? `expected failure${e.errno ? ` with ${e.errno}` : ''}, got success ${show(result.value)}`
        : `expected success, got ${result.errno}: ${result.detail}`,
    );
  } else if (e.errno !== undefined && !result.ok && result.errno !== e.errno) {
    out.push(`expected errno ${e.errno}, got ${result.errno}: ${result.detail}`);
  }
  if (e.value !== undefined) {
    const got = result.ok ? result.value : undefined;
    if (!partialMatch(e.value, got))
      out.push(
        result.ok
          ? `expected value matching ${show(e.value)}, got ${show(got)}`
          : `expected value matching ${show(e.value)}, but the command failed: ${result.errno}: ${result.detail}`,
      );
  }
  let from = 0;
  for (const want of e.events ?? []) {
    let i = from;
    while (i < events.length && !(events[i].type === want.type && partialMatch(want.data, events[i].data)))
      i++;
    if (i === events.length) {
      const sameType = events.filter((r) => r.type === want.type).map((r) => r.data);
      out.push(
        `expected event ${want.type}${want.data ? ` matching ${show(want.data)}` : ''} (in order), ` +
          (sameType.length
            ? `got ${show(sameType)}`
            : `caused: ${events.map((r) => r.type).join(', ') || 'none'}`),
      );
      break;
    }
    from = i + 1;
  }
  for (const t of e.noEvents ?? []) {
    const n = events.filter((r) => r.type === t).length;
    if (n > 0) out.push(`expected no ${t} event, got ${n}`);
  }
  return out;
}

export function inBound(b: Bound, v: number): boolean {
  if (typeof b === 'number') return v === b;
  return (b.min === undefined || v >= b.min) && (b.max === undefined || v <= b.max);
}

function showBound(b: Bound): string {
  if (typeof b === 'number') return `= ${b}`;
  return [b.min !== undefined ? `>= ${b.min}` : '', b.max !== undefined ? `<= ${b.max}` : '']
    .filter(Boolean)
    .join(' and ');
}

/** The translation cache a report calls "the IOTLB": the first cache named like one, else all caches summed. */
export function iotlbCounters(stats: UnitStats): { hits: number; lookups: number } {
  const names = Object.keys(stats.caches);
  const tlb =
    names.find((n) => /^(io)?tlb$/i.test(n)) ?? names.find((n) => /tlb/i.test(n) && !/dev/i.test(n));
  const pick: CacheCounters[] = tlb ? [stats.caches[tlb]] : names.map((n) => stats.caches[n]);
  let hits = 0;
  let lookups = 0;
  for (const c of pick) {
    hits += c.hits;
    lookups += c.lookups;
  }
  return { hits, lookups };
}

/** Problems with a finished run's counters; empty when it meets `e`. */
export function checkRun(
  e: RunExpectation | undefined,
  stats: UnitStats,
  counts: ReadonlyMap<string, number>,
): string[] {
  const out: string[] = [];
  if (!e) return out;
  const s = e.stats ?? {};
  const tlb = iotlbCounters(stats);
  const values: { [k: string]: number } = {
    translations: stats.translations,
    faults: stats.faults,
    memReads: stats.memReads,
    hitRate: tlb.lookups === 0 ? 0 : tlb.hits / tlb.lookups,
  };
  for (const [k, b] of Object.entries(s) as [string, Bound][]) {
    if (!inBound(b, values[k])) out.push(`expect.stats.${k}: expected ${showBound(b)}, got ${values[k]}`);
  }
  for (const [type, b] of Object.entries(e.counts ?? {})) {
    const n = counts.get(type) ?? 0;
    if (!inBound(b, n)) out.push(`expect.counts.${type}: expected ${showBound(b)}, got ${n}`);
  }
  return out;
}
