/**
 * Re-sealing a JSON Lines log that was edited on purpose: every record is read
 * and checked as a reader checks it (seals aside), then the log is written
 * again in canonical form with new seals and a new end line. Readers never
 * accept a changed line silently: this explicit step is the only way.
 */
import { renameSync, rmSync } from 'node:fs';
import { ViommuError } from '../../errors/viommu-error.js';
import { fileSource } from './byte-source.js';
import { openJsonlLogFile } from './file-writers.js';
import { hasBinaryMagic } from './frames.js';
import { JsonlLogReader } from './jsonl-reader.js';

export interface ResealResult {
  /** Records written. */
  readonly records: number;
  /** Whether the input carried seals already (false: a log from before seals, or stripped). */
  readonly wasSealed: boolean;
}

/**
 * Reads `path` (JSON Lines), checks every record, and writes it sealed to `out` (default: in
 * place, through a temporary file renamed over it). Throws a LogError naming the line when a
 * record is invalid, and VIOMMU_ERR_INPUT for a binary log (its frames carry their own sums).
 */
export function resealLogFile(path: string, out: string = path): ResealResult {
  const source = fileSource(path);
  const tmp = `${out}.reseal-${process.pid}.tmp`;
  let writer: ReturnType<typeof openJsonlLogFile> | null = null;
  try {
    const head = new Uint8Array(Math.min(16, source.size));
    source.readAt(0, head, 0, head.length);
    if (hasBinaryMagic(head, true) && head.length > 0 && head[0] === 0x89)
      throw new ViommuError(
        'VIOMMU_ERR_INPUT',
        `${path}: a binary log: its frames carry their own checksums, only JSON Lines logs are re-sealed`,
      );
    const reader = new JsonlLogReader(source, path, { ignoreSeals: true });
    writer = openJsonlLogFile(tmp, reader.header, { label: out });
    let n = 0;
    for (let r = reader.next(); r !== null; r = reader.next()) {
      writer.append(r);
      n++;
    }
    writer.close();
    renameSync(tmp, out);
    return { records: n, wasSealed: reader.sealed };
  } catch (e) {
    writer?.close();
    rmSync(tmp, { force: true });
    throw e;
  } finally {
    source.close();
  }
}
