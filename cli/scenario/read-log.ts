/** Reading a log file named on the command line; unreadable files become VIOMMU_ERR_INPUT (exit 4). */
import { readFileSync } from 'node:fs';
import { ViommuError } from '../../core/errors/viommu-error.js';
import type { BinaryLogReader } from '../../core/events/log/binary-reader.js';
import type { JsonlLogReader } from '../../core/events/log/jsonl-reader.js';
import { openLog } from '../../core/events/log/read-log.js';
import type { LogContents } from '../../core/events/log/read-types.js';
import { readLogBytes } from '../../core/replay/log-io.js';

function fileBytes(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new ViommuError('VIOMMU_ERR_INPUT', `${path}: cannot read: ${(e as Error).message}`);
  }
}

export function readLogFile(path: string, lenient = false): LogContents {
  return readLogBytes(fileBytes(path), path, lenient ? { mode: 'lenient' } : {});
}

/** The notice for a JSON Lines log written before lines were sealed (read without integrity checks). */
export function unsealedNotice(file: string): string {
  return `viommu: notice: ${file} has no seals (written before logs were sealed): a changed line cannot be detected; \`viommu log reseal ${file}\` seals it\n`;
}

/** A record-by-record cursor over a log file (strict: a log cut short throws at the cut). */
export function openLogFile(path: string, lenient = false): BinaryLogReader | JsonlLogReader {
  return openLog(fileBytes(path), path, lenient ? { mode: 'lenient' } : {});
}
