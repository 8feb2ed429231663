/** Snapshot files on the command line: written at checkpoints (`--snapshots DIR`), read for `replay --from`. */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ViommuError } from '../../core/errors/viommu-error.js';
import type { LogHeader } from '../../core/events/log/records.js';
import type { PluginHost } from '../../core/plugin/host.js';
import { decodeSnapshot, encodeSnapshot, type Snapshot, takeSnapshot } from '../../core/replay/snapshot.js';
import type { Simulator } from '../../core/sim/simulator.js';

export const SNAPSHOT_EXTENSION = '.snap';

/**
 * A checkpoint hook that writes `<dir>/<stem>.seq-<N>.snap` after each checkpoint, and the list
 * of files it wrote. `stem` may contain slashes (a scenario id); directories are made as needed.
 */
export function snapshotSaver(
  host: PluginHost,
  dir: string,
  stem: string,
): { readonly onCheckpoint: (sim: Simulator, header: LogHeader) => void; readonly written: string[] } {
  const written: string[] = [];
  return {
    written,
    onCheckpoint(sim, header) {
      const file = join(dir, `${stem}.seq-${sim.seq}${SNAPSHOT_EXTENSION}`);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, encodeSnapshot(takeSnapshot(host, sim, header)));
      written.push(file);
    },
  };
}

/** Reads a snapshot file; an unreadable file becomes VIOMMU_ERR_INPUT, a damaged one VIOMMU_ERR_SNAPSHOT_*. */
export function readSnapshotFile(path: string): Snapshot {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new ViommuError('VIOMMU_ERR_INPUT', `${path}: cannot read: ${(e as Error).message}`);
  }
  return decodeSnapshot(bytes, path);
}
