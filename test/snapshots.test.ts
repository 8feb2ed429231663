/**
 * Snapshots restore a run exactly: every golden log of the library (so every plugin and every
 * scenario) is cut at several command boundaries, the simulator's state there goes through a
 * snapshot file's bytes into a fresh simulator, and that simulator must then reproduce every
 * remaining record of the golden. A part of some unit's state that saveState/loadState misses
 * shows here as a divergence (a different victim, counter, queue pointer or event).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { BUILTIN_PLUGINS } from '../cli/builtin-plugins.js';
import { recordDiff } from '../core/events/log/divergence.js';
import type { LogContents } from '../core/events/log/read-types.js';
import type { LogRecord } from '../core/events/log/records.js';
import { PluginHost } from '../core/plugin/host.js';
import { stateDigest } from '../core/replay/digest.js';
import { readLogBytes } from '../core/replay/log-io.js';
import { configFromHeader, createSimulator } from '../core/replay/sim-factory.js';
import { decodeSnapshot, encodeSnapshot, takeSnapshot } from '../core/replay/snapshot.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const goldens = readdirSync(join(ROOT, 'scenarios'), { withFileTypes: true, recursive: true })
  .filter((e) => e.isFile() && e.name.endsWith('.events.jsonl'))
  .map((e) => join(e.parentPath, e.name))
  .sort();

const host = new PluginHost();
for (const p of BUILTIN_PLUGINS) host.use(p);

/** Indices of up to `n` command records spread over the log (never the first: that is a plain replay). */
function cuts(records: readonly LogRecord[], n: number): number[] {
  const commands = records.flatMap((r, i) => (r.kind === 'command' && i > 0 ? [i] : []));
  if (commands.length <= n) return commands;
  return Array.from({ length: n }, (_, k) => commands[Math.floor(((k + 0.5) * commands.length) / n)]);
}

/** Runs the log's commands before `cut`, snapshots, restores into a fresh simulator, runs the rest. */
function resume(log: LogContents, cut: number): { problem: string | null } {
  const config = configFromHeader(log.header);
  const a = createSimulator(host, config);
  for (let i = 0; i < cut; i++) {
    const r = log.records[i];
    if (r.kind === 'command') a.execute({ type: r.type, data: r.data });
  }
  const bytes = encodeSnapshot(takeSnapshot(host, a, log.header));
  const got: LogRecord[] = [];
  const b = createSimulator(host, config, [{ append: (r) => got.push(r) }]);
  b.loadState(decodeSnapshot(bytes, 'snapshot').state);
  if (stateDigest(b).digest !== stateDigest(a).digest) return { problem: 'digest differs after restore' };
  if (!isDeepStrictEqual(b.saveState(), a.saveState()))
    return { problem: 'saveState() of the restored run differs from the original' };
  for (let i = cut; i < log.records.length; i++) {
    const r = log.records[i];
    if (r.kind === 'command') b.execute({ type: r.type, data: r.data });
  }
  const rest = log.records.slice(cut);
  for (let i = 0; i < Math.max(rest.length, got.length); i++) {
    const field = rest[i] && got[i] ? recordDiff(rest[i], got[i]) : 'record';
    if (field !== undefined)
      return { problem: `seq ${rest[i]?.seq ?? got[i]?.seq}: ${rest[i]?.type} differs at ${field}` };
  }
  return { problem: null };
}

describe('a run resumed from a snapshot reproduces the rest of its golden', () => {
  it('covers every built-in plugin', () => {
    const plugins = new Set(
      goldens.flatMap((g) =>
        configFromHeader(readLogBytes(readFileSync(g), g).header).units.map((u) => u.plugin),
      ),
    );
    expect([...plugins].sort()).toEqual(BUILTIN_PLUGINS.map((p) => p.meta.name).sort());
  });

  it.each(goldens.map((g) => [relative(ROOT, g).split('\\').join('/'), g]))('%s', (name, file) => {
    const log = readLogBytes(readFileSync(file), name);
    for (const cut of cuts(log.records, 4)) {
      expect(resume(log, cut).problem, `cut before seq ${log.records[cut].seq}`).toBeNull();
    }
  });
});
