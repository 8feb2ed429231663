/**
 * A run killed mid-way, in a real child process: SIGKILL at several points leaves a log that
 * --lenient reads and replays up to its last complete record and that a strict replay refuses
 * (exit 4, naming the byte where it is cut); SIGINT ends the log with core.run.interrupted.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = resolve(import.meta.dirname, '..');
const work = mkdtempSync(join(tmpdir(), 'viommu-crash-'));
// Inside the repo, so the bundle's external packages resolve from its node_modules.
const cli = join(repo, 'dist', `cli-crash-test-${process.pid}.js`);

beforeAll(async () => {
  // One bundle of the CLI for this test (scripts/build.mjs rebuilds all of dist/, which others use).
  await build({
    entryPoints: [join(repo, 'cli/main.ts')],
    outfile: cli,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'warning',
    banner: {
      js: "import { createRequire as __viommuCreateRequire } from 'node:module';\nconst require = __viommuCreateRequire(import.meta.url);",
    },
  });
  // Long enough to be killed mid-way: churn rounds become map, access, unmap and flush commands.
  const scenario = {
    format: 'viommu-scenario',
    version: 1,
    id: 'long-churn',
    title: 'A long churn run to kill',
    seed: 1,
    targets: [
      {
        plugin: 'flat',
        options: { cacheEntries: 64 },
        devices: [{ name: 'dev', sid: 16 }],
        templates: {
          map: [{ type: 'flat.map', data: { iova: '$iova', pa: '$pa' } }],
          unmap: [
            { type: 'flat.unmap', data: { iova: '$iova' } },
            { type: 'flat.tlb.flush', data: {} },
          ],
        },
      },
    ],
    steps: [
      {
        workload: {
          kind: 'churn',
          seed: 5,
          device: 'dev',
          iova: '0x40000000',
          pages: 16,
          pa: '0x800000',
          count: 40_000,
        },
      },
    ],
  };
  writeFileSync(join(work, 'long.scenario.json'), JSON.stringify(scenario));
}, 60_000);

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  rmSync(cli, { force: true });
});

function viommu(...args: string[]) {
  return spawnSync(process.execPath, [cli, ...args], {
    cwd: work,
    encoding: 'utf8',
    env: { ...process.env, CI: '1' },
  });
}

function startRun(out: string, format: string): ChildProcess {
  return spawn(
    process.execPath,
    [cli, 'run', join(work, 'long.scenario.json'), '--out', out, '--format', format, '--no-golden', '--json'],
    { cwd: work, stdio: 'ignore', env: { ...process.env, CI: '1' } },
  );
}

/** Waits until the file holds at least `bytes` bytes (the run streams its log while it goes). */
async function grown(file: string, bytes: number, child: ChildProcess): Promise<number> {
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`the run ended (exit ${child.exitCode}) before ${file} held ${bytes} bytes`);
    if (existsSync(file)) {
      const size = statSync(file).size;
      if (size >= bytes) return size;
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((r) => child.on('exit', (code, signal) => r({ code, signal })));
}

describe.each(['jsonl', 'binary'])('a %s run killed with SIGKILL', (format) => {
  const ext = format === 'binary' ? 'bin' : 'jsonl';
  // Several points: just after the first flush, and further in.
  it.each([1, 50_000, 200_000])(
    'once its log holds %i bytes: lenient reads and replays the prefix, strict replay refuses it naming the byte',
    async (bytes) => {
      const out = join(work, `kill-${format}-${bytes}`);
      const log = join(out, `long-churn.flat.events.${ext}`);
      const child = startRun(out, format);
      await grown(log, bytes, child);
      // By its own pid, never by name.
      process.kill(child.pid!, 'SIGKILL');
      expect((await exited(child)).signal).toBe('SIGKILL');

      const inspect = viommu('inspect', log, '--lenient', '--json');
      expect(inspect.status, inspect.stderr).toBe(0);
      const summary = JSON.parse(inspect.stdout).summary;
      expect(summary.records).toBeGreaterThan(0);
      expect(summary.truncated.lastSeq).toBe(summary.records);

      const lenient = viommu('replay', log, '--lenient', '--json');
      expect(lenient.status, lenient.stdout + lenient.stderr).toBe(0);
      const result = JSON.parse(lenient.stdout).results[0];
      expect(result.records).toBe(summary.records);
      expect(result.truncated).toEqual(summary.truncated);

      const strict = viommu('replay', log);
      expect(strict.status).toBe(4);
      expect(strict.stderr).toMatch(
        new RegExp(`long-churn\\.flat\\.events\\.${ext} .*byte ${summary.truncated.truncatedAt}: `),
      );
    },
    60_000,
  );
});

describe.each(['jsonl', 'binary'])('a %s run stopped with SIGINT', (format) => {
  it('ends its log with core.run.interrupted, exits 130, and the log replays', async () => {
    const ext = format === 'binary' ? 'bin' : 'jsonl';
    const out = join(work, `int-${format}`);
    const log = join(out, `long-churn.flat.events.${ext}`);
    const child = startRun(out, format);
    await grown(log, 50_000, child);
    process.kill(child.pid!, 'SIGINT');
    expect((await exited(child)).code).toBe(130);
    const inspect = viommu('inspect', log, '--json');
    expect(inspect.status, inspect.stderr).toBe(0);
    const summary = JSON.parse(inspect.stdout).summary;
    expect(summary.truncated).toBeNull();
    expect(summary.types['core.run.interrupted']).toBe(1);
    const replay = viommu('replay', log);
    expect(replay.status, replay.stderr).toBe(0);
    expect(replay.stdout).toMatch(/the run was interrupted by SIGINT after \d+ of \d+ commands/);
  }, 60_000);
});
