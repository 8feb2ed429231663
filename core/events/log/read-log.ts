/** Reading a log of either encoding: the format is decided by the first bytes. */
import { readFileSync } from 'node:fs';
import { BINARY_MAGIC } from './binary-format.js';
import { BinaryLogReader, readBinary } from './binary-reader.js';
import { JsonlLogReader, readJsonl } from './jsonl-reader.js';
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

/**
 * A record-by-record cursor over a log of either encoding (same checks and errors as readLog):
 * for checking a long log against another stream without keeping its records.
 */
export function openLog(
  bytes: Uint8Array,
  file: string,
  options: ReadOptions = {},
): BinaryLogReader | JsonlLogReader {
  return detectFormat(bytes) === 'binary'
    ? new BinaryLogReader(bytes, file, options)
    : new JsonlLogReader(bytes, file, options);
}

/** readLog on a file's content; the error messages name `path`. */
export function readLogFile(path: string, options: ReadOptions = {}): LogContents {
  return readLog(readFileSync(path), path, options);
}
