/**
 * Plugins from outside the CLI bundle: a viommu.config.* found from the working directory up (or
 * --config), `--plugin SPEC` for one-off use, both loading TypeScript without a build step; and
 * what replay says about a log whose plugin is missing or of another version.
 */
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { flatPlugin } from '../../core/testing/flat-plugin.js';
import { EXIT } from '../scenario/context.js';
import { runCli } from '../scenario/run-cli.js';
import { CONFIG_NAMES, findConfig, loadPlugins } from './load-plugins.js';

const repo = resolve(import.meta.dirname, '../..');
const work = mkdtempSync(join(tmpdir(), 'viommu-config-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
// The bundled plugin modules import tsyringe as a package, resolved through this node_modules.
symlinkSync(join(repo, 'node_modules'), join(work, 'node_modules'), 'dir');

const scenario = join(work, 'streaming-hits.scenario.json');
copyFileSync(join(repo, 'scenarios/flat/streaming-hits.scenario.json'), scenario);

/** A TypeScript module whose default export is the flat plugin with another version. */
function pluginFile(dir: string, version: string): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'plugin.ts');
  writeFileSync(
    file,
    `import { definePlugin } from ${JSON.stringify(join(repo, 'core/plugin/define-plugin.ts'))};
import { flatPlugin } from ${JSON.stringify(join(repo, 'core/testing/flat-plugin.ts'))};
const version: string = ${JSON.stringify(version)};
export default definePlugin({ ...flatPlugin, meta: { ...flatPlugin.meta, version } });
`,
  );
  return file;
}

/** A project folder with its own viommu.config.<ext>. */
function project(name: string, configName: string, text: string): string {
  const dir = join(work, name);
  mkdirSync(join(dir, 'sub', 'deeper'), { recursive: true });
  writeFileSync(join(dir, configName), text);
  return dir;
}

describe('the config file', () => {
  it('is found in the working directory or above it, in the documented order of names', () => {
    const dir = project('find', 'viommu.config.json', '{}');
    writeFileSync(join(dir, 'viommu.config.mjs'), 'export default {};\n');
    expect(findConfig(join(dir, 'sub', 'deeper'))).toBe(join(dir, 'viommu.config.mjs'));
    expect(CONFIG_NAMES.indexOf('viommu.config.mjs')).toBeLessThan(
      CONFIG_NAMES.indexOf('viommu.config.json'),
    );
  });

  it('a viommu.config.ts importing a TypeScript plugin runs its targets (no build step), defaults included', async () => {
    const dir = project(
      'ts-config',
      'viommu.config.ts',
      `import myFlat from './src/plugin.ts';
export default { plugins: [myFlat], run: { out: 'logs' } };
`,
    );
    pluginFile(join(dir, 'src'), '2.0.0');
    // No built-in plugins: the flat targets run only if the config's plugin is loaded.
    const r = await runCli(['run', scenario, '--no-golden'], {
      cwd: join(dir, 'sub', 'deeper'),
      plugins: [],
    });
    expect(r.code, r.stdout + r.stderr).toBe(EXIT.OK);
    expect(r.stdout).toMatch(/PASS flat\/streaming-hits@flat/);
    // run.out from the config, relative to the config file.
    expect(existsSync(join(dir, 'logs', 'flat', 'streaming-hits.flat.events.jsonl'))).toBe(true);
    const loaded = await loadPlugins([], dir, {});
    expect(loaded.plugins.map((p) => [p.plugin.meta.version, p.origin])).toEqual([
      ['2.0.0', 'viommu.config.ts'],
    ]);
  });

  it('lists plugins by path or package name, each with its origin', async () => {
    const dir = project('paths', 'viommu.config.mjs', `export default { plugins: ['./src/plugin.ts'] };\n`);
    pluginFile(join(dir, 'src'), '3.0.0');
    const loaded = await loadPlugins([flatPlugin], join(dir, 'sub'), {});
    expect(loaded.plugins.map((p) => p.origin)).toEqual([
      'built-in',
      '../viommu.config.mjs: ./src/plugin.ts',
    ]);
  });

  it('a bad config is an input error (exit 4) naming the file and the field', async () => {
    const dir = project('bad', 'viommu.config.json', '{ "plugins": [1], "run": {} }');
    const r = await runCli(['run', scenario], { cwd: dir, plugins: [] });
    expect(r.code).toBe(EXIT.INPUT);
    expect(r.stderr).toContain(
      'viommu.config.json: plugins[0]: expected a package name, a path or a plugin object',
    );
    const unknown = project('unknown', 'viommu.config.json', '{ "reporter": "json" }');
    const u = await runCli(['run', scenario, '--json'], { cwd: unknown, plugins: [] });
    expect(u.code).toBe(EXIT.INPUT);
    expect(JSON.parse(u.stdout).error.message).toContain('unknown field "reporter"');
    const missing = await runCli(['run', scenario, '--config', 'nosuch.config.ts'], {
      cwd: work,
      plugins: [],
    });
    expect(missing.code).toBe(EXIT.INPUT);
    expect(missing.stderr).toContain('nosuch.config.ts: no such file');
  });

  it('a config that does not compile names the file and the line', async () => {
    const dir = project('syntax', 'viommu.config.ts', 'export default { plugins: [ };\n');
    const r = await runCli(['run', scenario], { cwd: dir, plugins: [] });
    expect(r.code).toBe(EXIT.INPUT);
    expect(r.stderr).toMatch(/viommu\.config\.ts: cannot load the config: .*viommu\.config\.ts:1:/s);
  });
});

describe('--plugin SPEC', () => {
  const dir = join(work, 'one-off');
  pluginFile(join(dir, 'src'), '4.0.0');

  it('loads a TypeScript module for one run, without a config', async () => {
    const without = await runCli(['run', scenario, '--no-golden'], { cwd: dir, plugins: [] });
    expect(without.code).toBe(EXIT.PLUGIN);
    expect(without.stdout).toContain('plugin "flat" is not loaded (load it with --plugin');
    const r = await runCli(['run', scenario, '--no-golden', '--plugin', './src/plugin.ts'], {
      cwd: dir,
      plugins: [],
    });
    expect(r.code, r.stdout + r.stderr).toBe(EXIT.OK);
    expect(r.stdout).toMatch(/PASS flat\/streaming-hits@flat/);
  });

  it('a package that is not installed, a missing file, a module without a plugin: exit 3, saying which', async () => {
    writeFileSync(join(dir, 'nothing.mjs'), 'export const x = 1;\n');
    const cases: [string, string][] = [
      ['viommu-no-such-plugin', 'cannot find package "viommu-no-such-plugin"'],
      ['./src/nosuch.ts', 'nosuch.ts: no such file'],
      ['./nothing.mjs', '--plugin ./nothing.mjs: the module exports no plugin'],
    ];
    for (const [spec, message] of cases) {
      const r = await runCli(['run', scenario, '--plugin', spec], { cwd: dir, plugins: [] });
      expect(r.code, spec).toBe(EXIT.PLUGIN);
      expect(r.stderr).toContain(message);
    }
  });

  it('a built-in name is not loaded twice: the message points to --only, the filter it used to be', async () => {
    const r = await runCli(['run', scenario, '--plugin', 'flat'], { cwd: dir, plugins: [flatPlugin] });
    expect(r.code).toBe(EXIT.PLUGIN);
    expect(r.stderr).toContain(
      '"flat" is a built-in plugin and always loaded; to run only its targets use --only flat',
    );
  });

  it('the same module from the config and from --plugin loads once', async () => {
    const p = project('twice', 'viommu.config.json', '{ "plugins": ["./src/plugin.ts"] }');
    pluginFile(join(p, 'src'), '5.0.0');
    const loaded = await loadPlugins([], p, { plugin: ['./src/plugin.ts'] });
    expect(loaded.plugins.map((x) => x.origin)).toEqual(['viommu.config.json: ./src/plugin.ts']);
  });
});

describe('replaying a log recorded with a plugin', () => {
  const dir = join(work, 'replay');
  const out = join(dir, 'out');
  const log = join(out, 'flat', 'streaming-hits.flat.events.jsonl');
  pluginFile(join(dir, 'src'), '6.0.0');

  it('that is not loaded stops with exit 3, naming the plugin and how to load it', async () => {
    const rec = await runCli(['run', scenario, '--no-golden', '--out', out], { cwd: dir });
    expect(rec.code, rec.stderr).toBe(EXIT.OK);
    expect(existsSync(log)).toBe(true);
    const r = await runCli(['replay', log], { cwd: dir, plugins: [] });
    expect(r.code).toBe(EXIT.PLUGIN);
    expect(r.stderr).toMatch(
      /was recorded with plugin "flat" \S+, which is not loaded: load it with --plugin/,
    );
  });

  it('of another version warns and replays', async () => {
    const r = await runCli(['replay', log, '--plugin', './src/plugin.ts'], { cwd: dir, plugins: [] });
    expect(r.code, r.stderr).toBe(EXIT.OK);
    expect(r.stdout).toMatch(/^ok /);
    expect(r.stderr).toMatch(/warning: .* was recorded with plugin "flat" \S+; replaying with 6\.0\.0/);
  });
});
