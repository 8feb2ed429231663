/**
 * The event log: records (records.ts), an in-memory writer for the simulator
 * (EventLogWriter), file and stream writers, readers for both encodings with
 * coded errors, and divergence between two runs.
 *
 *   const log = new EventLogWriter(header);       // sim.addSink(log)
 *   writeFileSync('run.events.bin', log.toBinary());
 *   const { header, records } = readLogFile('run.events.bin');
 *   const d = firstDivergence(golden.records, records);
 */

export { BinaryLogReader, readBinary } from './binary-reader.js';
export {
  BinaryStreamWriter,
  type ChunkSink,
  encodeBinary,
  type StreamWriterOptions,
} from './binary-writer.js';
export {
  type BinaryDivergence,
  type Divergence,
  firstBinaryDivergence,
  firstDivergence,
  recordDiff,
} from './divergence.js';
export { LOG_ERROR_CODES, LogError, type LogErrorCode, type LogLocation } from './errors.js';
export { EventLogWriter, type EventLogWriterOptions } from './event-log-writer.js';
export { type FileLogWriter, openBinaryLogFile, openJsonlLogFile } from './file-writers.js';
export { headerJson } from './header.js';
export { encodeJsonl, JsonlStreamWriter, recordLine } from './jsonl.js';
export { JsonlLogReader, readJsonl } from './jsonl-reader.js';
export { detectFormat, openLog, readLog, readLogFile } from './read-log.js';
export type { LogContents, ReadOptions, TruncationReport } from './read-types.js';
export type { CommandRecord, EventRecord, LogHeader, LogRecord, TypeRegistry } from './records.js';
export { LOG_FORMAT, LOG_FORMAT_VERSION } from './records.js';
