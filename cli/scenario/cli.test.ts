import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { resealText } from '../../core/events/log/line-seal.js';
import { readLogBytes } from '../../core/replay/log-io.js';
import { EXIT } from './context.js';
import { runCli } from './run-cli.js';

const SCENARIO = {
  format: 'viommu-scenario',
  version: 1,
  id: 'cli/basic',
  title: 'map, translate, fault',
  checkpointEvery: 2,
  targets: [
    {
      plugin: 'flat',
      devices: [{ name: 'd0', sid: 1 }],
      setup: [{ type: 'flat.map', data: { iova: '0x1000', pa: '0x5000' } }],
    },
  ],
  steps: [
    {
      type: 'device.dma.access',
      data: { device: 'd0', iova: '0x1008', access: 'r' },
      expect: { value: { out: '0x0000000000005008' } },
    },
    {
      type: 'device.dma.access',
      data: { device: 'd0', iova: '0x9000', access: 'r' },
      expect: { value: { fault: 'TRANSLATION' } },
    },
    { workload: { kind: 'random', seed: 3, device: 'd0', iova: '0x1000', pages: 1, count: 50 } },
  ],
  expect: { stats: { translations: 52, faults: 1 } },
};

let dir: string;
let scenarioFile: string;
let jsonl: string;
let bin: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'viommu-cli-'));
  scenarioFile = join(dir, 'basic.scenario.json');
  writeFileSync(scenarioFile, JSON.stringify(SCENARIO));
  const r1 = await runCli(['run', scenarioFile, '--out', join(dir, 'out'), '--no-golden']);
  expect(r1.code, r1.stdout + r1.stderr).toBe(EXIT.OK);
  const r2 = await runCli([
    'run',
    scenarioFile,
    '--out',
    join(dir, 'bin'),
    '--format',
    'binary',
    '--no-golden',
  ]);
  expect(r2.code, r2.stdout + r2.stderr).toBe(EXIT.OK);
  jsonl = join(dir, 'out', 'cli', 'basic.flat.events.jsonl');
  bin = join(dir, 'bin', 'cli', 'basic.flat.events.bin');
});

describe('viommu run', () => {
  test('prints a per-plugin summary and where the logs went', async () => {
    const r = await runCli(['run', scenarioFile, '--out', join(dir, 'out2'), '--no-golden']);
    expect(r.code).toBe(EXIT.OK);
    expect(r.stdout).toMatch(/PASS cli\/basic@flat/);
    expect(r.stdout).toMatch(/flat\s+1\s+1\s+0\s+0/);
    expect(r.stdout).toContain(`logs: ${join(dir, 'out2')}`);
  });

  test('--update writes a golden, later runs match it, and a changed golden is a mismatch (exit 1)', async () => {
    expect((await runCli(['run', scenarioFile, '--update', '--out', join(dir, 'o3')])).code).toBe(EXIT.OK);
    const golden = join(dir, 'basic.flat.events.jsonl');
    const ok = await runCli(['run', scenarioFile, '--json', '--out', join(dir, 'o3')]);
    expect(JSON.parse(ok.stdout).runs[0].golden).toBe('match');
    const text = readFileSync(golden, 'utf8').replace(
      '"out":"0x0000000000005008"',
      '"out":"0x0000000000005009"',
    );
    // Edited without re-sealing: the golden is refused as damaged (exit 4), never compared.
    writeFileSync(golden, text);
    const damaged = await runCli(['run', scenarioFile, '--json', '--out', join(dir, 'o3')]);
    expect(damaged.code).toBe(EXIT.INPUT);
    expect(JSON.parse(damaged.stdout).runs[0].failures[0]).toMatch(
      /basic\.flat\.events\.jsonl line \d+: seal mismatch/,
    );
    writeFileSync(golden, resealText(text));
    const bad = await runCli(['run', scenarioFile, '--json', '--out', join(dir, 'o3')]);
    expect(bad.code).toBe(EXIT.MISMATCH);
    const run = JSON.parse(bad.stdout).runs[0];
    expect(run.golden).toBe('mismatch');
    expect(run.divergence.type).toBe('core.command.completed');
    expect(run.divergence.field).toBe('data.value.out');
    expect(run.divergence.cause.type).toBe('device.dma.access');
  });

  test('a failed expectation exits 1 and names the step', async () => {
    const f = join(dir, 'wrong.scenario.json');
    const s = structuredClone(SCENARIO) as { steps: { expect?: object }[] };
    s.steps[0].expect = { value: { out: '0x0000000000006008' } };
    writeFileSync(f, JSON.stringify(s));
    const r = await runCli(['run', f, '--no-golden', '--out', join(dir, 'o4')]);
    expect(r.code).toBe(EXIT.MISMATCH);
    expect(r.stdout).toMatch(/steps\[0\].*expected value matching/);
  });

  test('a scenario with a wrong field exits 4 naming the file and the field', async () => {
    const f = join(dir, 'bad.scenario.json');
    const s = structuredClone(SCENARIO) as { steps: { data?: { iova?: unknown } }[] };
    s.steps[1].data!.iova = 4096;
    writeFileSync(f, JSON.stringify(s));
    const r = await runCli(['run', f, '--no-golden']);
    expect(r.code).toBe(EXIT.INPUT);
    expect(r.stdout).toContain(
      'bad.scenario.json: steps[1].data.iova: expected a 64-bit value as "0x..." hex (up to 16 digits), got 4096',
    );
  });

  test('a scenario with a missing field and one that is not JSON exit 4', async () => {
    const f = join(dir, 'missing.scenario.json');
    const { title: _t, ...noTitle } = SCENARIO;
    writeFileSync(f, JSON.stringify(noTitle));
    const r = await runCli(['run', f, '--json']);
    expect(r.code).toBe(EXIT.INPUT);
    expect(JSON.parse(r.stdout).runs[0].failures[0]).toContain(
      'missing.scenario.json: title: expected a string, got nothing',
    );
    writeFileSync(f, '{ "format": ');
    const r2 = await runCli(['run', f]);
    expect(r2.code).toBe(EXIT.INPUT);
    expect(r2.stdout).toMatch(/not valid JSON/);
  });

  test('usage errors exit 2 and --help exits 0', async () => {
    expect((await runCli(['run'])).code).toBe(EXIT.USAGE);
    expect((await runCli(['run', scenarioFile, '--format', 'xml'])).code).toBe(EXIT.USAGE);
    const help = await runCli(['replay', '--help']);
    expect(help.code).toBe(EXIT.OK);
    expect(help.stdout).toMatch(/Replay logs/);
  });

  test('writes a JUnit report', async () => {
    const junit = join(dir, 'junit.xml');
    await runCli(['run', scenarioFile, '--no-golden', '--junit', junit, '--out', join(dir, 'o5')]);
    expect(readFileSync(junit, 'utf8')).toMatch(
      /<testcase classname="flat" name="cli\/basic@flat" file="[^"]*basic\.scenario\.json" time="\d+\.\d{3}"\/>/,
    );
  });

  test('a target whose plugin is not loaded is skipped; if all are, exit 3', async () => {
    const f = join(dir, 'other.scenario.json');
    writeFileSync(
      f,
      JSON.stringify({
        ...SCENARIO,
        targets: [{ ...SCENARIO.targets[0], plugin: 'nosuch', setup: [] }],
        steps: [],
      }),
    );
    const r = await runCli(['run', f, '--no-golden']);
    expect(r.stdout).toMatch(/SKIP/);
    expect(r.code).toBe(EXIT.PLUGIN);
  });
});

describe('viommu replay / diff / inspect', () => {
  test('both formats replay, with checkpoints verified', async () => {
    for (const log of [jsonl, bin]) {
      const r = await runCli(['replay', log, '--json']);
      expect(r.code, r.stdout).toBe(EXIT.OK);
      const res = JSON.parse(r.stdout).results[0];
      expect(res.ok).toBe(true);
      expect(res.checkpoints).toBe(2);
    }
  });

  test('an altered record is reported as the first divergence at that record (exit 1)', async () => {
    const lines = readFileSync(jsonl, 'utf8').split('\n');
    const i = lines.findIndex((l) => l.includes('workload.dma.completed'));
    lines[i] = lines[i].replace(/"hits":(\d+)/, (_m, n) => `"hits":${Number(n) + 1}`);
    const f = join(dir, 'altered.events.jsonl');
    writeFileSync(f, lines.join('\n'));
    const refused = await runCli(['replay', f]);
    expect(refused.code).toBe(EXIT.INPUT);
    expect(refused.stderr).toContain(`altered.events.jsonl line ${i + 1}: seal mismatch`);
    writeFileSync(f, resealText(lines.join('\n')));
    const r = await runCli(['replay', f]);
    expect(r.code).toBe(EXIT.MISMATCH);
    expect(r.stdout).toContain(`first divergence at seq ${i}`);
    expect(r.stdout).toMatch(/field data\.hits/);
    expect(r.stdout).toMatch(/caused by command seq \d+: workload\.dma\.run/);
    const d = await runCli(['diff', jsonl, f, '--json']);
    expect(d.code).toBe(EXIT.MISMATCH);
    expect(JSON.parse(d.stdout).divergence.seq).toBe(i);
    expect((await runCli(['diff', jsonl, bin])).code).toBe(EXIT.OK);
    // A binary second log is compared encoded: the same divergence, found from the other side.
    const db = await runCli(['diff', f, bin, '--json']);
    expect(db.code).toBe(EXIT.MISMATCH);
    expect(JSON.parse(db.stdout).divergence).toMatchObject({ seq: i, field: 'data.hits' });
  });

  test('bad logs exit 4 with a message naming where: truncated, flipped byte, newer version, missing file', async () => {
    const text = readFileSync(jsonl, 'utf8');
    const cut = join(dir, 'cut.events.jsonl');
    writeFileSync(cut, text.slice(0, text.length - 20));
    const r1 = await runCli(['replay', cut]);
    expect(r1.code).toBe(EXIT.INPUT);
    expect(r1.stderr).toMatch(/cut\.events\.jsonl line \d+/);

    const bytes = readFileSync(bin);
    bytes[bytes.length - 40] ^= 0x10;
    const flipped = join(dir, 'flipped.events.bin');
    writeFileSync(flipped, bytes);
    const r2 = await runCli(['replay', flipped]);
    expect(r2.code).toBe(EXIT.INPUT);
    expect(r2.stderr).toMatch(/flipped\.events\.bin record seq \d+/);
    const d2 = await runCli(['diff', jsonl, flipped]);
    expect(d2.code).toBe(EXIT.INPUT);
    expect(d2.stderr).toMatch(/flipped\.events\.bin record seq \d+/);

    const newer = join(dir, 'newer.events.jsonl');
    writeFileSync(newer, resealText(text.replace('"formatVersion":1', '"formatVersion":2')));
    const r3 = await runCli(['replay', newer, '--json']);
    expect(r3.code).toBe(EXIT.INPUT);
    expect(JSON.parse(r3.stdout).results[0].error.code).toBe('VIOMMU_ERR_LOG_VERSION');

    const r4 = await runCli(['inspect', join(dir, 'nope.events.jsonl')]);
    expect(r4.code).toBe(EXIT.INPUT);
  });

  test('an unknown event type in a log is reported as the divergence at its line', async () => {
    const lines = readFileSync(jsonl, 'utf8').split('\n');
    lines[4] = lines[4].replace('"type":"core.command.completed"', '"type":"core.command.completd"');
    const f = join(dir, 'unknown.events.jsonl');
    writeFileSync(f, resealText(lines.join('\n')));
    const r = await runCli(['replay', f]);
    expect(r.code).toBe(EXIT.MISMATCH);
    expect(r.stdout).toMatch(
      /first divergence at seq 4 \(JSON Lines line 5\), type core\.command\.completd, field type/,
    );
  });

  test('snapshots: run and replay write one per checkpoint, replay --from starts at one', async () => {
    const snaps = join(dir, 'snaps');
    const r = await runCli(['run', scenarioFile, '--no-golden', '--snapshots', snaps, '--json']);
    expect(r.code, r.stderr).toBe(EXIT.OK);
    const files: string[] = JSON.parse(r.stdout).runs[0].snapshots;
    expect(files.length).toBe(2);
    const from = await runCli(['replay', jsonl, '--from', files[1]]);
    expect(from.code, from.stderr).toBe(EXIT.OK);
    expect(from.stdout).toMatch(/records reproduced after the snapshot at seq \d+/);
    // The same start from the binary log of the run, read record by record and compared encoded.
    const fromBin = await runCli(['replay', bin, '--from', files[1], '--json']);
    expect(fromBin.code, fromBin.stderr).toBe(EXIT.OK);
    const res = JSON.parse(fromBin.stdout).results[0];
    // records counts what was reproduced: the records after the snapshot.
    expect(res.startSeq).toBeGreaterThan(0);
    expect(res.startSeq + res.records).toBe(readLogBytes(readFileSync(bin), bin).records.length);
    const again = join(dir, 'snaps-replay');
    expect((await runCli(['replay', bin, '--snapshots', again])).code).toBe(EXIT.OK);
    expect(readFileSync(join(again, basename(files[1])))).toEqual(readFileSync(files[1]));
    const shown = await runCli(['inspect', files[1], '--json']);
    expect(shown.code).toBe(EXIT.OK);
    expect(JSON.parse(shown.stdout)).toMatchObject({ run: 'cli/basic@flat', units: ['flat0'] });
  });

  test('a bad snapshot exits 4 naming it; --from with two logs exits 2', async () => {
    const snaps = join(dir, 'snaps-bad');
    const r = await runCli(['run', scenarioFile, '--no-golden', '--snapshots', snaps, '--json']);
    const file: string = JSON.parse(r.stdout).runs[0].snapshots[0];
    const bytes = readFileSync(file);
    bytes[bytes.length >> 1] ^= 1;
    const damaged = join(dir, 'damaged.snap');
    writeFileSync(damaged, bytes);
    const bad = await runCli(['replay', jsonl, '--from', damaged]);
    expect(bad.code).toBe(EXIT.INPUT);
    expect(bad.stderr).toMatch(/damaged.snap at byte \d+: checksum mismatch/);
    const missing = await runCli(['replay', jsonl, '--from', join(dir, 'none.snap'), '--json']);
    expect(missing.code).toBe(EXIT.INPUT);
    expect(JSON.parse(missing.stdout).results[0].error.code).toBe('VIOMMU_ERR_INPUT');
    const two = await runCli(['replay', jsonl, bin, '--from', file]);
    expect(two.code).toBe(EXIT.USAGE);
    expect(two.stderr).toMatch(/--from takes exactly one log/);
  });

  test('inspect summarises and filters by type and device', async () => {
    const r = await runCli(['inspect', bin, '--type', 'device', '--device', 'd0', '--json']);
    expect(r.code).toBe(EXIT.OK);
    const j = JSON.parse(r.stdout);
    expect(j.summary.types['device.dma.access']).toBe(2);
    expect(j.matching).toBe(2);
    expect(j.records.every((x: { type: string }) => x.type === 'device.dma.access')).toBe(true);
    const t = await runCli(['inspect', jsonl]);
    expect(t.stdout).toMatch(/scenario cli\/basic@flat/);
  });

  test('inspect text shows architectural codes in hex, --json keeps numbers', async () => {
    const golden = join(process.cwd(), 'scenarios', 'vtd', 'translation', 'first-level.vtd.events.jsonl');
    const t = await runCli(['inspect', golden, '--type', 'vtd.fault.recorded']);
    expect(t.code).toBe(EXIT.OK);
    expect(t.stdout).toMatch(/"reason":"0x81","reasonName":"SM_US_CLEAR_USER_REQUEST","sid":256/);
    const j = await runCli(['inspect', golden, '--type', 'vtd.fault.recorded', '--json']);
    const rec = JSON.parse(j.stdout).records[0] as { data: { reason: unknown } };
    expect(rec.data.reason).toBe(0x81);
  });
});
