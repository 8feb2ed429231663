import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ScaffoldError, scaffoldPlugin } from '../cli/plugin/new-plugin.js';
import { CONTRACT_CASES } from '../core/testing/contract.js';

const repo = resolve(import.meta.dirname, '..');
const work = mkdtempSync(join(tmpdir(), 'viommu-plugin-new-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('viommu plugin new', () => {
  it('scaffolds a plugin whose own contract suite passes', () => {
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
  }, 120_000);

  it('scaffolds code that passes `biome ci` as generated', () => {
    // Laid out as in a checkout (plugins/<name> beside core/), so the imports read ../../core/...
    // as they do there. The long name is the longest whose lines all stay within biome's width.
    const lint = join(work, 'lint');
    for (const name of ['linear-io', 'riscv-iommu-nested-proto']) {
      scaffoldPlugin({ name, dir: join(lint, 'plugins', name), coreDir: join(lint, 'core') });
    }
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
      ],
      { cwd: lint, encoding: 'utf8' },
    );
    const output = `${r.stdout}\n${r.stderr}`;
    expect(output).toMatch(/Checked 8 files/);
    expect(r.status, output).toBe(0);
  }, 30_000);

  it('refuses a bad name and a non-empty folder', () => {
    expect(() => scaffoldPlugin({ name: 'Bad_Name', dir: join(work, 'x') })).toThrow(ScaffoldError);
    const dir = join(work, 'plugins', 'twice');
    scaffoldPlugin({ name: 'twice', dir });
    expect(() => scaffoldPlugin({ name: 'twice', dir })).toThrow(/not empty/);
  });
});
