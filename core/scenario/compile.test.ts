// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${...} is the scenario language, not a JS template
import { describe, expect, it } from 'vitest';
import { compileTarget, DIGEST_COMMAND, KEEP_COMPILED, planTarget } from './compile.js';
import { parseScenario } from './load.js';

/** A flat-plugin scenario of `rounds` DMA steps made by one repeat, checkpointed every 1000 commands. */
function repeated(rounds: number): ReturnType<typeof parseScenario> {
  return parseScenario(
    JSON.stringify({
      format: 'viommu-scenario',
      version: 1,
      id: 'compile/repeat',
      title: 'A long repeat',
      seed: 1,
      checkpointEvery: 1000,
      targets: [{ plugin: 'flat', devices: [{ name: 'd', sid: 1 }] }],
      steps: [
        {
          repeat: rounds,
          as: 'i',
          step: { type: 'device.dma.access', data: { device: 'd', iova: '0x${i:x}000', access: 'r' } },
        },
      ],
    }),
    'repeat.scenario.json',
  );
}

function all(it: Iterator<{ readonly origin: string; readonly type: string; readonly data: object }>) {
  const out: { origin: string; type: string; data: object }[] = [];
  for (let n = it.next(); !n.done; n = it.next()) out.push(n.value);
  return out;
}

describe('planTarget', () => {
  it('counts what it makes, and a plan past KEEP_COMPILED makes the same commands on every call', () => {
    const rounds = KEEP_COMPILED + 1500;
    const scenario = repeated(rounds);
    const plan = planTarget(scenario, scenario.targets[0]!);
    const first = all(plan.commands());
    expect(first).toHaveLength(plan.count);
    expect(plan.count).toBe(rounds + Math.floor(rounds / 1000));
    expect(first[1000]).toMatchObject({ type: DIGEST_COMMAND, origin: 'checkpoint after command 1000' });
    expect(first.filter((c) => c.type !== DIGEST_COMMAND).at(-1)).toMatchObject({
      origin: `steps[0].step (i=${rounds - 1})`,
      data: { iova: `0x${(rounds - 1).toString(16)}000` },
    });
    expect(all(plan.commands())).toEqual(first);
    expect(compileTarget(scenario, scenario.targets[0]!).commands).toEqual(first);
  });

  it('a short plan is the same list whichever way it is read', () => {
    const scenario = repeated(2500);
    const plan = planTarget(scenario, scenario.targets[0]!);
    expect(all(plan.commands())).toEqual(compileTarget(scenario, scenario.targets[0]!).commands);
    expect(plan.count).toBe(2502);
  });
});
