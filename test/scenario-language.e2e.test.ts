// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${...} is the scenario language under test, not a JS template
/**
 * The scenario language: `repeat` with an index, `as` names and `${name.field}` references,
 * checked at load (exit 4 with the path) and resolved when the command runs (the log records
 * the value used).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT } from '../cli/scenario/context.js';
import { runCli } from '../cli/scenario/run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'viommu-language-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(
  name: string,
  scenario: object,
): Promise<{ code: number; out: string; log: () => string[] }> {
  writeFileSync(join(dir, `${name}.scenario.json`), JSON.stringify(scenario));
  const r = await runCli(
    ['run', join(dir, `${name}.scenario.json`), '--no-golden', '--out', join(dir, 'out')],
    {
      cwd: dir,
    },
  );
  const log = () =>
    readFileSync(
      join(
        dir,
        'out',
        'lang',
        `${name}.${(scenario as { targets: { plugin: string }[] }).targets[0]!.plugin}.events.jsonl`,
      ),
      'utf8',
    )
      .trim()
      .split('\n');
  return { code: r.code, out: r.stdout + r.stderr, log };
}

const flat = (steps: object[]) => ({
  format: 'viommu-scenario',
  version: 1,
  id: 'lang/x',
  title: 'language',
  targets: [{ plugin: 'flat', devices: [{ name: 'd0', sid: 1 }] }],
  steps,
});

describe('repeat', () => {
  it('runs its step N times with ${i} and ${i:x} in data and expectations', async () => {
    const s = flat([
      {
        repeat: 3,
        as: 'i',
        step: { type: 'flat.map', data: { iova: '0x${i:x}000', pa: '0x2${i:x}000', perm: 3 } },
      },
      {
        repeat: 3,
        as: 'i',
        step: {
          type: 'device.dma.access',
          data: { device: 'd0', iova: '0x${i:x}010', access: 'r' },
          expect: { value: { out: '0x000000000002${i:x}010' } },
        },
      },
    ]);
    s.id = 'lang/repeat';
    const r = await run('repeat', s);
    expect(r.code, r.out).toBe(EXIT.OK);
    const commands = r
      .log()
      .map((l) => JSON.parse(l))
      .filter((x) => x.kind === 'command');
    expect(commands.map((c) => c.data.iova)).toEqual([
      '0x0000',
      '0x1000',
      '0x2000',
      '0x0010',
      '0x1010',
      '0x2010',
    ]);
  });

  it('a wrong expectation in round 2 names the round', async () => {
    const s = flat([
      { repeat: 2, as: 'i', step: { type: 'flat.map', data: { iova: '0x${i:x}000', pa: '0x5000' } } },
      {
        repeat: 3,
        as: 'i',
        step: {
          type: 'device.dma.access',
          data: { device: 'd0', iova: '0x${i:x}000', access: 'r' },
          expect: { ok: true, value: { fault: null } },
        },
      },
    ]);
    s.id = 'lang/repeat-fail';
    const r = await run('repeat-fail', s);
    expect(r.code).toBe(EXIT.MISMATCH);
    expect(r.out).toContain('steps[1].step (i=2) (device.dma.access, seq');
  });
});

describe('as and ${name.field}', () => {
  const vtd = (steps: object[], setupTail: object[] = []) => ({
    format: 'viommu-scenario',
    version: 1,
    id: 'lang/refs',
    title: 'references',
    targets: [
      {
        plugin: 'vtd',
        options: { mode: 'scalable' },
        devices: [{ name: 'd3', sid: 8 }],
        setup: [
          { type: 'vtd.root.set', data: {} },
          { type: 'vtd.domain.create', data: { did: 3, levels: 4 }, as: 'dom3' },
          { type: 'vtd.device.attach', data: { device: 'd3', did: 3, mode: 'sl' } },
          { type: 'vtd.pt.map', data: { table: 'sl', did: 3, iova: '0x1000', pa: '0x700000', perm: 'rw' } },
          ...setupTail,
        ],
      },
    ],
    steps,
  });

  it('a later step uses the table root the simulator assigned; the log records the address used', async () => {
    const dma = { type: 'device.dma.access', data: { device: 'd3', iova: '0x1000', access: 'r' } };
    const control = await run('control', vtd([{ ...dma, expect: { value: { out: '0x0000000000700000' } } }]));
    expect(control.code, control.out).toBe(EXIT.OK);
    const s = vtd([
      {
        label: 'clear the top-level entry',
        type: 'core.memory.write64',
        data: { addr: '${dom3.slptptr}', value: '0x0' },
      },
      { ...dma, expect: { value: { fault: 'TRANSLATION' } } },
    ]);
    const r = await run('refs', s);
    expect(r.code, r.out).toBe(EXIT.OK);
    const records = r.log().map((l) => JSON.parse(l));
    const create = records.find((x) => x.type === 'vtd.domain.create');
    const created = records.find((x) => x.type === 'core.command.completed' && x.cause === create.seq);
    const write = records.find((x) => x.type === 'core.memory.write64');
    expect(write.data.addr).toBe(created.data.value.slptptr);
    expect(write.data.addr).toMatch(/^0x[0-9a-f]{16}$/);
  });

  it('an unknown name is refused at load with its path (exit 4)', async () => {
    const r = await run(
      'unknown',
      vtd([{ type: 'core.memory.write64', data: { addr: '${dom9.slptptr}', value: '0x0' } }]),
    );
    expect(r.code).toBe(EXIT.INPUT);
    expect(r.out).toContain(
      'unknown.scenario.json: steps[0].data: "${dom9}" names no step result or repeat index',
    );
  });

  it('a reference before the step that defines it is refused at load (exit 4)', async () => {
    const r = await run(
      'early',
      vtd([
        { type: 'core.memory.write64', data: { addr: '${late.slptptr}', value: '0x0' } },
        { type: 'vtd.domain.create', data: { did: 7, levels: 4 }, as: 'late' },
      ]),
    );
    expect(r.code).toBe(EXIT.INPUT);
    expect(r.out).toContain(
      'early.scenario.json: steps[0].data: "${late}" is used before steps[1] defines it',
    );
  });

  it('a field the result does not have is refused when the step runs (exit 4, file and step)', async () => {
    const r = await run(
      'nofield',
      vtd([{ type: 'core.memory.write64', data: { addr: '${dom3.slptpr}', value: '0x0' } }]),
    );
    expect(r.code).toBe(EXIT.INPUT);
    expect(r.out).toMatch(
      /nofield\.scenario\.json: steps\[0\]\.data: \$\{dom3\.slptpr\}: the value of "dom3" has no "slptpr"/,
    );
  });
});

describe('expect keyed by target name', () => {
  const two = (expect: object) => ({
    format: 'viommu-scenario',
    version: 1,
    id: 'lang/per-target',
    title: 'one step, two targets, two expectations',
    targets: ['a', 'b'].map((name, i) => ({
      name,
      plugin: 'flat',
      devices: [{ name: 'd0', sid: 1 }],
      setup: [{ type: 'flat.map', data: { iova: '0x1000', pa: `0x${5 + i}000` } }],
    })),
    steps: [{ type: 'device.dma.access', data: { device: 'd0', iova: '0x1010', access: 'r' }, expect }],
  });

  it('gives each target its own expectation', async () => {
    const r = await run(
      'per-target',
      two({ a: { value: { out: '0x0000000000005010' } }, b: { value: { out: '0x0000000000006010' } } }),
    );
    expect(r.code, r.out).toBe(EXIT.OK);
    expect(r.out).toMatch(/PASS lang\/per-target@a[\s\S]*PASS lang\/per-target@b/);
  });

  it("judges each target by its own: b's wrong expectation fails b only", async () => {
    const r = await run(
      'per-target-wrong',
      two({ a: { value: { out: '0x0000000000005010' } }, b: { value: { out: '0x0000000000005010' } } }),
    );
    expect(r.code).toBe(EXIT.MISMATCH);
    expect(r.out).toMatch(/PASS lang\/per-target@a/);
    expect(r.out).toMatch(
      /FAIL lang\/per-target@b[\s\S]*expected value matching \{"out":"0x0000000000005010"\}/,
    );
  });

  it('a key that is neither a target nor an expectation key is refused with its path', async () => {
    const r = await run('per-target-typo', two({ a: { ok: true }, c: { ok: true } }));
    expect(r.code).toBe(EXIT.INPUT);
    expect(r.out).toContain(
      'per-target-typo.scenario.json: steps[0].expect.c: not a target of this scenario (a, b) nor an expectation key',
    );
    expect(r.out).not.toContain('expect.a');
  });
});
