/** Reading a log file named on the command line; unreadable files become VIOMMU_ERR_INPUT (exit 4). */
import { readFileSync } from 'node:fs';
import { ViommuError } from '../../errors/viommu-error.js';
import type { LogContents } from '../../events/log/read-types.js';
import { readLogBytes } from '../../replay/log-io.js';

export function readLogFile(path: string, lenient = false): LogContents {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new ViommuError('VIOMMU_ERR_INPUT', `${path}: cannot read: ${(e as Error).message}`);
  }
  return readLogBytes(bytes, path, lenient ? { mode: 'lenient' } : {});
}
