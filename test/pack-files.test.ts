/**
 * What `npm pack` puts in the package (the `files` allow-list applied to a built tree): every
 * entry point's JavaScript and declarations, the scaffold's templates and the docs, and no test,
 * bench, CI or build-script file. test/pack.e2e.test.ts installs the real tarball.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const repo = resolve(import.meta.dirname, '..');
let files: string[] = [];

beforeAll(() => {
  // `npm pack --dry-run` would run `prepare` (the build) every time; build only when dist/ is absent.
  if (!existsSync(join(repo, 'dist/types/core/index.d.ts'))) {
    const build = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: repo, encoding: 'utf8' });
    if (build.status !== 0) throw new Error(`npm run build failed:\n${build.stdout}\n${build.stderr}`);
  }
  const json = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: repo,
    encoding: 'utf8',
  });
  files = (JSON.parse(json) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
}, 120_000);

describe('npm pack', () => {
  it('lists no test, bench, CI or script file', () => {
    expect(files.length).toBeGreaterThan(10);
    const unwanted = files.filter(
      (f) =>
        /^(test|bench|scripts|\.ci|reports|coverage|out)\//.test(f) ||
        /\.(test|bench|property\.test|test-support)\.[cm]?[jt]s$/.test(f) ||
        /(^|\/)(vitest|biome)\.(config\.)?[jt]s(on)?$/.test(f) ||
        /^tsconfig/.test(f),
    );
    expect(unwanted).toEqual([]);
    // Only what the allow-list names (npm adds package.json, README and LICENSE itself).
    expect(
      files.filter(
        (f) => !/^(dist\/|docs\/|cli\/plugin\/templates\/|package\.json$|README\.md$|LICENSE)/.test(f),
      ),
    ).toEqual([]);
  });

  it("lists every entry point's JavaScript and .d.ts, and the scaffold's templates", () => {
    const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as {
      exports: Record<string, string | { types: string; default: string }>;
      bin: Record<string, string>;
    };
    const listed = (p: string) => files.includes(p.replace(/^\.\//, ''));
    for (const [entry, target] of Object.entries(pkg.exports)) {
      if (typeof target === 'string') continue;
      expect(listed(target.types), `${entry} types ${target.types}`).toBe(true);
      expect(listed(target.default), `${entry} ${target.default}`).toBe(true);
    }
    for (const bin of Object.values(pkg.bin)) expect(listed(bin), bin).toBe(true);
    expect(files.filter((f) => f.endsWith('.d.ts')).length).toBeGreaterThan(20);
    expect(files).toContain('cli/plugin/templates/standalone/tsconfig.json.tpl');
    expect(files).toContain('docs/plugins.md');
  });
});
