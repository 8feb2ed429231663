/**
 * Bad input to `viommu run`, `inspect` and `replay` gets the documented exit code and a message
 * that names the option, file or line: run filters that match no target, a --limit that is not a
 * count, logs cut short; and replay --json counts what the text says.
 */

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../cli/scenario/context.js';
import { runCli } from '../cli/scenario/run-cli.js';
import { resealText } from '../core/events/log/line-seal.js';

const repo = resolve(import.meta.dirname, '..');
const flat = join(repo, 'scenarios', 'flat');
const dir = mkdtempSync(join(tmpdir(), 'viommu-scenario-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A log of the flat streaming scenario: header, then 7 records (3 commands). */
let log: string;
beforeAll(async () => {
  const r = await runCli(['run', flat, '--no-golden', '--out', join(dir, 'out')]);
  expect(r.code, r.stdout + r.stderr).toBe(EXIT.OK);
  log = join(dir, 'out', 'flat', 'streaming-hits.flat.events.jsonl');
});

describe('viommu run --only / -t', () => {
  it('an --only filter that matches no target is a usage error naming the filter and the plugins there are', async () => {
    const r = await runCli(['run', flat, '--no-golden', '--out', join(dir, 'o1'), '--only', 'nosuch']);
    expect(r.code).toBe(EXIT.USAGE);
    expect(r.stderr).toContain(
      'no target matches --only nosuch; the scenarios have plugins: flat; targets: flat',
    );
  });

  it('so is a target filter, alone or with a plugin filter, and --json says ok: false', async () => {
    const t = await runCli(['run', flat, '--no-golden', '--out', join(dir, 'o2'), '-t', 'nosuch']);
    expect(t.code).toBe(EXIT.USAGE);
    expect(t.stderr).toContain('no target matches --target nosuch; the scenarios have targets: flat');
    const both = await runCli(['run', flat, '--no-golden', '--json', '--only', 'flat', '-t', 'nosuch']);
    expect(both.code).toBe(EXIT.USAGE);
    expect(both.stderr).toContain('no target matches --only flat and --target nosuch');
    expect(JSON.parse(both.stdout).ok).toBe(false);
  });

  it('a filter that matches runs what it matches, and a path without scenarios still exits 4', async () => {
    const ok = await runCli([
      'run',
      flat,
      '--no-golden',
      '--out',
      join(dir, 'o3'),
      '--only',
      'flat',
      '-t',
      'flat',
    ]);
    expect(ok.code, ok.stderr).toBe(EXIT.OK);
    expect(ok.stdout).toMatch(/PASS flat\/streaming-hits@flat/);
    const empty = join(dir, 'no-scenarios');
    mkdirSync(empty);
    const none = await runCli(['run', empty, '--only', 'nosuch']);
    expect(none.code).toBe(EXIT.INPUT);
    expect(none.stderr).toContain('no *.scenario.json files found');
  });
});

describe('viommu inspect --limit', () => {
  it('lists at most that many matching records; 0 lists all', async () => {
    const two = await runCli(['inspect', log, '--type', 'core', '--limit', '2', '--json']);
    expect(two.code).toBe(EXIT.OK);
    expect(JSON.parse(two.stdout)).toMatchObject({ matching: 3, records: [{ seq: 2 }, { seq: 4 }] });
    const all = await runCli(['inspect', log, '--type', 'core', '--limit', '0', '--json']);
    expect(JSON.parse(all.stdout).records).toHaveLength(3);
  });

  it.each(['abc', '-2', '1.5', '', '0x10'])('--limit %j is a usage error naming the value', async (v) => {
    const r = await runCli(['inspect', log, '--type', 'core', '--limit', v]);
    expect(r.code).toBe(EXIT.USAGE);
    expect(r.stderr).toContain(`--limit must be a whole number of records (0 = all), got "${v}"`);
    expect(r.stdout).toBe('');
  });
});

describe('viommu replay --json', () => {
  it('after a divergence, counts the records reproduced before it, as the text does', async () => {
    const lines = readFileSync(log, 'utf8').split('\n');
    // Line 5 is seq 4, the completion of the first DMA access.
    lines[4] = lines[4].replace('"hit":false', '"hit":true');
    const altered = join(dir, 'altered.events.jsonl');
    writeFileSync(altered, resealText(lines.join('\n')));
    const text = await runCli(['replay', altered]);
    expect(text.code).toBe(EXIT.MISMATCH);
    expect(text.stdout).toContain('3 records reproduced, then');
    const json = await runCli(['replay', altered, '--json']);
    expect(json.code).toBe(EXIT.MISMATCH);
    expect(JSON.parse(json.stdout).results[0]).toMatchObject({
      ok: false,
      records: 3,
      commands: 2,
      divergence: { seq: 4 },
    });
  });

  it('a log that reproduces counts every record and command', async () => {
    const r = await runCli(['replay', log, '--json']);
    expect(r.code).toBe(EXIT.OK);
    expect(JSON.parse(r.stdout).results[0]).toMatchObject({ ok: true, records: 7, commands: 3 });
  });
});

/** The log's bytes without the end line: what a run killed between two flushes leaves. */
function openLogBytes(): Buffer {
  const bytes = readFileSync(log);
  return bytes.subarray(0, bytes.lastIndexOf(0x0a, bytes.length - 2) + 1);
}

describe('a JSON Lines log whose last line has no newline', () => {
  it('is cut (exit 4 naming the line); --lenient keeps its last record when that record is complete', async () => {
    const bytes = openLogBytes();
    const cut = join(dir, 'no-newline.events.jsonl');
    writeFileSync(cut, bytes.subarray(0, bytes.length - 1));
    const strict = await runCli(['replay', cut]);
    expect(strict.code).toBe(EXIT.INPUT);
    expect(strict.stderr).toContain(
      `no-newline.events.jsonl line 8 at byte ${bytes.lastIndexOf(0x0a, bytes.length - 2) + 1}: line is cut short`,
    );
    const lenient = await runCli(['inspect', cut, '--lenient', '--json']);
    expect(lenient.code).toBe(EXIT.OK);
    expect(JSON.parse(lenient.stdout).summary).toMatchObject({
      records: 7,
      truncated: { truncatedAt: bytes.length - 1, lastSeq: 7 },
    });
    const shown = await runCli(['inspect', cut, '--lenient']);
    expect(shown.stdout).toContain(`truncated after seq 7 at byte ${bytes.length - 1}`);
  });

  it('--lenient still drops a last line cut inside its record', async () => {
    const bytes = openLogBytes();
    const cut = join(dir, 'mid-record.events.jsonl');
    writeFileSync(cut, bytes.subarray(0, bytes.length - 2));
    const lenient = await runCli(['inspect', cut, '--lenient', '--json']);
    expect(lenient.code).toBe(EXIT.OK);
    expect(JSON.parse(lenient.stdout).summary).toMatchObject({ records: 6, truncated: { lastSeq: 6 } });
  });
});

/** A copy of the flat streaming scenario with one more step, written as `<name>.scenario.json`. */
function withStep(step: object, name: string): string {
  const s = JSON.parse(readFileSync(join(flat, 'streaming-hits.scenario.json'), 'utf8'));
  s.steps.push(step);
  const file = join(dir, `${name}.scenario.json`);
  writeFileSync(file, JSON.stringify(s));
  return file;
}

describe('viommu run: command types', () => {
  /** The flat streaming scenario with one more step, of type `type`. */
  function withStepType(type: string): string {
    return withStep({ label: 'typo', type, data: {} }, `typo-${type.replaceAll('.', '-')}`);
  }

  it("a type the target's plugin does not declare is an invalid scenario (exit 4) naming the file and step", async () => {
    const file = withStepType('flat.tlb.flsh');
    const r = await runCli(['run', file, '--no-golden', '--out', join(dir, 'o5')]);
    expect(r.code, r.stdout + r.stderr).toBe(EXIT.INPUT);
    expect(r.stdout + r.stderr).toMatch(
      /typo-flat-tlb-flsh\.scenario\.json: steps\[\d+\]\.type: unknown flat command "flat\.tlb\.flsh"/,
    );
  });

  it('so is a core type that does not exist', async () => {
    const r = await runCli([
      'run',
      withStepType('core.memory.wrte'),
      '--no-golden',
      '--out',
      join(dir, 'o6'),
    ]);
    expect(r.code, r.stdout + r.stderr).toBe(EXIT.INPUT);
    expect(r.stdout + r.stderr).toMatch(
      /typo-core-memory-wrte\.scenario\.json: steps\[\d+\]\.type: unknown command type "core\.memory\.wrte"/,
    );
  });
});

describe('viommu run: malformed command data', () => {
  it('a misspelled field is refused before anything runs (exit 4, file and field path named)', async () => {
    const file = withStep(
      { label: 'typo', type: 'flat.map', data: { iova: '0x9000000', pa: '0xa000000', prem: 1 } },
      'field-typo',
    );
    const r = await runCli(['run', file, '--no-golden', '--out', join(dir, 'o7')]);
    expect(r.code, r.stdout + r.stderr).toBe(EXIT.INPUT);
    expect(r.stdout + r.stderr).toMatch(
      /field-typo\.scenario\.json: steps\[\d+\]\.data\.prem: unknown field \(allowed: iova, pa, pages, perm, pasid, unit\)/,
    );
    expect(r.stdout).toContain('(0 commands, 0 events)');
  });

  it('a plugin that throws during a step is a plugin error (exit 3), naming the file and step', async () => {
    const file = withStep(
      { label: 'boom', type: 'flat.crash.now', data: { message: 'asked to crash' } },
      'plugin-threw',
    );
    const r = await runCli(['run', file, '--no-golden', '--out', join(dir, 'o9')]);
    expect(r.code, r.stdout + r.stderr).toBe(EXIT.PLUGIN);
    expect(r.stdout + r.stderr).toMatch(
      /plugin-threw\.scenario\.json: steps\[\d+\] "boom" \(flat\.crash\.now, seq \d+\): plugin error: plugin "flat" threw: flat: asked to crash/,
    );
  });

  it('an expected value the command could not give names the failure', async () => {
    const file = withStep(
      { type: 'core.memory.write64', data: { addr: '0x1001', value: '0x0' }, expect: { value: 1 } },
      'value-of-failure',
    );
    const r = await runCli(['run', file, '--no-golden', '--out', join(dir, 'o10')]);
    expect(r.code, r.stdout + r.stderr).toBe(EXIT.MISMATCH);
    expect(r.stdout).toContain('but the command failed: EFAULT: addr: 0x1001 is unaligned or outside memory');
  });

  it('bad data is refused even where the step expects a failure: nothing runs', async () => {
    const file = withStep(
      { type: 'core.clock.advance', data: { ns: -1 }, expect: { errno: 'EINVAL' } },
      'expected-failure',
    );
    const r = await runCli(['run', file, '--no-golden', '--out', join(dir, 'o8')]);
    expect(r.code, r.stdout + r.stderr).toBe(EXIT.INPUT);
    expect(r.stdout).toMatch(
      /expected-failure\.scenario\.json: steps\[\d+\]\.data\.ns: expected an integer in \[0, /,
    );
  });
});
