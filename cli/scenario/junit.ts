/**
 * JUnit XML for CI: one testsuite per plugin, one testcase per scenario run. `time` is wall-clock
 * seconds, as vitest and playwright write it (what CI dashboards chart: where the minutes went;
 * simulated time is in each run's log), and `file` the scenario file, so CI links a failure to it.
 */

export interface JunitCase {
  readonly suite: string;
  readonly name: string;
  /** The scenario file, relative to the working directory. */
  readonly file: string;
  /** Wall-clock seconds. */
  readonly seconds: number;
  readonly status: 'passed' | 'failed' | 'skipped' | 'error';
  readonly message?: string;
  readonly details?: string;
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function junitXml(cases: readonly JunitCase[]): string {
  const suites = new Map<string, JunitCase[]>();
  for (const c of cases) {
    let list = suites.get(c.suite);
    if (!list) {
      list = [];
      suites.set(c.suite, list);
    }
    list.push(c);
  }
  const count = (list: readonly JunitCase[], s: JunitCase['status']): number =>
    list.filter((c) => c.status === s).length;
  const time = (list: readonly JunitCase[]): string => list.reduce((t, c) => t + c.seconds, 0).toFixed(3);
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="viommu" tests="${cases.length}" failures="${count(cases, 'failed')}" errors="${count(cases, 'error')}" skipped="${count(cases, 'skipped')}" time="${time(cases)}">`,
  ];
  for (const [suite, list] of suites) {
    out.push(
      `  <testsuite name="${esc(suite)}" tests="${list.length}" failures="${count(list, 'failed')}" errors="${count(list, 'error')}" skipped="${count(list, 'skipped')}" time="${time(list)}">`,
    );
    for (const c of list) {
      const open = `    <testcase classname="${esc(suite)}" name="${esc(c.name)}" file="${esc(c.file)}" time="${c.seconds.toFixed(3)}"`;
      if (c.status === 'passed') {
        out.push(`${open}/>`);
        continue;
      }
      const tag = c.status === 'failed' ? 'failure' : c.status === 'error' ? 'error' : 'skipped';
      out.push(`${open}>`);
      out.push(`      <${tag} message="${esc(c.message ?? '')}">${esc(c.details ?? '')}</${tag}>`);
      out.push('    </testcase>');
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>', '');
  return out.join('\n');
}
