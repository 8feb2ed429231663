/**
 * The standalone route, as a plugin author takes it: pack viommu-sim, scaffold a plugin project
 * in a temporary folder that depends on the tarball, `npm install` it from the registry, then its
 * `npm test`, `npx viommu run scenarios` (config file), the same with `--plugin ./src/index.ts`
 * and no config, the README's library program, and a strict `tsc --noEmit`. Slow (a build and an install): `npm run test:pack`,
 * outside the default run; .ci/run calls it.
 */
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CONTRACT_CASES } from '../core/testing/contract.js';

const repo = resolve(import.meta.dirname, '..');
const work = mkdtempSync(join(tmpdir(), 'viommu-pack-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

// The children get the user's environment without this run's npm and vitest settings (an
// `npm run` sets npm_config_*, vitest sets VITEST_*), and without CI unless a step sets it.
const baseEnv: NodeJS.ProcessEnv = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => !/^(npm_|VITEST|CI$)/i.test(k)),
);

function sh(cmd: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = {}) {
  const r: SpawnSyncReturns<string> = spawnSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    env: { ...baseEnv, NO_COLOR: '1', ...env },
    maxBuffer: 64 << 20,
  });
  return {
    status: r.status,
    stdout: r.stdout,
    out: `$ ${cmd} ${args.join(' ')}\n${r.stdout}\n${r.stderr}${r.error ?? ''}`,
  };
}

describe('a standalone plugin project on the packed package', () => {
  it('installs from the tarball and passes its tests, its scenario (config or --plugin) and strict tsc', () => {
    // npm pack runs `prepare` (the build), so dist/ is this commit's.
    const pack = sh('npm', ['pack', '--json', '--pack-destination', work], repo);
    expect(pack.status, pack.out).toBe(0);
    const packed = JSON.parse(pack.out.slice(pack.out.indexOf('['), pack.out.lastIndexOf(']') + 1)) as {
      filename: string;
      files: { path: string }[];
    }[];
    const tarball = join(work, packed[0]!.filename);
    expect(existsSync(tarball)).toBe(true);

    const project = join(work, 'linear-io');
    const scaffold = sh(
      process.execPath,
      [
        join(repo, 'dist/cli.js'),
        'plugin',
        'new',
        'linear-io',
        '--standalone',
        '--dir',
        project,
        '--dependency',
        tarball,
      ],
      work,
    );
    expect(scaffold.status, scaffold.out).toBe(0);

    const install = sh('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], project);
    expect(install.status, install.out).toBe(0);

    const test = sh('npm', ['test'], project);
    expect(test.out).toMatch(new RegExp(`Tests\\s+${CONTRACT_CASES.length} passed`));
    expect(test.status, test.out).toBe(0);

    const run = sh('npx', ['viommu', 'run', 'scenarios'], project);
    expect(run.out).toMatch(/^PASS linear-io\/map-translate-invalidate@linear-io \(8 commands, 9 events/m);
    expect(run.out).not.toMatch(/^SKIP/m);
    expect(run.status, run.out).toBe(0);

    // In CI the scenario's missing golden fails, naming the command that records it.
    const ci = sh('npx', ['viommu', 'run', 'scenarios'], project, { CI: 'true' });
    const record = 'viommu run scenarios/map-translate-invalidate.scenario.json --target linear-io --update';
    expect(ci.out).toContain(`missing, and CI is set; record it with: ${record}`);
    expect(ci.status, ci.out).toBe(1);
    const update = sh('npx', record.split(' '), project);
    expect(update.status, update.out).toBe(0);
    const recorded = sh('npx', ['viommu', 'run', 'scenarios'], project, { CI: 'true' });
    expect(recorded.out).toMatch(/golden:match/);
    expect(recorded.status, recorded.out).toBe(0);

    // Without the config file the plugin is not loaded, and --plugin loads it.
    renameSync(join(project, 'viommu.config.ts'), join(project, 'viommu.config.off'));
    const skipped = sh('npx', ['viommu', 'run', 'scenarios'], project);
    expect(skipped.out).toMatch(/^SKIP .*plugin "linear-io" is not loaded/ms);
    expect(skipped.status, skipped.out).toBe(3);
    const flag = sh('npx', ['viommu', 'run', 'scenarios', '--plugin', './src/index.ts'], project);
    expect(flag.out).toMatch(/^PASS linear-io\/map-translate-invalidate@linear-io/m);
    expect(flag.out).not.toMatch(/^SKIP/m);
    expect(flag.status, flag.out).toBe(0);
    renameSync(join(project, 'viommu.config.off'), join(project, 'viommu.config.ts'));

    // The README's library program, type-checked with the project below and run on the package.
    copyFileSync(join(repo, 'examples/run-scenario.ts'), join(project, 'src/run-scenario.ts'));
    const scenario = join(work, 'streaming-hits.scenario.json');
    copyFileSync(join(repo, 'scenarios/flat/streaming-hits.scenario.json'), scenario);
    const bundle = sh(
      'npx',
      [
        'esbuild',
        'src/run-scenario.ts',
        '--bundle',
        '--platform=node',
        '--format=esm',
        '--packages=external',
      ],
      project,
    );
    expect(bundle.status, bundle.out).toBe(0);
    writeFileSync(join(project, 'run-scenario.mjs'), bundle.stdout);
    const library = sh(process.execPath, ['run-scenario.mjs', scenario], project);
    expect(library.out).toContain(
      'flat: 513 translations, 0 faults, IOTLB 497/513 hits, 0 failed expectations',
    );
    expect(library.status, library.out).toBe(0);

    // strict, noUncheckedIndexedAccess, exactOptionalPropertyTypes, skipLibCheck false: the
    // project's sources and configs against viommu-sim's declarations (and vitest's).
    const tsc = sh('npx', ['tsc', '--noEmit'], project);
    expect(tsc.status, tsc.out).toBe(0);
  }, 600_000);
});
