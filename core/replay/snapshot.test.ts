/**
 * Snapshot files and replays that start at one: the start is checked against the log, a change
 * after the snapshot is still found, and a damaged, foreign or unrestorable snapshot is refused
 * with an error that names the file and what is wrong.
 */
import { describe, expect, it } from 'vitest';
import { isViommuError } from '../errors/viommu-error.js';
import type { LogContents } from '../events/log/read-types.js';
import type { EventRecord, LogRecord } from '../events/log/records.js';
import { definePlugin } from '../plugin/define-plugin.js';
import { PluginHost } from '../plugin/host.js';
import { resolve, TOKENS } from '../plugin/tokens.js';
import { runTarget } from '../scenario/runner.js';
import { validateScenario } from '../scenario/validate.js';
import { flatPlugin } from '../testing/flat-plugin.js';
import { replayLog } from './replay.js';
import { decodeSnapshot, encodeSnapshot, SNAPSHOT_VERSION, type Snapshot, takeSnapshot } from './snapshot.js';

function scenario(seed: number) {
  return validateScenario(
    {
      format: 'viommu-scenario',
      version: 1,
      id: 'replay/snapshot',
      title: 'checkpoints between DMA workloads',
      seed,
      checkpointEvery: 2,
      targets: [
        {
          plugin: 'flat',
          options: { cacheEntries: 4 },
          devices: [{ name: 'nic', sid: 1 }],
          setup: [{ type: 'flat.map', data: { iova: '0x10000', pa: '0x80000', pages: 8 } }],
        },
      ],
      steps: [1, 2, 3, 4, 5].map((k) => ({
        workload: { kind: 'random', seed: k, device: 'nic', iova: '0x10000', pages: 8, count: 40 },
      })),
    },
    'snapshot.scenario.json',
  );
}

/** A run with its snapshots (through their file bytes) and its log. */
function recorded(host: PluginHost, seed = 1): { log: LogContents; snaps: Snapshot[] } {
  const s = scenario(seed);
  const snaps: Snapshot[] = [];
  const records: LogRecord[] = [];
  const run = runTarget(host, s, s.targets[0], {
    sinks: [{ append: (r) => records.push(r) }],
    onCheckpoint: (sim, header) => {
      snaps.push(decodeSnapshot(encodeSnapshot(takeSnapshot(host, sim, header)), 'mem.snap'));
    },
  });
  return { log: { header: run.header, records } as LogContents, snaps };
}

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return isViommuError(e) ? `${e.code}: ${e.message}` : String(e);
  }
  return 'no error';
}

const host = new PluginHost().use(flatPlugin);

describe('replay from a snapshot', () => {
  const { log, snaps } = recorded(host);

  it('starts after each checkpoint and reproduces the rest', () => {
    expect(snaps.length).toBeGreaterThanOrEqual(3);
    for (const snap of snaps) {
      const r = replayLog(host, log, { from: { snapshot: snap, file: 'mem.snap' } });
      expect(r.divergence).toBeNull();
      expect(r.startSeq).toBe(snap.meta.seq);
      expect(r.matched).toBe(log.records.length - snap.meta.seq);
    }
  });

  it('still finds a record altered after the snapshot', () => {
    const snap = snaps[0];
    const i = log.records.findIndex((r, j) => j >= snap.meta.seq && r.type === 'core.command.completed');
    const altered = { ...(log.records[i] as EventRecord), data: { ok: false, errno: 'EIO', detail: 'x' } };
    const records: LogRecord[] = log.records.map((r, j) => (j === i ? altered : r));
    const r = replayLog(host, { ...log, records }, { from: { snapshot: snap, file: 'mem.snap' } });
    expect(r.divergence?.seq).toBe(altered.seq);
  });

  it('refuses a snapshot of another run, or of a checkpoint the log does not have', () => {
    const other = recorded(host, 2);
    expect(
      codeOf(() => replayLog(host, other.log, { from: { snapshot: snaps[0], file: 'a.snap' } })),
    ).toMatch(/VIOMMU_ERR_SNAPSHOT_MISMATCH: a.snap: taken from run "replay\/snapshot@flat" \(seed 1\)/);
    const moved: Snapshot = { ...snaps[0], meta: { ...snaps[0].meta, seq: 5, checkpointSeq: 4 } };
    expect(codeOf(() => replayLog(host, log, { from: { snapshot: moved, file: 'b.snap' } }))).toMatch(
      /VIOMMU_ERR_SNAPSHOT_MISMATCH: b.snap: taken at seq 5, but the log has no checkpoint at seq 4/,
    );
    const wrongDigest: Snapshot = { ...snaps[0], meta: { ...snaps[0].meta, digest: '0x0' } };
    expect(codeOf(() => replayLog(host, log, { from: { snapshot: wrongDigest, file: 'c.snap' } }))).toMatch(
      /SNAPSHOT_MISMATCH: c.snap: digest 0x0 at seq \d+, the log recorded 0x[0-9a-f]{16}/,
    );
  });

  it('refuses to restore on another plugin version', () => {
    const newer = new PluginHost().use({ ...flatPlugin, meta: { ...flatPlugin.meta, version: '9.9.9' } });
    expect(codeOf(() => replayLog(newer, log, { from: { snapshot: snaps[0], file: 'v.snap' } }))).toMatch(
      /SNAPSHOT_MISMATCH: v.snap: saved by plugin flat 0.1.0, this run has 9.9.9/,
    );
  });

  it('reports a plugin whose loadState misses state, by the digest', () => {
    const forgetful = definePlugin({
      ...flatPlugin,
      register(container, options) {
        flatPlugin.register(container, options);
        const unit = resolve(container, TOKENS.Unit);
        const load = unit.loadState!.bind(unit);
        container.register(TOKENS.Unit, {
          useValue: Object.assign(unit, {
            loadState: (s: unknown) => load({ ...(s as object), table: new Map() }),
          }),
        });
      },
    });
    const h = new PluginHost().use(forgetful);
    expect(codeOf(() => replayLog(h, log, { from: { snapshot: snaps[1], file: 'f.snap' } }))).toMatch(
      /VIOMMU_ERR_SNAPSHOT_RESTORE: f.snap: the restored state digests to 0x[0-9a-f]+, the snapshot saved/,
    );
  });

  it('cannot be taken of a unit without saveState', () => {
    const plain = definePlugin({
      ...flatPlugin,
      register(container, options) {
        flatPlugin.register(container, options);
        const unit = resolve(container, TOKENS.Unit);
        container.register(TOKENS.Unit, { useValue: Object.assign(unit, { saveState: undefined }) });
      },
    });
    const s = scenario(1);
    expect(
      codeOf(() =>
        runTarget(new PluginHost().use(plain), s, s.targets[0], { onCheckpoint: (sim) => sim.saveState() }),
      ),
    ).toMatch(/VIOMMU_ERR_SNAPSHOT_UNSUPPORTED: unit "flat0": plugin "flat" cannot save its state/);
  });
});

describe('a snapshot file', () => {
  const { snaps } = recorded(host);
  const bytes = encodeSnapshot(snaps[0]);

  it('round-trips', () => {
    const back = decodeSnapshot(bytes, 's.snap');
    expect(back.meta).toEqual(snaps[0].meta);
    expect(back.state).toEqual(snaps[0].state);
  });

  it('refuses every single flipped byte, naming the file', () => {
    for (let at = 0; at < bytes.length; at += Math.max(1, Math.floor(bytes.length / 200))) {
      const bad = bytes.slice();
      bad[at] ^= 0x40;
      expect(
        codeOf(() => decodeSnapshot(bad, 's.snap')),
        `byte ${at}`,
      ).toMatch(/VIOMMU_ERR_SNAPSHOT_\w+: s.snap at byte \d+/);
    }
  });

  it('names a cut, a newer version, a foreign file and trailing bytes', () => {
    expect(codeOf(() => decodeSnapshot(bytes.subarray(0, 100), 's.snap'))).toMatch(
      /SNAPSHOT_TRUNCATED: s.snap at byte 100: the file ends inside the/,
    );
    const newer = bytes.slice();
    new DataView(newer.buffer).setUint32(8, SNAPSHOT_VERSION + 1, true);
    expect(codeOf(() => decodeSnapshot(newer, 's.snap'))).toMatch(
      /SNAPSHOT_VERSION: s.snap at byte 8: format version 2 is newer than 1/,
    );
    expect(codeOf(() => decodeSnapshot(new TextEncoder().encode('{"kind":"header"}\n'), 'x.jsonl'))).toMatch(
      /SNAPSHOT_CORRUPT: x.jsonl at byte 0: not a viommu snapshot/,
    );
    const longer = new Uint8Array(bytes.length + 3);
    longer.set(bytes);
    expect(codeOf(() => decodeSnapshot(longer, 's.snap'))).toMatch(/3 bytes after the checksum/);
  });
});
