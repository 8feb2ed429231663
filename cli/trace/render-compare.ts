/** The text form of `viommu trace compare`: one row per design beside QEMU's recorded figure. */
import type { CompareReport, Disagreement } from '../../plugins/vtd/trace/compare-trace.js';

const pct = (x: number): string => `${(100 * x).toFixed(2)} %`;

function row(cells: readonly string[], widths: readonly number[]): string {
  return `${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')}\n`;
}

function cause(d: Disagreement): string {
  const c = d.cause;
  if (c === null) return 'no invalidation or eviction touched the page';
  if (c.touch === 'eviction') return `line ${c.line}: ${c.event}`;
  const what = c.addr === null ? `did ${c.did ?? '*'}` : `did ${c.did} addr ${c.addr} am ${c.am}`;
  const how =
    c.touch === 'alias-8bit'
      ? ' (QEMU 7.2 8-bit mask alias: outside the invalidated range)'
      : c.touch === 'range'
        ? ' (inside the invalidated range)'
        : ` (${c.touch})`;
  return `line ${c.line}: ${c.event} ${what}${how}`;
}

export function renderCompare(r: CompareReport): string {
  let s = `${r.trace}: ${r.lines} lines, ${r.lookups} lookups; QEMU ${r.recordedHits} IOTLB hits (${pct(r.recordedHitRate)}), ${r.recordedIotlbResets} full-IOTLB flushes\n\n`;
  const w = [14, 9, 8, 8, 11, 18, 18];
  s += row(['design', 'hit rate', 'misses', 'walks', 'reads/tr.', 'agree (hit/miss)', 'translations'], w);
  s += row(
    ['QEMU (trace)', pct(r.recordedHitRate), String(r.lookups - r.recordedHits), '-', '-', '-', '-'],
    w,
  );
  for (const d of r.designs) {
    s += row(
      [
        d.design,
        pct(d.hitRate),
        String(d.misses),
        String(d.walks),
        d.memReadsPerTranslation.toFixed(2),
        `${d.agree} (${pct(d.lookups === 0 ? 1 : d.agree / d.lookups)})`,
        `${d.translationsMatched}`,
      ],
      w,
    );
  }
  for (const d of r.designs) {
    if (d.commandErrors > 0)
      s += `\n${d.design}: ${d.commandErrors} commands refused; first: ${d.firstCommandError}\n`;
    if (d.disagreementCount === 0) continue;
    s += `\n${d.design}: ${d.disagreementCount} disagreements${d.disagreementCount > d.disagreements.length ? ` (first ${d.disagreements.length})` : ''}\n`;
    for (const x of d.disagreements) {
      const rec = x.recorded.out === null ? 'fault' : `${x.recorded.hit ? 'hit' : 'miss'} ${x.recorded.out}`;
      const sim =
        x.simulated.out === null
          ? `fault 0x${(x.simulated.fault ?? 0).toString(16)}`
          : `${x.simulated.hit ? 'hit' : 'miss'} ${x.simulated.out}`;
      s += `  line ${x.line} ${x.sid} did ${x.did} iova ${x.iova}: QEMU ${rec}, simulated ${sim}; ${cause(x)}\n`;
    }
  }
  return s;
}
