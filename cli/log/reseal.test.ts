import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { encodeBinary } from '../../core/events/log/binary-writer.js';
import { encodeJsonl } from '../../core/events/log/jsonl.js';
import { readJsonl } from '../../core/events/log/jsonl-reader.js';
import { SAMPLE_HEADER, sampleDmaRun } from '../../core/events/log/sample-run.js';
import type { CliContext } from '../scenario/context.js';
import { runCli } from '../scenario/run-cli.js';
import { registerLogCommands } from './index.js';

async function logCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  let code = 0;
  const ctx = {
    out: (t: string) => {
      stdout += t;
    },
    err: (t: string) => {
      stderr += t;
    },
    exit: (c: number) => {
      code = Math.max(code, c);
    },
  } as unknown as CliContext;
  const program = new Command('viommu').exitOverride();
  registerLogCommands(program, ctx);
  await program.parseAsync(['node', 'viommu', ...args]);
  return { code, stdout, stderr };
}

describe('viommu log reseal', () => {
  const dir = mkdtempSync(join(tmpdir(), 'viommu-reseal-'));
  const text = encodeJsonl(SAMPLE_HEADER, sampleDmaRun(3));

  it('seals a hand-edited log again, after which it reads; before, it is refused naming the line', async () => {
    const f = join(dir, 'edited.events.jsonl');
    // Change a value and keep the JSON valid: only the seal can tell.
    const edited = text.replace('"t":110,', '"t":111,');
    expect(edited).not.toBe(text);
    writeFileSync(f, edited);
    expect(() => readJsonl(readFileSync(f), f)).toThrow(/line 3: seal mismatch/);
    const r = await logCli(['log', 'reseal', f]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`sealed ${f}: 6 records\n`);
    expect(readJsonl(readFileSync(f), f).records[1].t).toBe(111);
  });

  it('refuses an invalid record (exit 4, naming the line) and leaves the file as it was', async () => {
    const f = join(dir, 'bad.events.jsonl');
    const bad = text.replace('"seq":2,', '"seq":7,');
    writeFileSync(f, bad);
    const r = await logCli(['log', 'reseal', f]);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/bad\.events\.jsonl line 3: field "seq"/);
    expect(readFileSync(f, 'utf8')).toBe(bad);
  });

  it('seals a log from before seals, which replay and inspect read with a notice', async () => {
    const old = join(dir, 'old.events.jsonl');
    const unsealed = text
      .split('\n')
      .filter((l) => !l.startsWith('{"kind":"end"'))
      .map((l) => l.replace(/,"sum":"[0-9a-f]{8}"\}$/, '}'))
      .join('\n');
    writeFileSync(old, unsealed);
    const inspected = await runCli(['inspect', old]);
    expect(inspected.code).toBe(0);
    expect(inspected.stderr).toContain(`notice: ${old} has no seals`);
    const out = join(dir, 'new.events.jsonl');
    const r = await logCli(['log', 'reseal', old, '--out', out, '--json']);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, records: 6, wasSealed: false });
    expect(readFileSync(out, 'utf8')).toBe(text);
  });

  it('refuses a binary log (exit 4): its frames carry their own checksums', async () => {
    const f = join(dir, 'run.events.bin');
    writeFileSync(f, encodeBinary(SAMPLE_HEADER, sampleDmaRun(1)));
    const r = await logCli(['log', 'reseal', f]);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('a binary log');
  });
});
