/**
 * Every family of bad scenario input gets exit 4 and a message that names the file and where in
 * it (line and column for JSON text, a JSON path for values): text that is not JSON, a BOM,
 * duplicate keys, nesting and size past the limits, bad fields in set-up steps and templates.
 */

import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT } from '../cli/scenario/context.js';
import { runCli } from '../cli/scenario/run-cli.js';
import { resealText } from '../core/events/log/line-seal.js';

const repo = resolve(import.meta.dirname, '..');
const BASE_TEXT = readFileSync(join(repo, 'scenarios', 'flat', 'streaming-hits.scenario.json'), 'utf8');
const dir = mkdtempSync(join(tmpdir(), 'viommu-bad-input-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// biome-ignore lint/suspicious/noExplicitAny: a scenario being damaged on purpose
type Raw = any;
const base = (): Raw => JSON.parse(BASE_TEXT);

/** Runs `viommu run <name>.scenario.json` (shown by its bare name) and returns exit code and output. */
async function run(name: string, text: string): Promise<{ code: number; out: string }> {
  writeFileSync(join(dir, `${name}.scenario.json`), text);
  const r = await runCli(
    ['run', join(dir, `${name}.scenario.json`), '--no-golden', '--out', join(dir, 'out'), '--json'],
    {
      cwd: dir,
    },
  );
  const report = JSON.parse(r.stdout) as { runs: { status: string; failures: string[] }[] };
  return { code: r.code, out: report.runs.flatMap((x) => x.failures).join('\n') };
}

describe('scenario text', () => {
  it('that is not JSON: the line and column', async () => {
    const text = BASE_TEXT.replace('"seed": 7,', '"seed": 7,,');
    const r = await run('syntax', text);
    expect(r.code).toBe(EXIT.INPUT);
    expect(r.out).toBe(
      'syntax.scenario.json line 8 column 13: not valid JSON: expected a "quoted" property name (no trailing commas) (after seed)',
    );
  });

  it('with a byte-order mark', async () => {
    const r = await run('bom', `\ufeff${BASE_TEXT}`);
    expect(r.code).toBe(EXIT.INPUT);
    expect(r.out).toBe(
      'bom.scenario.json line 1 column 1: starts with a byte-order mark (U+FEFF): save the file as UTF-8 without BOM',
    );
  });

  it('with a duplicate key: its path (JSON.parse would keep the last one silently)', async () => {
    const text = BASE_TEXT.replace('"access": "r" }', '"access": "r", "access": "w" }');
    const r = await run('dup', text);
    expect(r.code).toBe(EXIT.INPUT);
    expect(r.out).toBe(
      'dup.scenario.json line 22 column 69: steps[0].data.access: duplicate key "access" (JSON.parse would silently keep the last one)',
    );
  });

  it('a million arrays deep in the description: refused at the depth limit, no stack overflow', async () => {
    const s = base();
    const text = JSON.stringify(s).replace(
      '"title":',
      `"description":${'['.repeat(1e6)}${']'.repeat(1e6)},"title":`,
    );
    const r = await run('deep-description', text);
    expect(r.code).toBe(EXIT.INPUT);
    expect(r.out).toMatch(
      /^deep-description\.scenario\.json line 1 column \d+: description(\[0\]){63}: nested deeper than 64 levels$/,
    );
  });

  it('nested too deep in step data: the file and the step, not a log stream', async () => {
    const s = base();
    let nest: Raw = 1;
    for (let i = 0; i < 70; i++) nest = { x: nest };
    s.steps[0].data.nest = nest;
    const r = await run('deep-step', JSON.stringify(s));
    expect(r.code).toBe(EXIT.INPUT);
    expect(r.out).toMatch(
      /^deep-step\.scenario\.json line 1 column \d+: steps\[0\]\.data\.nest(\.x){60}: nested deeper than 64 levels$/,
    );
  });

  it('a template placeholder that puts a deep value deeper than a log can record', async () => {
    const s = base();
    let deep: Raw = 1;
    for (let i = 0; i < 58; i++) deep = [deep];
    s.targets[0].templates = {
      m: [
        {
          type: 'flat.map',
          data: { iova: '0x1000', pa: '0x2000', a: { b: { c: { d: { e: { f: { g: { h: '$v' } } } } } } } },
        },
      ],
    };
    s.steps.unshift({ use: 'm', with: { v: deep } });
    const r = await run('deep-template', JSON.stringify(s));
    expect(r.code).toBe(EXIT.INPUT);
    // The command catalog refuses the field before the template is expanded: no command of the
    // catalog takes free-form nesting, so no template can put such a value into a log.
    expect(r.out).toBe(
      'deep-template.scenario.json: targets[0].templates.m[0].data.a: unknown field (allowed: iova, pa, pages, perm, pasid, unit)',
    );
  });

  it('larger than the size limit: refused before it is read', async () => {
    // A sparse file one byte over the limit: its size is checked before a byte is read.
    const file = join(dir, 'huge.scenario.json');
    writeFileSync(file, BASE_TEXT);
    truncateSync(file, 256 * 1024 * 1024 + 1);
    const r = await runCli(['run', file, '--no-golden', '--out', join(dir, 'out'), '--json'], { cwd: dir });
    expect(r.code).toBe(EXIT.INPUT);
    const report = JSON.parse(r.stdout) as { runs: { failures: string[] }[] };
    expect(report.runs.flatMap((x) => x.failures).join('\n')).toBe(
      'huge.scenario.json: cannot read: 268435457 bytes is larger than the limit of 268435456',
    );
  });
});

describe('bad fields where a step expects success implicitly', () => {
  it('a misspelled field in a set-up step: exit 4 naming the file and the step, not a failed expectation', async () => {
    const s = base();
    s.targets[0].setup[0].data.prem = 3;
    const r = await run('setup-typo', JSON.stringify(s));
    expect(r.code).toBe(EXIT.INPUT);
    expect(r.out).toBe(
      'setup-typo.scenario.json: targets[0].setup[0].data.prem: unknown field (allowed: iova, pa, pages, perm, pasid, unit)',
    );
  });

  it("a bad field in a template's data, used by a step with an expectation", async () => {
    const s = base();
    s.targets[0].templates = {
      m: [
        { type: 'flat.map', data: { iova: '$iova', pa: '0x2000', prem: 1 } },
        { type: 'flat.tlb.flush', data: {} },
      ],
    };
    s.steps.unshift({ use: 'm', with: { iova: '0x5000' }, expect: { ok: true } });
    const r = await run('template-bad', JSON.stringify(s));
    expect(r.code).toBe(EXIT.INPUT);
    expect(r.out).toBe(
      'template-bad.scenario.json: targets[0].templates.m[0].data.prem: unknown field (allowed: iova, pa, pages, perm, pasid, unit)',
    );
  });
});

describe('a log header that does not describe a valid run', () => {
  /** Replays the flat streaming log with its header's config changed by `edit`. */
  async function replayWith(
    name: string,
    edit: (config: Raw) => void,
  ): Promise<{ code: number; out: string }> {
    const r = await runCli([
      'run',
      join(repo, 'scenarios', 'flat'),
      '--no-golden',
      '--out',
      join(dir, 'logs'),
    ]);
    expect(r.code).toBe(EXIT.OK);
    const lines = readFileSync(join(dir, 'logs', 'flat', 'streaming-hits.flat.events.jsonl'), 'utf8').split(
      '\n',
    );
    const header = JSON.parse(lines[0]!);
    edit(header.config);
    lines[0] = JSON.stringify(header);
    // Edited on purpose, so re-sealed (an unsealed edit is refused before the header is read).
    writeFileSync(join(dir, `${name}.events.jsonl`), resealText(lines.join('\n')));
    const rr = await runCli(['replay', join(dir, `${name}.events.jsonl`)], { cwd: dir });
    return { code: rr.code, out: rr.stdout + rr.stderr };
  }

  it('a device\'s misspelled key: exit 4 with the file, line and field (was exit 3, unit "undefined")', async () => {
    const r = await replayWith('unit-typo', (c) => {
      c.devices[0].uint = c.devices[0].unit;
      delete c.devices[0].unit;
    });
    expect(r.code).toBe(EXIT.INPUT);
    expect(r.out).toContain(
      'unit-typo.events.jsonl line 1: header: config.devices[0].uint: unknown key (known: name, unit, sid, pci, pasidBits, ats, pri, auxDomain)',
    );
  });

  it('a device on a unit the config does not have', async () => {
    const r = await replayWith('no-unit', (c) => {
      c.devices[0].unit = 'flat9';
    });
    expect(r.code).toBe(EXIT.INPUT);
    expect(r.out).toContain(
      'no-unit.events.jsonl line 1: header: config.devices[0].unit: names no unit of this config (units: flat0)',
    );
  });

  it('unit options the plugin refuses', async () => {
    const r = await replayWith('bad-option', (c) => {
      c.units[0].options = { cacheEntries: 3 };
    });
    expect(r.code).toBe(EXIT.INPUT);
    expect(r.out).toContain(
      'bad-option.events.jsonl line 1: header: config.units[0].options: plugin "flat" refuses them: flat options.cacheEntries: expected a power of two, got 3',
    );
  });

  it('an unknown kernel, and a missing seed', async () => {
    const k = await replayWith('kernel', (c) => {
      c.kernel = 'v9.99';
    });
    expect(k.code).toBe(EXIT.INPUT);
    expect(k.out).toContain(
      'kernel.events.jsonl line 1: header: config.kernel: unknown kernel "v9.99" (known: v5.10',
    );
    const s = await replayWith('seed', (c) => {
      delete c.seed;
    });
    expect(s.code).toBe(EXIT.INPUT);
    expect(s.out).toContain('seed.events.jsonl line 1: header: config.seed: expected an integer');
  });
});
