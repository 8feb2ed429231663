/** The Markdown and CSV forms of a sweep report (tables only; the charts are in the HTML). */
import { delta, formatDelta, formatValue, type ReportModel } from './report-model.js';

export function renderMarkdown(model: ReportModel): string {
  const r = model.results;
  const lines = [
    `# ${r.sweep.title}`,
    '',
    `Sweep \`${r.sweep.id}\` (${r.sweep.file}), ${r.cells} cells, viommu-sim ${r.simulator}. Baseline: cell ${model.baseline.cell} (\`${model.baseline.id}\`); deltas in parentheses are to it.`,
    '',
  ];
  const head = ['cell', ...model.axes, ...model.metrics];
  lines.push(
    `| ${head.join(' | ')} |`,
    `|${head.map((_, i) => (i <= model.axes.length ? ' --- ' : ' ---: ')).join('|')}|`,
  );
  for (const c of model.cells) {
    const values = model.metrics.map((m) => {
      const d = c === model.baseline ? '' : formatDelta(delta(model, c, m));
      return `${formatValue(c.metrics[m])}${d ? ` (${d})` : ''}`;
    });
    lines.push(`| ${[String(c.cell), ...model.axes.map((a) => String(c.axes[a])), ...values].join(' | ')} |`);
  }
  return `${lines.join('\n')}\n`;
}

const csvField = (s: string): string => (/[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s);

/** One row per cell: its number, axes and every metric's exact value. */
export function renderCsv(model: ReportModel): string {
  const head = ['cell', ...model.axes, ...model.metrics];
  const rows = model.cells.map((c) =>
    [
      String(c.cell),
      ...model.axes.map((a) => String(c.axes[a])),
      ...model.metrics.map((m) => (c.metrics[m] === undefined ? '' : String(c.metrics[m]))),
    ]
      .map(csvField)
      .join(','),
  );
  return `${[head.map(csvField).join(','), ...rows].join('\n')}\n`;
}
