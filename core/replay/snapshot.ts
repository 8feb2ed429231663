/**
 * Snapshots: a run's whole state at a checkpoint, in a file, so that a replay can start there
 * instead of at the first command. A snapshot is taken right after a `core.state.digest`
 * command; restoring it builds a fresh simulator from the log header it carries, loads every
 * saved state (Simulator.loadState), and recomputes the state digest, which must equal the one
 * saved with it. A replay from a snapshot also checks that the log's own checkpoint at that seq
 * recorded the same digest, then compares every record after it.
 *
 * File layout (little-endian):
 *   "VIOMMUSN"  magic, 8 bytes
 *   u32         format version (SNAPSHOT_VERSION)
 *   u32 + bytes meta, JSON (SnapshotMeta)
 *   u32 + bytes state, Node's structured-clone serialisation (node:v8) of Simulator.saveState()
 *   u32         checksum of every byte before it (events/log/checksum.ts, seeded with 0)
 *
 * A snapshot restores only on the plugin versions that wrote it: a plugin's saved state is its
 * own business and may change with any release.
 */
import { deserialize, serialize } from 'node:v8';
import { ERROR_CODES, ViommuError } from '../errors/viommu-error.js';
import { frameChecksum } from '../events/log/checksum.js';
import type { LogHeader } from '../events/log/records.js';
import type { PluginHost } from '../plugin/host.js';
import type { RecordSink, SimState, Simulator } from '../sim/simulator.js';
import { canonicalJson, stateDigest } from './digest.js';
import { stableHeader } from './log-io.js';
import { configFromHeader, createSimulator } from './sim-factory.js';

export const SNAPSHOT_VERSION = 1;
const MAGIC = 'VIOMMUSN';

export const SNAPSHOT_ERROR_CODES = {
  /** Not a snapshot, a bad checksum, a bad length. */
  CORRUPT: 'VIOMMU_ERR_SNAPSHOT_CORRUPT',
  /** Written by a newer snapshot format. */
  VERSION: 'VIOMMU_ERR_SNAPSHOT_VERSION',
  /** The file ends early. */
  TRUNCATED: 'VIOMMU_ERR_SNAPSHOT_TRUNCATED',
  /** The snapshot belongs to another run, another checkpoint, or other plugin versions. */
  MISMATCH: 'VIOMMU_ERR_SNAPSHOT_MISMATCH',
} as const;

export interface SnapshotMeta {
  readonly format: 'viommu-snapshot';
  /** The header of the run's log (versions blanked): the run it belongs to and how to rebuild it. */
  readonly header: LogHeader;
  /** Versions of the plugins that saved the state. */
  readonly plugins: { readonly [name: string]: string };
  /** seq of the last record before the snapshot (its checkpoint's `core.command.completed`). */
  readonly seq: number;
  /** seq of the checkpoint's `core.state.digested` record. */
  readonly checkpointSeq: number;
  /** The state digest at the checkpoint. */
  readonly digest: string;
}

export interface Snapshot {
  readonly meta: SnapshotMeta;
  readonly state: SimState;
}

/** The state of `sim` right after a checkpoint command, with what is needed to restore it. */
export function takeSnapshot(host: PluginHost, sim: Simulator, header: LogHeader): Snapshot {
  const state = sim.saveState();
  const digest = stateDigest(sim).digest;
  const plugins: { [name: string]: string } = {};
  for (const unit of sim.units.values()) plugins[unit.plugin] = host.get(unit.plugin).meta.version;
  // The checkpoint's digested event is the record before the command's completed event.
  const meta: SnapshotMeta = {
    format: 'viommu-snapshot',
    header: stableHeader(header),
    plugins,
    seq: sim.seq,
    checkpointSeq: sim.seq - 1,
    digest,
  };
  return { meta, state };
}

export function encodeSnapshot(s: Snapshot): Uint8Array {
  const meta = new TextEncoder().encode(JSON.stringify(s.meta));
  const state = serialize(s.state);
  const total = 8 + 4 + 4 + meta.length + 4 + state.length + 4;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  let at = 0;
  for (let i = 0; i < MAGIC.length; i++) out[at++] = MAGIC.charCodeAt(i);
  view.setUint32(at, SNAPSHOT_VERSION, true);
  at += 4;
  view.setUint32(at, meta.length, true);
  out.set(meta, at + 4);
  at += 4 + meta.length;
  view.setUint32(at, state.length, true);
  out.set(state, at + 4);
  at += 4 + state.length;
  view.setUint32(at, frameChecksum(out, 0, at, 0), true);
  return out;
}

/** Decodes a snapshot file; throws VIOMMU_ERR_SNAPSHOT_* naming the file and the byte offset. */
export function decodeSnapshot(bytes: Uint8Array, file: string): Snapshot {
  const fail = (code: string, at: number, problem: string): never => {
    throw new ViommuError(code as `VIOMMU_ERR_${string}`, `${file} at byte ${at}: ${problem}`);
  };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const need = (at: number, n: number, what: string): void => {
    if (at + n > bytes.length)
      fail(SNAPSHOT_ERROR_CODES.TRUNCATED, bytes.length, `the file ends inside the ${what}`);
  };
  need(0, 8, 'magic');
  for (let i = 0; i < MAGIC.length; i++) {
    if (bytes[i] !== MAGIC.charCodeAt(i)) fail(SNAPSHOT_ERROR_CODES.CORRUPT, 0, 'not a viommu snapshot');
  }
  need(8, 4, 'format version');
  const version = view.getUint32(8, true);
  if (version > SNAPSHOT_VERSION)
    fail(SNAPSHOT_ERROR_CODES.VERSION, 8, `format version ${version} is newer than ${SNAPSHOT_VERSION}`);
  if (version < 1) fail(SNAPSHOT_ERROR_CODES.CORRUPT, 8, `format version ${version} does not exist`);
  need(12, 4, 'meta length');
  const metaLen = view.getUint32(12, true);
  need(16, metaLen, 'meta');
  const stateAt = 16 + metaLen;
  need(stateAt, 4, 'state length');
  const stateLen = view.getUint32(stateAt, true);
  need(stateAt + 4, stateLen, 'state');
  const sumAt = stateAt + 4 + stateLen;
  need(sumAt, 4, 'checksum');
  if (sumAt + 4 !== bytes.length)
    fail(SNAPSHOT_ERROR_CODES.CORRUPT, sumAt + 4, `${bytes.length - sumAt - 4} bytes after the checksum`);
  if (view.getUint32(sumAt, true) !== frameChecksum(bytes, 0, sumAt, 0))
    fail(SNAPSHOT_ERROR_CODES.CORRUPT, sumAt, 'checksum mismatch: the file is damaged');
  let meta: SnapshotMeta;
  try {
    meta = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(16, stateAt)));
  } catch (e) {
    return fail(SNAPSHOT_ERROR_CODES.CORRUPT, 16, `meta is not JSON (${(e as Error).message})`);
  }
  if (meta?.format !== 'viommu-snapshot' || typeof meta.seq !== 'number' || typeof meta.digest !== 'string')
    fail(SNAPSHOT_ERROR_CODES.CORRUPT, 16, 'meta lacks format, seq or digest');
  let state: SimState;
  try {
    state = deserialize(bytes.subarray(stateAt + 4, sumAt)) as SimState;
  } catch (e) {
    return fail(SNAPSHOT_ERROR_CODES.CORRUPT, stateAt + 4, `state does not decode (${(e as Error).message})`);
  }
  return { meta, state };
}

/**
 * A simulator in the state the snapshot saved, its sinks attached for the records that follow.
 * Throws VIOMMU_ERR_SNAPSHOT_MISMATCH when a plugin's version differs from the one that saved it,
 * and VIOMMU_ERR_SNAPSHOT_RESTORE when the restored state's digest differs from the saved one.
 */
export function restoreSnapshot(
  host: PluginHost,
  snap: Snapshot,
  file: string,
  sinks: readonly RecordSink[] = [],
): Simulator {
  for (const [name, version] of Object.entries(snap.meta.plugins)) {
    const have = host.names().includes(name) ? host.get(name).meta.version : 'not loaded';
    if (have !== version) {
      throw new ViommuError(
        SNAPSHOT_ERROR_CODES.MISMATCH,
        `${file}: saved by plugin ${name} ${version}, this run has ${have}; take the snapshot again`,
      );
    }
  }
  const sim = createSimulator(host, configFromHeader(snap.meta.header, file, host), sinks);
  sim.loadState(snap.state);
  const digest = stateDigest(sim).digest;
  if (digest !== snap.meta.digest) {
    throw new ViommuError(
      ERROR_CODES.SNAPSHOT_RESTORE,
      `${file}: the restored state digests to ${digest}, the snapshot saved ${snap.meta.digest}: a plugin's loadState misses part of its state`,
    );
  }
  return sim;
}

/** Throws VIOMMU_ERR_SNAPSHOT_MISMATCH unless the snapshot was taken from a run of `header`. */
export function checkSnapshotBelongs(snap: Snapshot, header: LogHeader, file: string): void {
  if (canonicalJson(stableHeader(header) as never) !== canonicalJson(snap.meta.header as never)) {
    throw new ViommuError(
      SNAPSHOT_ERROR_CODES.MISMATCH,
      `${file}: taken from run "${snap.meta.header.scenario}" (seed ${snap.meta.header.seed}), not from this log's run "${header.scenario}" (seed ${header.seed}) with the same set-up`,
    );
  }
}
