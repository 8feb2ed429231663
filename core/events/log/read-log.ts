/** Reading a log of either encoding: the format is decided by the first bytes. */
import { readFileSync } from 'node:fs';
import { BINARY_MAGIC } from './binary-format.js';
import { readBinary } from './binary-reader.js';
import { readJsonl } from './jsonl-reader.js';
import type { LogContents, ReadOptions } from './read-types.js';

/** 'binary' when the bytes start like the binary magic (0x89), else 'jsonl'. */
export function detectFormat(bytes: Uint8Array): 'binary' | 'jsonl' {
  return bytes.length > 0 && bytes[0] === BINARY_MAGIC[0] ? 'binary' : 'jsonl';
}

/**
 * Reads a binary or JSON Lines log from its bytes. Throws a LogError
 * (VIOMMU_ERR_LOG_CORRUPT / _VERSION / _TRUNCATED / _UNKNOWN_TYPE) naming the
 * file and the line, or the record seq and byte offset.
 */
export function readLog(bytes: Uint8Array, file: string, options: ReadOptions = {}): LogContents {
  return detectFormat(bytes) === 'binary'
    ? readBinary(bytes, file, options)
    : readJsonl(bytes, file, options);
}

/** readLog on a file's content; the error messages name `path`. */
export function readLogFile(path: string, options: ReadOptions = {}): LogContents {
  return readLog(readFileSync(path), path, options);
}
