import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LogRecord } from '../events/log/records.js';
import { PluginHost } from '../plugin/host.js';
import { flatPlugin } from '../testing/flat-plugin.js';
import { SCENARIO_ERROR_CODES, ScenarioError } from './errors.js';
import { loadScenarioFile } from './load.js';
import { runTarget } from './runner.js';

const dir = mkdtempSync(join(tmpdir(), 'viommu-steps-'));
const host = new PluginHost().use(flatPlugin);

const map = { type: 'flat.map', data: { iova: '0x100000', pa: '0x200000', pages: 16, perm: 3 } };
const access = (i: number) => ({
  type: 'device.dma.access',
  data: { device: 'nic', iova: `0x${(0x100000 + (i % 16) * 4096).toString(16)}`, access: 'r' },
});

/** A scenario whose steps are `steps` inline, or the same steps in a stepsFile. */
function scenario(name: string, steps: object[], inFile: boolean, fileText?: string): string {
  const s: Record<string, unknown> = {
    format: 'viommu-scenario',
    version: 1,
    id: name,
    title: name,
    seed: 3,
    targets: [{ plugin: 'flat', options: { cacheEntries: 8 }, devices: [{ name: 'nic', sid: 1 }] }],
  };
  if (inFile) {
    writeFileSync(
      join(dir, `${name}.steps.jsonl`),
      fileText ?? steps.map((x) => `${JSON.stringify(x)}\n`).join(''),
    );
    s.stepsFile = `${name}.steps.jsonl`;
  } else s.steps = steps;
  const file = join(dir, `${name}.scenario.json`);
  writeFileSync(file, JSON.stringify(s));
  return file;
}

function records(file: string): LogRecord[] {
  const out: LogRecord[] = [];
  const s = loadScenarioFile(file);
  runTarget(host, s, s.targets[0]!, { sinks: [{ append: (r) => out.push(r) }] });
  return out;
}

describe('a stepsFile', () => {
  const steps = [
    map,
    ...Array.from({ length: 500 }, (_, i) => access(i)),
    { ...access(3), expect: { value: { hit: true } } },
  ];

  it('runs exactly as the same steps inline', () => {
    const inline = records(scenario('inline', steps, false));
    const streamed = records(scenario('streamed', steps, true));
    expect(streamed.length).toBeGreaterThan(1000);
    expect(streamed).toEqual(inline);
  });

  it('names the file and the line of a bad step (exit 4 errors)', () => {
    const bad = [
      map,
      access(1),
      { type: 'device.dma.access', data: { device: 'gpu', iova: '0x1', access: 'r' } },
    ];
    expect(() => records(scenario('bad-device', bad, true))).toThrow(
      /bad-device\.steps\.jsonl.*line 3.*device "gpu"/,
    );
    const text = `${JSON.stringify(map)}\n{"type": "device.dma.access",\n`;
    expect(() => records(scenario('bad-json', [], true, text))).toThrow(
      /bad-json\.steps\.jsonl.*line 2.*not valid JSON/,
    );
    const extra = [map, { ...access(1), typo: 1 }];
    expect(() => records(scenario('bad-key', extra, true))).toThrow(/bad-key\.steps\.jsonl line 2/);
  });

  it('checks each line against the catalog before it runs, naming the file, the line and the field', () => {
    const run = (name: string, line: object) => {
      const seen: LogRecord[] = [];
      const s = loadScenarioFile(scenario(name, [map, access(1), line, access(2)], true));
      let error: unknown;
      try {
        runTarget(host, s, s.targets[0]!, { sinks: [{ append: (r) => seen.push(r) }] });
      } catch (e) {
        error = e;
      }
      // Refused as the run reached it: the two lines before ran, this one and the next did not.
      expect(seen.filter((r) => r.kind === 'command').map((r) => r.type)).toEqual([
        'flat.map',
        'device.dma.access',
      ]);
      expect(error).toBeInstanceOf(ScenarioError);
      expect((error as ScenarioError).code).toBe(SCENARIO_ERROR_CODES.INVALID);
      return (error as Error).message;
    };
    expect(
      run('bad-field', { type: 'device.dma.access', data: { device: 'nic', iova: '0x1g', access: 'r' } }),
    ).toMatch(/bad-field\.steps\.jsonl.*line 3\.data\.iova: .*"0x1g"/);
    expect(run('bad-type', { type: 'flat.mapp', data: {} })).toMatch(
      /bad-type\.steps\.jsonl.*line 3\.type: unknown flat command "flat\.mapp"/,
    );
    expect(run('missing-field', { type: 'flat.map', data: { iova: '0x1000' } })).toMatch(
      /missing-field\.steps\.jsonl.*line 3\.data/,
    );
  });

  it('reads a last line without its newline', () => {
    const text = `${JSON.stringify(map)}\n${JSON.stringify(access(1))}`;
    const r = records(scenario('no-newline', [], true, text));
    expect(r.filter((x) => x.kind === 'command')).toHaveLength(2);
  });
});
