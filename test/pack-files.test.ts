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

const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as {
  exports: Record<string, string | { types: string; default: string }>;
  bin: Record<string, string>;
};
/** Every file package.json points at: each entry point's JavaScript and declarations, the bin. */
const entryFiles = [
  ...Object.values(pkg.exports).flatMap((t) => (typeof t === 'string' ? [] : [t.types, t.default])),
  ...Object.values(pkg.bin),
].map((p) => p.replace(/^\.\//, ''));

beforeAll(() => {
  // `npm pack --dry-run` would run `prepare` (the build) every time; build only when an entry
  // point's output is missing (no build yet, a JS-only build, or an entry point added since).
  if (entryFiles.some((f) => !existsSync(join(repo, f)))) {
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
    expect(entryFiles.filter((f) => f.endsWith('.d.ts')).length).toBeGreaterThanOrEqual(4);
    for (const f of entryFiles) expect(files, f).toContain(f);
    expect(files.filter((f) => f.endsWith('.d.ts')).length).toBeGreaterThan(20);
    expect(files).toContain('cli/plugin/templates/standalone/tsconfig.json.tpl');
    expect(files).toContain('docs/plugins.md');
  });
});
