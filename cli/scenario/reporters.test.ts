/**
 * `viommu run --reporter ... --output-file ...` (one run, human output and machine files), the
 * --json and --junit shorthands, and golden logs in CI: a missing one fails, a mismatch ends with
 * the command that re-records it, and that command does.
 */
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT } from './context.js';
import { chooseReporters } from './reporters.js';
import { runCli } from './run-cli.js';

const repo = resolve(import.meta.dirname, '../..');
const work = mkdtempSync(join(tmpdir(), 'viommu-reporters-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A copy of a library scenario in its own folder, without its golden log. */
function scenarioCopy(name: string): string {
  const file = join(work, name, 'streaming-hits.scenario.json');
  mkdirSync(join(work, name), { recursive: true });
  copyFileSync(join(repo, 'scenarios/flat/streaming-hits.scenario.json'), file);
  return file;
}

describe('reporters', () => {
  it('gives the human summary on stdout and JUnit and JSON files from one run', async () => {
    const file = scenarioCopy('many');
    const junit = join(work, 'many', 'reports', 'viommu.xml');
    const json = join(work, 'many', 'out.json');
    const r = await runCli(
      [
        'run',
        file,
        '--reporter',
        'default',
        '--reporter',
        'junit',
        '--reporter',
        'json',
        '--output-file',
        `junit=${junit}`,
        '--output-file',
        `json=${json}`,
      ],
      { cwd: join(work, 'many') },
    );
    expect(r.code, r.stdout + r.stderr).toBe(EXIT.OK);
    expect(r.stdout).toMatch(/^PASS flat\/streaming-hits@flat \(/m);
    expect(r.stdout).toMatch(/1 runs: 1 passed, 0 failed, 0 skipped/);
    const xml = readFileSync(junit, 'utf8');
    expect(xml).toMatch(
      /<testcase classname="flat" name="flat\/streaming-hits@flat" file="streaming-hits\.scenario\.json" time="\d+\.\d{3}"\/>/,
    );
    expect(xml).toMatch(
      /<testsuite name="flat" tests="1" failures="0" errors="0" skipped="0" time="\d+\.\d{3}">/,
    );
    const report = JSON.parse(readFileSync(json, 'utf8'));
    expect(report.ok).toBe(true);
    expect(report.runs).toHaveLength(1);
    expect(report.runs[0]).not.toHaveProperty('seconds');
  });

  it('writes a lone reporter to a bare --output-file, and dot prints a character per run', async () => {
    const file = scenarioCopy('lone');
    const out = join(work, 'lone', 'out.json');
    const r = await runCli(['run', file, '--reporter', 'json', '--output-file', out]);
    expect(r.stdout).toBe('');
    expect(JSON.parse(readFileSync(out, 'utf8')).summary[0].plugin).toBe('flat');
    const dot = await runCli(['run', file, '--reporter', 'dot']);
    expect(dot.stdout).toBe('.\n1 runs: 1 passed, 0 failed, 0 skipped\n');
    // A failed expectation: F, then the run and its first failure, then the counts.
    writeFileSync(file, readFileSync(file, 'utf8').replace('"translations": 513', '"translations": 514'));
    const failed = await runCli(['run', file, '--reporter', 'dot', '--no-golden']);
    expect(failed.code).toBe(EXIT.MISMATCH);
    expect(failed.stdout).toMatch(
      /^F\nF flat\/streaming-hits@flat: .*translations.*\n1 runs: 0 passed, 1 failed, 0 skipped\n$/,
    );
  });

  it('refuses combinations that would mix machine output into stdout or leave a file unassigned', async () => {
    const file = scenarioCopy('usage');
    const bare = await runCli([
      'run',
      file,
      '--reporter',
      'default',
      '--reporter',
      'json',
      '--output-file',
      'x',
    ]);
    expect(bare.code).toBe(EXIT.USAGE);
    expect(bare.stderr).toMatch(/name the one it is for \(--output-file json=x\)/);
    const mixed = await runCli(['run', file, '--reporter', 'dot', '--reporter', 'json']);
    expect(mixed.code).toBe(EXIT.USAGE);
    expect(mixed.stderr).toMatch(/dot and json would all write to stdout/);
    const unknown = await runCli(['run', file, '--reporter', 'tap']);
    expect(unknown.code).toBe(EXIT.USAGE);
    expect(() => chooseReporters({ reporter: ['default'], outputFile: ['junit=a.xml'] })).toThrow(
      /reporter "junit" is not chosen/,
    );
  });

  it('takes reporters and their files from the config file unless the command line names them', async () => {
    const file = scenarioCopy('config');
    const cwd = join(work, 'config');
    writeFileSync(
      join(cwd, 'viommu.config.json'),
      JSON.stringify({ run: { reporters: ['dot', 'junit'], outputFile: { junit: 'reports/j.xml' } } }),
    );
    const r = await runCli(['run', file], { cwd: join(cwd) });
    expect(r.stdout).toBe('.\n1 runs: 1 passed, 0 failed, 0 skipped\n');
    expect(readFileSync(join(cwd, 'reports/j.xml'), 'utf8')).toMatch(/name="flat\/streaming-hits@flat"/);
    const flag = await runCli(['run', file, '--reporter', 'default'], { cwd });
    expect(flag.stdout).toMatch(/^PASS flat\/streaming-hits@flat/m);
    writeFileSync(join(cwd, 'viommu.config.json'), JSON.stringify({ run: { reporters: ['tap'] } }));
    const bad = await runCli(['run', file], { cwd });
    expect(bad.code).toBe(EXIT.INPUT);
    expect(bad.stderr).toMatch(/viommu\.config\.json: run\.reporters: expected an array/);
  });

  it('keeps --json and --junit FILE as shorthands', () => {
    expect(chooseReporters({ json: true })).toEqual([{ name: 'json', file: null }]);
    expect(chooseReporters({ junit: 'r.xml' })).toEqual([
      { name: 'default', file: null },
      { name: 'junit', file: 'r.xml' },
    ]);
    expect(chooseReporters({ json: true, junit: 'r.xml' })).toEqual([
      { name: 'json', file: null },
      { name: 'junit', file: 'r.xml' },
    ]);
    expect(chooseReporters({})).toEqual([{ name: 'default', file: null }]);
  });
});

describe('golden logs', () => {
  it('in CI a missing golden fails, naming the command that records it; --update records it', async () => {
    const file = scenarioCopy('ci');
    const cwd = join(work, 'ci');
    const local = await runCli(['run', file], { cwd });
    expect(local.stdout).toMatch(/golden:missing/);
    expect(local.code).toBe(EXIT.OK);

    const missing = await runCli(['run', file], { cwd, ci: true });
    expect(missing.code).toBe(EXIT.MISMATCH);
    expect(missing.stdout).toMatch(
      /golden streaming-hits\.flat\.events\.jsonl: missing, and CI is set; record it with: viommu run streaming-hits\.scenario\.json --target flat --update\n/,
    );

    const update = await runCli(['run', file, '--update'], { cwd, ci: true });
    expect(update.code).toBe(EXIT.OK);
    expect(existsSync(join(cwd, 'streaming-hits.flat.events.jsonl'))).toBe(true);
    expect((await runCli(['run', file], { cwd, ci: true })).code).toBe(EXIT.OK);
  });

  it('a mismatch ends with the exact command that re-records it, and running it makes the run pass', async () => {
    const file = scenarioCopy('mismatch');
    const cwd = join(work, 'mismatch');
    expect((await runCli(['run', file, '--update'], { cwd })).code).toBe(EXIT.OK);
    // The scenario changes its seed: the recorded run no longer matches.
    const text = readFileSync(file, 'utf8').replace('"seed": 7', '"seed": 8');
    writeFileSync(file, text);
    const r = await runCli(['run', file, '--config', 'viommu.config.json'], { cwd });
    expect(r.code).toBe(EXIT.INPUT); // no such config file: the flag is checked
    writeFileSync(join(cwd, 'viommu.config.json'), '{}');
    const bad = await runCli(['run', file, '--config', 'viommu.config.json'], { cwd });
    expect(bad.code).toBe(EXIT.MISMATCH);
    const block = bad.stdout.slice(0, bad.stdout.indexOf('\n\nplugin'));
    const last = block.split('\n').at(-1)!;
    const command =
      'viommu run streaming-hits.scenario.json --target flat --update --config viommu.config.json';
    expect(last).toMatch(/^ {5}golden streaming-hits\.flat\.events\.jsonl: /);
    expect(last.endsWith(`re-record it with: ${command}`)).toBe(true);

    const rerun = await runCli(command.split(' ').slice(1), { cwd });
    expect(rerun.code).toBe(EXIT.OK);
    expect((await runCli(['run', file], { cwd, ci: true })).code).toBe(EXIT.OK);
  });
});
