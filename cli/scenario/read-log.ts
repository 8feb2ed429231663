/** Reading a log file named on the command line; unreadable files become VIOMMU_ERR_INPUT (exit 4). */
import { ViommuError } from '../../core/errors/viommu-error.js';
import { BinaryLogReader } from '../../core/events/log/binary-reader.js';
import { type ByteSource, fileSource } from '../../core/events/log/byte-source.js';
import { hasBinaryMagic } from '../../core/events/log/frames.js';
import { JsonlLogReader } from '../../core/events/log/jsonl-reader.js';

/** The notice for a JSON Lines log written before lines were sealed (read without integrity checks). */
export function unsealedNotice(file: string): string {
  return `viommu: notice: ${file} has no seals (written before logs were sealed): a changed line cannot be detected; \`viommu log reseal ${file}\` seals it\n`;
}

/** An open log file: a record-by-record cursor that reads the file a window at a time. */
export interface LogFile {
  readonly reader: BinaryLogReader | JsonlLogReader;
  readonly format: 'binary' | 'jsonl';
  /** False for a JSON Lines log from before seals. */
  readonly sealed: boolean;
  close(): void;
}

/**
 * Opens a log file of either format (told apart by the binary magic) for reading record by
 * record, so its memory does not grow with its length. Strict unless `lenient`: a log cut short
 * throws at the cut. Throws VIOMMU_ERR_INPUT when the file cannot be read, a LogError when the
 * header is unreadable.
 */
export function openLogFile(path: string, lenient = false): LogFile {
  let source: ByteSource;
  try {
    source = fileSource(path);
  } catch (e) {
    throw new ViommuError('VIOMMU_ERR_INPUT', `${path}: cannot read: ${(e as Error).message}`);
  }
  try {
    const head = new Uint8Array(Math.min(8, source.size));
    source.readAt(0, head, 0, head.length);
    const options = lenient ? ({ mode: 'lenient' } as const) : {};
    // A file cut inside the magic is still recognised as binary, so it is reported as truncated.
    if (head.length > 0 && head[0] === 0x89 && hasBinaryMagic(head, true)) {
      const reader = new BinaryLogReader(source, path, options);
      return { reader, format: 'binary', sealed: true, close: () => source.close() };
    }
    const reader = new JsonlLogReader(source, path, options);
    return { reader, format: 'jsonl', sealed: reader.sealed, close: () => source.close() };
  } catch (e) {
    source.close();
    throw e;
  }
}
