/** Human-readable and JSON forms of a divergence, for the CLI and test messages. */
import type { Divergence } from '../events/log/divergence.js';
import type { LogRecord } from '../events/log/records.js';
import { hexCodes } from '../scenario/expectations.js';

function recordJson(r: LogRecord | null): string {
  if (r === null) return '(none: the log ends here)';
  // Architectural codes (a fault's reason, an event's code) in hex, as the specs write them.
  const s = JSON.stringify(r, hexCodes);
  return s.length > 400 ? `${s.slice(0, 397)}...` : s;
}

/**
 * Several lines naming the seq (and JSONL line), the field, both records and the causing command;
 * architectural codes in hex. divergenceJson keeps them numbers.
 */
export function describeDivergence(d: Divergence, expectedName = 'expected', actualName = 'actual'): string {
  const type = d.expected?.type ?? d.actual?.type ?? '?';
  const lines = [
    `first divergence at seq ${d.seq} (JSON Lines line ${d.seq + 1}), type ${type}${d.field ? `, field ${d.field}` : ''}`,
    `  ${expectedName}: ${recordJson(d.expected)}`,
    `  ${actualName}: ${recordJson(d.actual)}`,
  ];
  if (d.cause)
    lines.push(
      `  caused by command seq ${d.cause.seq}: ${d.cause.type} ${JSON.stringify(d.cause.data, hexCodes)}`,
    );
  return lines.join('\n');
}

export function divergenceJson(d: Divergence): object {
  return {
    seq: d.seq,
    type: d.expected?.type ?? d.actual?.type ?? null,
    field: d.field ?? null,
    expected: d.expected,
    actual: d.actual,
    cause: d.cause,
  };
}
