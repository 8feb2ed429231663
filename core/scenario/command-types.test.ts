/**
 * Bad command data, family by family: each is refused before a run with the
 * file and the JSON path of the field in the message (exit 4 in the CLI).
 */
import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../plugin/contract.js';
import { PluginHost } from '../plugin/host.js';
import { flatPlugin } from '../testing/flat-plugin.js';
import { checkScenarioCommands } from './command-types.js';
import { ScenarioError } from './errors.js';
import { runTarget } from './runner.js';
import { validateScenario } from './validate.js';

const FILE = 'scenarios/x.scenario.json';

function doc(over: { steps?: unknown[]; setup?: unknown[]; templates?: JsonObject; plugin?: string }) {
  return {
    format: 'viommu-scenario',
    version: 1,
    title: 'bad command data',
    targets: [
      {
        plugin: over.plugin ?? 'flat',
        devices: [{ name: 'nic', sid: 16 }],
        setup: over.setup ?? [{ type: 'flat.map', data: { iova: '0x1000', pa: '0x2000' } }],
        templates: over.templates ?? { map: [{ type: 'flat.map', data: { iova: '$iova', pa: '$pa' } }] },
      },
    ],
    steps: over.steps ?? [
      { type: 'device.dma.access', data: { device: 'nic', iova: '0x1000', access: 'r' } },
    ],
  };
}

function host(): PluginHost {
  return new PluginHost().use(flatPlugin);
}

/** The message of the error checking `raw` throws, or '' when it passes. */
function refusal(raw: unknown, h = host()): string {
  try {
    checkScenarioCommands(validateScenario(raw, FILE), h);
    return '';
  } catch (e) {
    expect(e).toBeInstanceOf(ScenarioError);
    return (e as Error).message;
  }
}

const dma = (data: JsonObject) => ({ type: 'device.dma.access', data });

describe('command data refused before a run, with file and JSON path', () => {
  it('accepts the base scenario', () => {
    expect(refusal(doc({}))).toBe('');
  });

  it.each([
    [
      'an unknown core type',
      { steps: [{ type: 'core.memory.wrte', data: {} }] },
      `${FILE}: steps[0].type: unknown command type "core.memory.wrte"`,
    ],
    [
      "an unknown type of the target's plugin",
      { steps: [{ type: 'flat.tlb.flsh', data: {} }] },
      `${FILE}: steps[0].type: unknown flat command "flat.tlb.flsh" (known: flat.map, flat.unmap, flat.tlb.flush, flat.crash.now)`,
    ],
    [
      'a missing field',
      { steps: [dma({ device: 'nic', access: 'r' })] },
      `${FILE}: steps[0].data.iova: missing (expected a 64-bit value as "0x..." hex (up to 16 digits))`,
    ],
    [
      'an unknown (misspelled) field',
      { steps: [dma({ device: 'nic', iova: '0x1000', access: 'r', pasdi: 1 })] },
      `${FILE}: steps[0].data.pasdi: unknown field (allowed: device, iova, access, pasid, ats)`,
    ],
    [
      'a bad hex digit',
      { steps: [dma({ device: 'nic', iova: '0x1g', access: 'r' })] },
      `${FILE}: steps[0].data.iova: expected a 64-bit value as "0x..." hex (up to 16 digits), got "0x1g"`,
    ],
    [
      'a hex value wider than 64 bits',
      { steps: [dma({ device: 'nic', iova: '0x10000000000000000', access: 'r' })] },
      `${FILE}: steps[0].data.iova: expected a 64-bit value as "0x..." hex (up to 16 digits), got "0x10000000000000000"`,
    ],
    [
      'a negative number',
      { steps: [{ type: 'core.clock.advance', data: { ns: -1 } }] },
      `${FILE}: steps[0].data.ns: expected an integer in [0, 9007199254740991], got -1`,
    ],
    [
      'a number out of range',
      { steps: [dma({ device: 'nic', iova: '0x1000', access: 'r', pasid: 0x100000 })] },
      `${FILE}: steps[0].data.pasid: expected an integer in [-1, 1048575], got 1048576`,
    ],
    [
      'a number that is not finite (1e400 parses as Infinity)',
      { steps: [{ type: 'core.clock.advance', data: { ns: JSON.parse('1e400') } }] },
      `${FILE}: steps[0].data.ns: expected an integer in [0, 9007199254740991], got Infinity`,
    ],
    [
      'an unknown access letter (no longer dropped silently)',
      { steps: [dma({ device: 'nic', iova: '0x1000', access: 'rq' })] },
      `${FILE}: steps[0].data.access: expected access letters from "rwxp", got "rq"`,
    ],
    [
      'a device the target does not declare',
      { steps: [{ type: 'uapi.fault.register', data: { device: 'gpu' } }] },
      `${FILE}: steps[0].data.device: unknown device "gpu" (targets[0] "flat" declares: nic)`,
    ],
    [
      'a bad field in a setup step',
      { setup: [{ type: 'flat.map', data: { iova: '0x1000', pa: '0x2000', perm: 9 } }] },
      `${FILE}: targets[0].setup[0].data.perm: expected an integer in [0, 7], got 9`,
    ],
    [
      'a bad type in a template no step uses',
      { templates: { spare: [{ type: 'flat.tlb.flsh', data: {} }] } },
      `${FILE}: targets[0].templates.spare[0].type: unknown flat command "flat.tlb.flsh"`,
    ],
    [
      'a bad literal in a template',
      { templates: { map: [{ type: 'flat.map', data: { iova: '$iova', pa: 4096 } }] } },
      `${FILE}: targets[0].templates.map[0].data.pa: expected an address below 2^53 as "0x..." hex, got 4096`,
    ],
    [
      "a bad value given through a template use's `with`",
      { steps: [{ use: 'map', with: { iova: 'oops', pa: '0x2000' } }] },
      `${FILE}: steps[0].with.iova: expected an address below 2^53 as "0x..." hex, got "oops"`,
    ],
    [
      'a bad workload field',
      {
        steps: [
          {
            workload: {
              kind: 'streaming',
              seed: 1,
              device: 'nic',
              iova: '0x1000',
              pages: 1,
              count: 1,
              access: 'q',
            },
          },
        ],
      },
      `${FILE}: steps[0].workload.access: expected access letters from "rwxp", got "q"`,
    ],
    [
      'a cross-field rule (payload given both ways)',
      { steps: [{ type: 'uapi.cache.invalidate', data: { device: 'nic', hex: '00', uptr: '0x1000' } }] },
      `${FILE}: steps[0].data.uptr: give either "hex" or "uptr", not both`,
    ],
  ])('%s', (_, over, message) => {
    expect(refusal(doc(over as never))).toContain(message);
  });

  it('reports every bad field of the file at once', () => {
    const m = refusal(
      doc({
        steps: [
          dma({ device: 'nic', iova: '0x1g', access: 'r' }),
          { type: 'core.clock.advance', data: { ns: -1 } },
        ],
      }),
    );
    expect(m.split('\n')).toEqual([
      `${FILE}: steps[0].data.iova: expected a 64-bit value as "0x..." hex (up to 16 digits), got "0x1g"`,
      `${FILE}: steps[1].data.ns: expected an integer in [0, 9007199254740991], got -1`,
    ]);
  });

  it("leaves a plugin's scope alone when the plugin is not loaded, but not the core's commands", () => {
    const raw = doc({
      plugin: 'vtd',
      setup: [{ type: 'vtd.root.set', data: { bogus: 1 } }],
      templates: {},
      steps: [dma({ device: 'nic', iova: '0x1g', access: 'r' })],
    });
    const m = refusal(raw);
    expect(m).toBe(
      `${FILE}: steps[0].data.iova: expected a 64-bit value as "0x..." hex (up to 16 digits), got "0x1g"`,
    );
  });

  it('runs nothing: runTarget refuses before the first command', () => {
    const scenario = validateScenario(
      doc({
        steps: [
          { type: 'core.clock.advance', data: { ns: 5 } },
          { type: 'core.clock.advance', data: { ns: -5 } },
        ],
      }),
      FILE,
    );
    let records = 0;
    expect(() =>
      runTarget(host(), scenario, scenario.targets[0]!, { sinks: [{ append: () => void records++ }] }),
    ).toThrow(`${FILE}: steps[1].data.ns`);
    expect(records).toBe(0);
  });
});
