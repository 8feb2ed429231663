/** Plain-text renderings for the uapi commands (JSON output needs none). */
import type { LayoutReportEntry } from '../../core/uapi/layout-report.js';
import type { CheckResult } from './check-run.js';
import type { CompatCase } from './compat-cases.js';

/** Left-aligned columns separated by two spaces; numbers right-aligned. */
export function table(head: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const cells = [head, ...rows.map((r) => r.map(String))];
  const width = head.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  const numeric = head.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === 'number'));
  return cells
    .map((r) =>
      r
        .map((c, i) => (numeric[i] ? c.padStart(width[i]) : c.padEnd(width[i])))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function renderLayouts(report: Record<string, LayoutReportEntry>): string {
  return Object.entries(report)
    .map(([name, e]) => {
      const rows = e.fields.map((f) => [f.offset, f.size, f.name, f.type] as const);
      return `struct ${name}  (${e.size} bytes, align ${e.align})\n${indent(table(['offset', 'size', 'field', 'type'], rows))}`;
    })
    .join('\n\n')
    .concat('\n');
}

function indent(s: string): string {
  return s
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
}

/** "a.b.c = value" lines for a decoded struct's JSON form. */
function flatLines(v: unknown, prefix = ''): string[] {
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
    return Object.entries(v).flatMap(([k, x]) => flatLines(x, prefix ? `${prefix}.${k}` : k));
  }
  return [`${prefix} = ${Array.isArray(v) ? `[${v.join(', ')}]` : String(v)}`];
}

export function renderCheck(r: CheckResult): string {
  const head = `${r.op} on ${r.kernel} (${r.readable} bytes readable): ${r.ok ? 'ok' : `${r.errno} (${r.errnoNumber}): ${r.detail}`}`;
  const lines = [head, `copied ${r.copied} bytes from user memory`];
  if (r.pasid !== undefined)
    lines.push(`pasid passed to the vendor: ${r.pasid === null ? '(none)' : r.pasid}`);
  if (r.decoded) {
    lines.push(`kernel copy of struct ${r.struct} (bytes not copied are zero):`);
    lines.push(...flatLines(r.decoded).map((l) => `  ${l}`));
  } else {
    lines.push('nothing decoded: the first copy faulted');
  }
  return `${lines.join('\n')}\n`;
}

export function renderDemo(cases: readonly CompatCase[]): string {
  const out: string[] = [];
  for (const n of [1, 2, 3, 4] as const) {
    const group = cases.filter((c) => c.case === n);
    if (group.length === 0) continue;
    out.push(`Case ${n}: ${group[0].situation}`);
    const rows = group.map((c) => [
      c.scenario,
      c.call,
      c.kernel,
      c.argsz,
      c.readable,
      c.ok ? `ok, ${c.copied} bytes copied` : `${c.errno}: ${c.detail}`,
    ]);
    out.push(
      indent(table(['what the user does', 'call', 'kernel', 'argsz', 'readable', 'result'], rows)),
      '',
    );
  }
  out.push(
    "Bind rows use a stand-in vendor applying VT-d's first bind checks (format 1, argsz >= 72, vendor flags < LAST).",
  );
  return `${out.join('\n')}\n`;
}
