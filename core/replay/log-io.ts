/**
 * The replay layer's view of log files: read either encoding (told apart by
 * the binary magic), encode records in either, and strip the header fields
 * that change between builds (simulator and plugin versions) before goldens
 * are compared.
 */

import { readBinary } from '../events/log/binary-reader.js';
import { BinaryStreamWriter } from '../events/log/binary-writer.js';
import { hasBinaryMagic } from '../events/log/frames.js';
import { encodeJsonl } from '../events/log/jsonl.js';
import { readJsonl } from '../events/log/jsonl-reader.js';
import type { LogContents, ReadOptions } from '../events/log/read-types.js';
import type { LogHeader, LogRecord } from '../events/log/records.js';

export type LogFormat = 'jsonl' | 'binary';

/** Extension of each format's files. */
export const LOG_EXTENSION: { readonly [F in LogFormat]: string } = {
  jsonl: '.events.jsonl',
  binary: '.events.bin',
};

/** Reads a log in either format. Throws a LogError naming the file and the line or record. */
export function readLogBytes(bytes: Uint8Array, file: string, options: ReadOptions = {}): LogContents {
  // A file cut inside the magic is still recognised as binary, so it is reported as truncated.
  return bytes.length > 0 && hasBinaryMagic(bytes, true) && bytes[0] === 0x89
    ? readBinary(bytes, file, options)
    : readJsonl(bytes, file, options);
}

const utf8 = new TextEncoder();

/** A whole log in one format. The encodings are canonical: the same records give the same bytes. */
export function encodeLog(header: LogHeader, records: Iterable<LogRecord>, format: LogFormat): Uint8Array {
  if (format === 'jsonl') return utf8.encode(encodeJsonl(header, records));
  const chunks: Uint8Array[] = [];
  let total = 0;
  const w = new BinaryStreamWriter(
    header,
    (c) => {
      chunks.push(c.slice());
      total += c.length;
    },
    { chunkBytes: 1 << 20 },
  );
  for (const r of records) w.append(r);
  w.close();
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** Header fields that differ between builds of the same run. */
export const VOLATILE_HEADER_FIELDS = ['simulator', 'plugins'] as const;

/** The header with volatile fields blanked (kept in place, so key order is unchanged). */
export function stableHeader(h: LogHeader): LogHeader {
  return { ...h, simulator: '', plugins: {} };
}
