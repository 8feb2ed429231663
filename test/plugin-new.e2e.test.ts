import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { registerPluginCommands } from '../cli/plugin/commands.js';
import {
  dependencySpec,
  ScaffoldError,
  scaffoldPlugin,
  scaffoldStandalone,
} from '../cli/plugin/new-plugin.js';
import { runCli } from '../cli/scenario/run-cli.js';
import { CONTRACT_CASES } from '../core/testing/contract.js';

const repo = resolve(import.meta.dirname, '..');
const work = mkdtempSync(join(tmpdir(), 'viommu-plugin-new-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('viommu plugin new', () => {
  it('scaffolds a plugin whose own contract suite passes and that runs a scenario with --plugin', async () => {
    const dir = join(work, 'plugins', 'linear-io');
    const files = scaffoldPlugin({ name: 'linear-io', dir });
    expect(files.map((f) => f.slice(dir.length + 1)).sort()).toEqual([
      'README.md',
      'contract.test.ts',
      'index.ts',
      'unit.ts',
    ]);
    const unit = readFileSync(join(dir, 'unit.ts'), 'utf8');
    expect(unit).toContain('export class LinearIoUnit');
    expect(unit).not.toMatch(/__[A-Z]+__/);

    // Run the generated tests with vitest, resolving packages through the repo's node_modules.
    symlinkSync(join(repo, 'node_modules'), join(work, 'node_modules'), 'dir');
    writeFileSync(
      join(work, 'vitest.config.mjs'),
      `export default { test: { root: ${JSON.stringify(work)}, include: ['plugins/**/*.test.ts'], setupFiles: [${JSON.stringify(join(repo, 'core/testing/setup.ts'))}] } };\n`,
    );
    const r = spawnSync(
      process.execPath,
      [join(repo, 'node_modules/vitest/vitest.mjs'), 'run', '--config', join(work, 'vitest.config.mjs')],
      {
        cwd: work,
        encoding: 'utf8',
        env: { ...process.env, CI: 'true', NO_COLOR: '1' },
      },
    );
    const output = `${r.stdout}\n${r.stderr}`;
    // Every contract case runs, none skipped: the scaffold implements the whole contract.
    expect(output).toMatch(new RegExp(`Tests\\s+${CONTRACT_CASES.length} passed`));
    expect(r.status, output).toBe(0);

    // It runs a scenario with --plugin, with no edit to cli/builtin-plugins.ts or core/.
    const scenario = join(work, 'linear-io.scenario.json');
    const standaloneScenario = join(work, 'standalone-for-scenario');
    scaffoldStandalone({ name: 'linear-io', dir: standaloneScenario });
    writeFileSync(
      scenario,
      readFileSync(join(standaloneScenario, 'scenarios/map-translate-invalidate.scenario.json')),
    );
    const run = await runCli(['run', scenario, '--no-golden', '--plugin', './plugins/linear-io/index.ts'], {
      cwd: work,
    });
    expect(run.stdout).toMatch(/^PASS linear-io\/map-translate-invalidate@linear-io \(8 commands/m);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const without = await runCli(['run', scenario, '--no-golden'], { cwd: work });
    expect(without.stdout).toMatch(/^SKIP .*plugin "linear-io" is not loaded/ms);
  }, 120_000);

  it('scaffolds code that passes `biome ci` as generated', () => {
    // Laid out as in a checkout (plugins/<name> beside core/), so the imports read ../../core/...
    // as they do there. The long name is the longest whose lines all stay within biome's width.
    const lint = join(work, 'lint');
    for (const name of ['linear-io', 'riscv-iommu-nested-proto']) {
      scaffoldPlugin({ name, dir: join(lint, 'plugins', name), coreDir: join(lint, 'core') });
    }
    // And a standalone project's TypeScript and JSON (src/, the configs, the scenario).
    scaffoldStandalone({ name: 'riscv-iommu-nested-proto', dir: join(lint, 'standalone') });
    const r = spawnSync(
      process.execPath,
      [
        join(repo, 'node_modules/@biomejs/biome/bin/biome'),
        'ci',
        '--colors=off',
        `--config-path=${join(repo, 'biome.json')}`,
        // The scratch folder is outside the repository's git work tree.
        '--vcs-enabled=false',
        'plugins',
        'standalone',
      ],
      { cwd: lint, encoding: 'utf8' },
    );
    const output = `${r.stdout}\n${r.stderr}`;
    expect(output).toMatch(/Checked 17 files/);
    expect(r.status, output).toBe(0);
  }, 30_000);

  it('scaffolds a standalone project that imports only viommu-sim and pins the dev tools this repo uses', () => {
    const dir = join(work, 'standalone', 'my-arch');
    writeFileSync(join(work, 'viommu-sim-9.9.9.tgz'), '');
    const files = scaffoldStandalone({
      name: 'my-arch',
      dir,
      dependency: join(work, 'viommu-sim-9.9.9.tgz'),
    });
    expect(files.map((f) => f.slice(dir.length + 1)).sort()).toEqual([
      '.gitignore',
      'README.md',
      'package.json',
      'scenarios/map-translate-invalidate.scenario.json',
      'src/contract.test.ts',
      'src/index.ts',
      'src/unit.ts',
      'tsconfig.json',
      'viommu.config.ts',
      'vitest.config.ts',
    ]);
    for (const f of files) expect(readFileSync(f, 'utf8'), f).not.toMatch(/__[A-Z]+__/);
    const own = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8'));
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    // A path becomes a file: spec relative to the project (npm resolves it from there).
    expect(pkg.dependencies).toEqual({ 'viommu-sim': 'file:../../viommu-sim-9.9.9.tgz' });
    expect(pkg.devDependencies).toEqual({
      '@types/node': own.devDependencies['@types/node'],
      typescript: own.devDependencies.typescript,
      vitest: own.devDependencies.vitest,
    });
    expect(pkg.scripts.test).toBe('vitest run');
    const sources = [
      'src/index.ts',
      'src/unit.ts',
      'src/contract.test.ts',
      'viommu.config.ts',
      'vitest.config.ts',
    ];
    for (const f of sources) {
      const text = readFileSync(join(dir, f), 'utf8');
      const imported = [...text.matchAll(/from '([^']+)'/g)].map((m) => m[1]);
      for (const spec of imported)
        expect(spec, `${f} imports ${spec}`).toMatch(/^(viommu-sim|vitest\/config$|\.\/)/);
    }
    expect(readFileSync(join(dir, 'vitest.config.ts'), 'utf8')).toContain(
      "setupFiles: ['viommu-sim/testing/setup']",
    );
    const tsconfig = JSON.parse(readFileSync(join(dir, 'tsconfig.json'), 'utf8')).compilerOptions;
    expect(tsconfig).toMatchObject({
      strict: true,
      noUncheckedIndexedAccess: true,
      exactOptionalPropertyTypes: true,
    });
  });

  it('writes the --dependency spec npm needs', () => {
    const project = join(work, 'deps', 'p');
    expect(dependencySpec(undefined, project, '1.2.3')).toBe('^1.2.3');
    expect(dependencySpec('~0.1.0', project, '1.2.3')).toBe('~0.1.0');
    expect(dependencySpec('git+https://example.org/viommu-sim.git#v1', project, '1.2.3')).toBe(
      'git+https://example.org/viommu-sim.git#v1',
    );
    expect(dependencySpec(repo, join(repo, 'p'), '1.2.3')).toBe('file:..');
    expect(() => dependencySpec(join(work, 'missing.tgz'), project, '1.2.3')).toThrow(/no such file/);
  });

  it('refuses --core with --standalone and --dependency without it (usage, exit 2)', async () => {
    let err = '';
    const program = new Command().exitOverride().configureOutput({
      writeErr: (t) => {
        err += t;
      },
      writeOut: () => undefined,
    });
    registerPluginCommands(program, () => []);
    const dir = join(work, 'usage');
    const parse = (args: string[]) =>
      program.parseAsync(['plugin', 'new', 'u', '--dir', dir, ...args], { from: 'user' });
    await expect(parse(['--standalone', '--core', 'core'])).rejects.toMatchObject({ exitCode: 2 });
    expect(err).toMatch(/--core is for the in-repo scaffold/);
    await expect(parse(['--dependency', '1.0.0'])).rejects.toMatchObject({ exitCode: 2 });
    expect(err).toMatch(/--dependency needs --standalone/);
    expect(existsSync(dir)).toBe(false);
  });

  it('refuses a bad name and a non-empty folder', () => {
    expect(() => scaffoldPlugin({ name: 'Bad_Name', dir: join(work, 'x') })).toThrow(ScaffoldError);
    const dir = join(work, 'plugins', 'twice');
    scaffoldPlugin({ name: 'twice', dir });
    expect(() => scaffoldPlugin({ name: 'twice', dir })).toThrow(/not empty/);
  });
});
