/**
 * A plugin's exception is a plugin error, never an errno: whatever the step
 * expected (EINVAL, ok: false, a value), the target's result is "error", the
 * run exits 3, the other target runs and reports, and the failing target's
 * log ends with the failed command and a `core.plugin.failed` record.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { instanceCachingFactory } from 'tsyringe';
import { describe, expect, test } from 'vitest';
import { type AnyCommandSpec, defineCommand } from '../../core/command/catalog.js';
import type { LogRecord } from '../../core/events/log/records.js';
import type { TranslationRequest, TranslationResult } from '../../core/model/translation.js';
import { CONTRACT_VERSION, type IommuUnit, type JsonObject } from '../../core/plugin/contract.js';
import { definePlugin } from '../../core/plugin/define-plugin.js';
import { resolve, TOKENS } from '../../core/plugin/tokens.js';
import { FLAT_COMMANDS, FlatUnit, flatPlugin } from '../../core/testing/flat-plugin.js';
import type { VendorOps } from '../../core/uapi/vendor-ops.js';
import { EXIT } from './context.js';
import { runCli } from './run-cli.js';

type Site = 'translate' | 'uapi' | 'command';

/** "crashy": the flat plugin under another name, whose code throws at `crashIn`. */
type CrashyUnit = IommuUnit & { readonly inner: FlatUnit; readonly crashIn: Site };

function crashyUnit(inner: FlatUnit, crashIn: Site): CrashyUnit {
  const boom = (where: string): never => {
    throw new Error(`crashy: ${where} exploded`);
  };
  const ops: VendorOps = {};
  for (const [name, op] of Object.entries(inner.ops)) {
    (ops as Record<string, unknown>)[name] =
      crashIn === 'uapi' ? () => boom(name) : (op as (...a: unknown[]) => unknown).bind(inner.ops);
  }
  return {
    inner,
    crashIn,
    id: inner.id,
    plugin: 'crashy',
    ops,
    capabilities: () => inner.capabilities(),
    addDevice: (d) => inner.addDevice(d),
    translate: (req: TranslationRequest, out: TranslationResult) =>
      crashIn === 'translate' ? boom('translate') : inner.translate(req, out),
    pageRequest: (d, r) => inner.pageRequest(d, r),
    stats: () => inner.stats(),
    digestState: () => inner.digestState(),
  };
}

/** flat's commands under the crashy scope; crashy.tlb.flush throws when crashIn is "command". */
const CRASHY_COMMANDS = FLAT_COMMANDS.map((spec) => {
  const type = spec.type.replace(/^flat\./, 'crashy.');
  return defineCommand(type, {
    doc: spec.doc,
    fields: spec.fields,
    handler: (u: CrashyUnit, d) => {
      if (u.crashIn === 'command' && type === 'crashy.tlb.flush') throw new Error(`crashy: ${type} exploded`);
      return (spec as AnyCommandSpec<FlatUnit>).handler(u.inner, d);
    },
  });
});

const crashyPlugin = definePlugin<{ crashIn: Site }, CrashyUnit>({
  meta: { name: 'crashy', version: '0.1.0', contractVersion: CONTRACT_VERSION, description: 'throws' },
  commands: CRASHY_COMMANDS,
  parseOptions: (raw) => ({ crashIn: (raw as { crashIn: Site }).crashIn }),
  register(container, options) {
    container.register(TOKENS.Unit, {
      useFactory: instanceCachingFactory((c) =>
        crashyUnit(
          new FlatUnit(
            resolve(c, TOKENS.UnitIdentity).id,
            resolve(c, TOKENS.Events),
            resolve(c, TOKENS.Faults),
            {
              cacheEntries: 16,
              noUapi: false,
            },
          ),
          options.crashIn,
        ),
      ),
    });
  },
});

/** Domain-wide IOTLB invalidation: argsz 16, version 1, cache IOTLB, granularity domain. */
const INVALIDATE = '10000000010000000100000000000000';

const EXPECTATIONS = {
  errno: { errno: 'EINVAL' },
  'ok: false': { ok: false },
  value: { value: { copied: 16 } },
} as const;

/** The step that crashes at `site`, with expectation `expect`, between two harmless ones. */
function scenario(site: Site, expect: JsonObject) {
  const crashing = {
    translate: { type: 'device.dma.access', data: { device: 'd0', iova: '0x1008', access: 'r' } },
    uapi: { type: 'uapi.cache.invalidate', data: { device: 'd0', hex: INVALIDATE } },
    command: { use: 'flush' },
  }[site];
  const target = (plugin: string, options?: JsonObject) => ({
    plugin,
    ...(options ? { options } : {}),
    devices: [{ name: 'd0', sid: 1 }],
    setup: [{ type: `${plugin}.map`, data: { iova: '0x1000', pa: '0x5000' } }],
    templates: { flush: [{ type: `${plugin}.tlb.flush`, data: {} }] },
  });
  return {
    format: 'viommu-scenario',
    version: 1,
    id: `crash/${site}`,
    title: `a plugin that throws in ${site}`,
    targets: [target('crashy', { crashIn: site }), target('flat')],
    steps: [
      { type: 'core.clock.advance', data: { ns: 5 } },
      { ...crashing, expect },
      { type: 'core.clock.advance', data: { ns: 7 } },
    ],
  };
}

const readLog = (path: string): LogRecord[] =>
  readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    // The end line closes the log (line-seal.ts); the records are the lines before it.
    .filter((l) => !l.startsWith('{"kind":"end"'))
    .map((l) => JSON.parse(l) as LogRecord);

describe('a plugin that throws', () => {
  const sites: Site[] = ['translate', 'uapi', 'command'];
  for (const site of sites) {
    for (const [kind, want] of Object.entries(EXPECTATIONS)) {
      test(`in ${site}, with a step expecting ${kind}: exit 3, the other target kept`, async () => {
        const dir = mkdtempSync(join(tmpdir(), 'viommu-crash-'));
        const file = join(dir, 'crash.scenario.json');
        writeFileSync(file, JSON.stringify(scenario(site, want)));
        const out = join(dir, 'out');
        const r = await runCli(['run', file, '--out', out, '--no-golden', '--json'], {
          plugins: [flatPlugin, crashyPlugin],
          cwd: dir,
        });
        expect(r.code, r.stdout + r.stderr).toBe(EXIT.PLUGIN);
        const report = JSON.parse(r.stdout) as {
          ok: boolean;
          runs: { target: string; status: string; failures: string[]; log: string | null }[];
        };
        expect(report.ok).toBe(false);
        const [crashy, flat] = report.runs;
        expect(crashy).toMatchObject({ target: 'crashy', status: 'error' });
        const where = site === 'uapi' ? 'cacheInvalidate' : site === 'command' ? 'crashy.tlb.flush' : site;
        expect(crashy!.failures).toEqual([
          expect.stringMatching(
            new RegExp(
              `^crash\\.scenario\\.json: steps\\[1\\] \\(.*, seq \\d+\\): plugin error: plugin "crashy" threw: crashy: ${where.replace(/\./g, '\\.')} exploded$`,
            ),
          ),
        ]);
        // The healthy target ran every step and judged them: only the expectation that does not
        // fit a working flush/DMA/invalidation can fail there, never with exit 3.
        expect(flat!.target).toBe('flat');
        expect(['passed', 'failed']).toContain(flat!.status);
        expect(flat!.log).not.toBeNull();
        const flatLog = readLog(join(out, 'crash', `${site}.flat.events.jsonl`));
        expect(flatLog.filter((x) => x.kind === 'command')).toHaveLength(4);

        // The failing target's log: up to and including the failed command, then the failure record.
        const log = readLog(join(out, 'crash', `${site}.crashy.events.jsonl`));
        const commands = log.filter((x) => x.kind === 'command');
        expect(commands.map((c) => c.type)).toEqual([
          'crashy.map',
          'core.clock.advance',
          site === 'command' ? 'crashy.tlb.flush' : (scenario(site, {}).steps[1] as { type: string }).type,
        ]);
        const last = log.at(-1)!;
        expect(last).toMatchObject({
          kind: 'event',
          type: 'core.plugin.failed',
          cause: commands.at(-1)!.seq,
          data: {
            plugin: 'crashy',
            unit: 'crashy0',
            code: 'VIOMMU_ERR_PLUGIN_THREW',
            message: `crashy: ${where} exploded`,
          },
        });
        const crashed = commands.at(-1)!.seq;
        expect(log.filter((x) => x.kind === 'event' && x.cause === crashed).map((x) => x.type)).not.toContain(
          'core.command.completed',
        );
      });
    }
  }

  test('without --json the run prints the plugin error and still exits 3', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'viommu-crash-'));
    const file = join(dir, 'crash.scenario.json');
    writeFileSync(file, JSON.stringify(scenario('command', {})));
    const r = await runCli(['run', file, '--no-golden', '--out', join(dir, 'out')], {
      plugins: [flatPlugin, crashyPlugin],
    });
    expect(r.code).toBe(EXIT.PLUGIN);
    expect(r.stdout).toMatch(
      /^ERROR crash\/command@crashy \(\d+ commands, \d+ events; plugin "crashy" threw at seq \d+\)$/m,
    );
    expect(r.stdout).not.toMatch(/FAIL crash\/command@crashy/);
    expect(r.stdout).toContain('plugin error: plugin "crashy" threw: crashy: crashy.tlb.flush exploded');
    expect(r.stdout).toMatch(/PASS crash\/command@flat/);
    expect(r.stdout).toMatch(/2 runs: 1 passed, 0 failed, 1 errors, 0 skipped/);
  });

  test('the dot reporter marks the run E, names the plugin and counts it as an error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'viommu-crash-'));
    const file = join(dir, 'crash.scenario.json');
    writeFileSync(file, JSON.stringify(scenario('command', {})));
    const r = await runCli(['run', file, '--no-golden', '--reporter', 'dot'], {
      plugins: [flatPlugin, crashyPlugin],
    });
    expect(r.code).toBe(EXIT.PLUGIN);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('E.');
    expect(lines[1]).toMatch(
      /^E crash\/command@crashy: .*plugin error: plugin "crashy" threw: crashy: crashy\.tlb\.flush exploded$/,
    );
    expect(lines.at(-1)).toBe('2 runs: 1 passed, 0 failed, 1 errors, 0 skipped');
  });

  describe('replaying the log of a run that ended in a plugin error', () => {
    async function crashedLog(): Promise<{ dir: string; log: string }> {
      const dir = mkdtempSync(join(tmpdir(), 'viommu-crash-'));
      const file = join(dir, 'crash.scenario.json');
      writeFileSync(file, JSON.stringify(scenario('command', {})));
      const out = join(dir, 'out');
      const r = await runCli(['run', file, '--out', out, '--no-golden'], {
        plugins: [flatPlugin, crashyPlugin],
      });
      expect(r.code).toBe(EXIT.PLUGIN);
      return { dir, log: join(out, 'crash', 'command.crashy.events.jsonl') };
    }

    test('reproduces the error: agreement, exit 0, and says the recorded run ended in it', async () => {
      const { dir, log } = await crashedLog();
      const r = await runCli(['replay', log], { plugins: [flatPlugin, crashyPlugin], cwd: dir });
      expect(r.code, r.stdout + r.stderr).toBe(EXIT.OK);
      expect(r.stdout).toMatch(
        /^ok .*command\.crashy\.events\.jsonl: \d+ records reproduced \(3 commands, 0 checkpoints verified\); the recorded run ended in a plugin error, reproduced: plugin "crashy" threw at seq \d+: crashy: crashy\.tlb\.flush exploded$/m,
      );
      const json = await runCli(['replay', log, '--json'], { plugins: [flatPlugin, crashyPlugin], cwd: dir });
      expect(json.code).toBe(EXIT.OK);
      const [result] = (JSON.parse(json.stdout) as { results: { ok: boolean; pluginError: unknown }[] })
        .results;
      expect(result).toMatchObject({
        ok: true,
        pluginError: { plugin: 'crashy', message: 'crashy: crashy.tlb.flush exploded' },
      });
    });

    test('a plugin that no longer throws there diverges at the recorded failure (exit 1)', async () => {
      const { dir, log } = await crashedLog();
      // The same plugin, fixed: the command that threw now runs.
      const fixed = { ...crashyPlugin, parseOptions: () => ({ crashIn: 'fixed' as Site }) };
      const r = await runCli(['replay', log], { plugins: [flatPlugin, fixed], cwd: dir });
      expect(r.code, r.stdout + r.stderr).toBe(EXIT.MISMATCH);
      expect(r.stdout).toMatch(/^MISMATCH /m);
      expect(r.stdout).toContain('core.plugin.failed');
    });
  });
});
