/**
 * The naive JSON Lines reader of perf-notes §5 (578 ns/record there): decode, split at each
 * newline, JSON.parse every record line, no checks. The log and replay benches scale their
 * targets by it. Returns the sum of the seqs, so the parse cannot be optimised away.
 */
export function naiveJsonlParse(bytes: Uint8Array): number {
  const text = new TextDecoder().decode(bytes);
  let n = 0;
  let start = text.indexOf('\n') + 1;
  for (let nl = text.indexOf('\n', start); nl >= 0; nl = text.indexOf('\n', start)) {
    n += JSON.parse(text.slice(start, nl)).seq;
    start = nl + 1;
  }
  return n;
}
