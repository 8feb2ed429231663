/**
 * `viommu run --reporter NAME` (repeatable) and `--output-file [NAME=]FILE`, as vitest spells them:
 * one run gives the human summary on the terminal and a machine file for CI. A reporter without an
 * output file writes to stdout; `--json` is `--reporter json`, `--junit FILE` is
 * `--reporter junit --output-file junit=FILE` (beside the default reporter unless another is named).
 */
import { junitXml } from './junit.js';
import type { RunEntry } from './run-scenarios.js';

export const REPORTER_NAMES = ['default', 'json', 'junit', 'dot'] as const;
export type ReporterName = (typeof REPORTER_NAMES)[number];

export interface ReporterChoice {
  readonly name: ReporterName;
  /** null: stdout. */
  readonly file: string | null;
}

export interface ReporterFlags {
  readonly reporter?: readonly string[];
  readonly outputFile?: readonly string[];
  readonly json?: boolean;
  readonly junit?: string;
}

/** A wrong --reporter / --output-file combination (usage, exit 2). */
export class ReporterUsageError extends Error {}

const isReporter = (s: string): s is ReporterName => (REPORTER_NAMES as readonly string[]).includes(s);

/** The reporters a run uses, each with where it writes (`fallback`: reporters from the config file). */
export function chooseReporters(flags: ReporterFlags, fallback: readonly string[] = []): ReporterChoice[] {
  const given = flags.reporter?.length ? flags.reporter : fallback;
  const names: ReporterName[] = [];
  for (const n of given) {
    if (!isReporter(n))
      throw new ReporterUsageError(`unknown reporter "${n}" (known: ${REPORTER_NAMES.join(', ')})`);
    if (!names.includes(n)) names.push(n);
  }
  if (flags.json && !names.includes('json')) names.push('json');
  if (names.length === 0) names.push('default');
  if (flags.junit !== undefined && !names.includes('junit')) names.push('junit');

  const files = new Map<ReporterName, string>();
  if (flags.junit !== undefined) files.set('junit', flags.junit);
  for (const spec of flags.outputFile ?? []) {
    const eq = spec.indexOf('=');
    const named = eq > 0 ? spec.slice(0, eq) : null;
    if (named !== null && isReporter(named)) {
      if (!names.includes(named))
        throw new ReporterUsageError(
          `--output-file ${spec}: reporter "${named}" is not chosen (add --reporter ${named})`,
        );
      files.set(named, spec.slice(eq + 1));
    } else if (names.length === 1) {
      files.set(names[0]!, spec);
    } else {
      throw new ReporterUsageError(
        `--output-file ${spec}: with several reporters name the one it is for (--output-file json=${spec})`,
      );
    }
  }
  const choices = names.map((name) => ({ name, file: files.get(name) ?? null }));
  const onStdout = choices.filter((c) => c.file === null);
  if (onStdout.length > 1 && onStdout.some((c) => c.name === 'json' || c.name === 'junit')) {
    throw new ReporterUsageError(
      `reporters ${onStdout.map((c) => c.name).join(' and ')} would all write to stdout; give the machine one a file (--output-file ${onStdout.find((c) => c.name !== 'default' && c.name !== 'dot')?.name}=FILE)`,
    );
  }
  return choices;
}

/** JUnit: one testsuite per plugin, one testcase per run, with its scenario file and wall seconds. */
export function junitReport(entries: readonly RunEntry[]): string {
  return junitXml(
    entries.map((e) => ({
      suite: e.plugin === '-' ? 'invalid' : e.plugin,
      name: `${e.scenario}@${e.target}`,
      file: e.file,
      seconds: e.seconds ?? 0,
      status: e.status === 'invalid' ? 'error' : e.status,
      ...(e.failures.length ? { message: e.failures[0]!, details: e.failures.join('\n') } : {}),
    })),
  );
}

/**
 * The default reporter's word for each status: a run stopped by a plugin error (or a signal) is
 * an ERROR, not a FAIL — no expectation was judged wrong, the run did not finish.
 */
export const RUN_MARK = {
  passed: 'PASS',
  failed: 'FAIL',
  invalid: 'FAIL',
  error: 'ERROR',
  skipped: 'SKIP',
} as const satisfies Record<RunEntry['status'], string>;

/** `N runs: P passed, F failed, S skipped`, with `E errors` before skipped when a run ended in an error. */
export function runCounts(entries: readonly RunEntry[]): string {
  const n = (s: RunEntry['status'][]) => entries.filter((e) => s.includes(e.status)).length;
  const errors = n(['error']);
  return `${entries.length} runs: ${n(['passed'])} passed, ${n(['failed', 'invalid'])} failed, ${errors ? `${errors} errors, ` : ''}${n(['skipped'])} skipped`;
}

/**
 * One character per run (`.` passed, `F` failed, `E` a scenario that does not load or a run ended
 * by a plugin error or a signal, `s` skipped), a line per `F` and `E` run, then the counts.
 */
export function dotReport(entries: readonly RunEntry[]): string {
  const mark = { passed: '.', failed: 'F', invalid: 'E', error: 'E', skipped: 's' } as const;
  const dots = entries.map((e) => mark[e.status]).join('');
  // 80 to a line; none when nothing ran.
  const lines: string[] = [...(dots.match(/.{1,80}/g) ?? [])];
  for (const e of entries) {
    if (e.status === 'passed' || e.status === 'skipped') continue;
    lines.push(`${mark[e.status]} ${e.scenario}@${e.target}: ${e.failures[0] ?? e.status}`);
  }
  lines.push(runCounts(entries));
  return `${lines.join('\n')}\n`;
}
