import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runUapiCli } from '../cli/uapi/index.js';
import { bytesToHex } from '../core/model/hex.js';
import { encode, fromJson } from '../core/uapi/codec.js';

const gcc = JSON.parse(
  readFileSync(new URL('../core/uapi/fixtures/uapi-layout.json', import.meta.url), 'utf8'),
) as Record<string, { size: number; fields: { name: string; offset: number; size: number }[] }>;

const dir = mkdtempSync(join(tmpdir(), 'viommu-uapi-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cacheHex = (json: object) =>
  bytesToHex(
    encode('iommu_cache_invalidate_info', fromJson('iommu_cache_invalidate_info', { version: 1, ...json })),
  );
const bindHex = (json: object) =>
  bytesToHex(
    encode(
      'iommu_gpasid_bind_data',
      fromJson('iommu_gpasid_bind_data', { argsz: 72, version: 1, format: 1, ...json }),
    ),
  );

const ADDR = {
  argsz: 56,
  cache: 1,
  granularity: 2,
  granu: { addr_info: { flags: 1, pasid: 5, addr: 0x1000 } },
};

describe('viommu uapi layout', () => {
  it('--json lists every struct with size and fields exactly as gcc laid them out', async () => {
    const r = await runUapiCli(['uapi', 'layout', '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as typeof gcc;
    expect(Object.keys(out)).toHaveLength(9);
    for (const [name, e] of Object.entries(out)) {
      expect(e.size).toBe(gcc[name].size);
      expect(e.fields).toEqual(
        gcc[name].fields.map((f) => ({ name: f.name, offset: f.offset, size: f.size })),
      );
    }
  });
  it('text form, and the pre-argsz header on request', async () => {
    const r = await runUapiCli(['uapi', 'layout']);
    expect(r.stdout).toMatch(/struct iommu_cache_invalidate_info {2}\(56 bytes, align 8\)/);
    expect(r.stdout).toMatch(/48\s+8\s+granu\.addr_info\.nb_granules\s+__u64/);
    const old = await runUapiCli(['uapi', 'layout', '--header', 'v5.8', '--json']);
    expect(
      JSON.parse(old.stdout).iommu_gpasid_bind_data.fields.find(
        (f: { name: string }) => f.name === 'addr_width',
      ),
    ).toEqual({
      name: 'addr_width',
      offset: 40,
      size: 4,
    });
  });
});

describe('viommu uapi check', () => {
  it('ok: exit 0, errno null, bytes copied and the decoded struct with 64-bit values as 0x strings', async () => {
    const r = await runUapiCli(['uapi', 'check', 'cache-invalidate', '--hex', cacheHex(ADDR), '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ ok: true, errno: null, copied: 56 });
    expect(j.decoded.granu.addr_info.addr).toBe('0x0000000000001000');
  });
  it('an errno: exit 1 with the check named', async () => {
    const r = await runUapiCli([
      'uapi',
      'check',
      'cache-invalidate',
      '--hex',
      cacheHex({ ...ADDR, argsz: 48 }),
      '--json',
    ]);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({
      ok: false,
      errno: 'EINVAL',
      errnoNumber: 22,
      detail: 'argsz 48 < 56 required for ADDR granularity',
      copied: 16,
    });
  });
  it('--readable cuts the mapping: a short first copy is EFAULT, not EINVAL', async () => {
    const r = await runUapiCli([
      'uapi',
      'check',
      'cache-invalidate',
      '--hex',
      cacheHex({ ...ADDR, argsz: 4 }),
      '--readable',
      '8',
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^cache-invalidate on v5\.10 \(8 bytes readable\): EFAULT \(14\)/);
    expect(r.stdout).toMatch(/nothing decoded/);
  });
  it('unbind reports the 32-bit PASID the core passes on', async () => {
    const r = await runUapiCli([
      'uapi',
      'check',
      'unbind-gpasid',
      '--hex',
      bindHex({ hpasid: '0x100000005' }),
      '--json',
    ]);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, pasid: 5 });
  });
  it('--kernel selects constants: format 2 only on the proposed profile', async () => {
    const hexFmt2 = bindHex({ format: 2 });
    expect((await runUapiCli(['uapi', 'check', 'bind-gpasid', '--hex', hexFmt2])).code).toBe(1);
    expect(
      (await runUapiCli(['uapi', 'check', 'bind-gpasid', '--hex', hexFmt2, '--kernel', 'v5.10-proposed']))
        .code,
    ).toBe(0);
  });
  it('usage errors exit 2', async () => {
    for (const argv of [
      ['uapi', 'check'],
      ['uapi', 'check', 'cache-invalidate'],
      ['uapi', 'check', 'frobnicate', '--hex', '00'],
      ['uapi', 'check', 'cache-invalidate', '--hex', 'xyz'],
      ['uapi', 'check', 'cache-invalidate', '--hex', '0000', '--readable', '3'],
      ['uapi', 'check', 'cache-invalidate', '--hex', '0000', '--kernel', 'v4.19'],
      ['uapi', 'check', 'cache-invalidate', '--batch', 'x.jsonl'],
      ['uapi', 'layout', '--bogus'],
    ]) {
      const r = await runUapiCli(argv);
      expect({ argv, code: r.code }).toEqual({ argv, code: 2 });
      expect(r.stderr).toMatch(/error/);
    }
  });
  it('--help on every command exits 0', async () => {
    for (const argv of [['uapi'], ['uapi', 'layout'], ['uapi', 'check'], ['uapi', 'demo']]) {
      const r = await runUapiCli([...argv, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^Usage: viommu uapi/);
    }
  });
});

describe('viommu uapi check --batch', () => {
  it('one JSON result per non-blank line, in order; bad lines name file and line; exit 4', async () => {
    const file = join(dir, 'payloads.jsonl');
    writeFileSync(
      file,
      [
        JSON.stringify({ op: 'cache-invalidate', hex: cacheHex(ADDR) }),
        '',
        JSON.stringify({ op: 'bind-gpasid', hex: bindHex({}), readable: 60, id: 'short' }),
        '{ not json',
        JSON.stringify({ op: 'bind-gpasid', hex: bindHex({ flags: '0x100000000' }) }),
        JSON.stringify({ op: 'teleport', hex: '00' }),
      ].join('\n'),
    );
    const r = await runUapiCli(['uapi', 'check', '--batch', file]);
    expect(r.code).toBe(4);
    const lines = r.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.line)).toEqual([1, 3, 4, 5, 6]);
    expect(lines[0]).toMatchObject({ ok: true, errno: null, copied: 56 });
    expect(lines[1]).toMatchObject({ id: 'short', ok: false, errno: 'EFAULT', copied: 56 });
    expect(lines[2].error).toMatch(
      new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} line 4: invalid JSON`),
    );
    expect(lines[3]).toMatchObject({ ok: false, errno: 'EINVAL', detail: /^flags 0x100000000/ });
    expect(lines[4].error).toMatch(/line 6: "op" must be one of/);
    expect(r.stderr).toMatch(/2 invalid line/);
  });
  it('errno results alone do not fail a batch; an unreadable file exits 4', async () => {
    const file = join(dir, 'ok.jsonl');
    writeFileSync(file, `${JSON.stringify({ op: 'cache-invalidate', hex: '00' })}\n`);
    const r = await runUapiCli(['uapi', 'check', '--batch', file]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ errno: 'EFAULT' });
    const missing = await runUapiCli(['uapi', 'check', '--batch', join(dir, 'missing.jsonl')]);
    expect(missing.code).toBe(4);
    expect(missing.stderr).toMatch(/cannot read .*missing\.jsonl/);
  });
});

describe('viommu uapi demo', () => {
  it('walks the four compatibility cases with what each gets', async () => {
    const r = await runUapiCli(['uapi', 'demo', '--json']);
    expect(r.code).toBe(0);
    const cases = JSON.parse(r.stdout) as {
      case: number;
      scenario: string;
      kernel: string;
      ok: boolean;
      errno: string | null;
      copied: number | null;
    }[];
    expect(new Set(cases.map((c) => c.case))).toEqual(new Set([1, 2, 3, 4]));
    const find = (re: RegExp, kernel = 'v5.10') =>
      cases.find((c) => re.test(c.scenario) && c.kernel === kernel)!;
    expect(find(/only pasid_info/)).toMatchObject({ ok: true, copied: 32 });
    expect(find(/pre-argsz v5\.8/)).toMatchObject({ ok: false, errno: 'EINVAL' });
    expect(find(/grew to 64 bytes/)).toMatchObject({ ok: true, copied: 56 });
    expect(find(/WPE/)).toMatchObject({ ok: false, errno: 'EINVAL' });
    expect(find(/WPE/, 'v5.13')).toMatchObject({ ok: true });
    expect(find(/more than the 32 mapped/)).toMatchObject({ ok: false, errno: 'EFAULT' });
    const text = await runUapiCli(['uapi', 'demo']);
    expect(text.stdout).toMatch(/Case 4: misbehaving user space/);
  });
});
