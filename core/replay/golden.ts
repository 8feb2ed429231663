/**
 * Golden logs: a run's JSON Lines log kept beside its scenario. A run matches
 * its golden when the bytes are identical after the header's volatile fields
 * (simulator and plugin versions) are blanked on both sides. On a mismatch the
 * golden is decoded and the first divergent record is reported.
 */
import { type Divergence, firstDivergence } from '../events/log/divergence.js';
import { readJsonl } from '../events/log/jsonl-reader.js';
import type { LogHeader, LogRecord } from '../events/log/records.js';
import { encodeLog, stableHeader } from './log-io.js';

export interface GoldenComparison {
  readonly ok: boolean;
  /** The first differing record, when the records differ. */
  readonly divergence: Divergence | null;
  /** Set when only the (stable part of the) header differs. */
  readonly headerProblem: string | null;
}

/** The golden form of a run: JSON Lines with volatile header fields blanked. */
export function goldenBytes(header: LogHeader, records: readonly LogRecord[]): Uint8Array {
  return encodeLog(stableHeader(header), records, 'jsonl');
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Compares a run with a golden file's bytes. Throws a LogError when the golden is unreadable. */
export function compareWithGolden(
  header: LogHeader,
  records: readonly LogRecord[],
  golden: Uint8Array,
  goldenFile: string,
): GoldenComparison {
  const golden2 = readJsonl(golden, goldenFile);
  const canonicalGolden = encodeLog(stableHeader(golden2.header), golden2.records, 'jsonl');
  const mine = goldenBytes(header, records);
  if (sameBytes(mine, canonicalGolden) && sameBytes(canonicalGolden, golden)) {
    return { ok: true, divergence: null, headerProblem: null };
  }
  const divergence = firstDivergence(golden2.records, records);
  if (divergence) return { ok: false, divergence, headerProblem: null };
  const a = JSON.stringify(stableHeader(golden2.header));
  const b = JSON.stringify(stableHeader(header));
  return {
    ok: false,
    divergence: null,
    headerProblem:
      a !== b
        ? `header differs: golden ${a.slice(0, 300)}, run ${b.slice(0, 300)}`
        : `${goldenFile} is not in canonical form (rewrite it with --update)`,
  };
}
