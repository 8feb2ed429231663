/**
 * Errors for unreadable logs. Every one is a ViommuError with a stable code and
 * a message that starts with where the problem is: the file and the line
 * (JSON Lines) or the record seq and byte offset (binary).
 */
import { ViommuError } from '../../errors/viommu-error.js';

export const LOG_ERROR_CODES = {
  /** Malformed content: bad JSON, a wrong field, a bad checksum, a broken sequence. */
  CORRUPT: 'VIOMMU_ERR_LOG_CORRUPT',
  /** The log was written by a newer format than this code reads. */
  VERSION: 'VIOMMU_ERR_LOG_VERSION',
  /** The log ends inside a record (a run cut short), or without its end marker. */
  TRUNCATED: 'VIOMMU_ERR_LOG_TRUNCATED',
  /** A record's type is not in the type registry given to the reader. */
  UNKNOWN_TYPE: 'VIOMMU_ERR_LOG_UNKNOWN_TYPE',
  /** A writer was given a record it cannot log (programmer error). */
  INVALID_RECORD: 'VIOMMU_ERR_LOG_INVALID_RECORD',
} as const;

export type LogErrorCode = (typeof LOG_ERROR_CODES)[keyof typeof LOG_ERROR_CODES];

/** Where in a log a problem is. Fields are absent when they do not apply. */
export interface LogLocation {
  readonly file: string;
  /** 1-based line (JSON Lines). */
  readonly line?: number;
  /** Byte offset of the record (or of the damage) from the start of the file. */
  readonly byteOffset?: number;
  /** seq of the record concerned. */
  readonly seq?: number;
  /** Field path inside the record, e.g. `data.iova`. */
  readonly field?: string;
}

export class LogError extends ViommuError {
  declare readonly code: LogErrorCode;
  readonly location: LogLocation;

  constructor(code: LogErrorCode, location: LogLocation, problem: string) {
    super(code, `${describeLocation(location)}: ${problem}`);
    this.name = 'LogError';
    this.location = location;
  }
}

/** `run.events.jsonl line 812`, `run.events.bin record seq 40 at byte 1234`. */
export function describeLocation(loc: LogLocation): string {
  let s = loc.file;
  if (loc.line !== undefined) s += ` line ${loc.line}`;
  if (loc.seq !== undefined) s += ` record seq ${loc.seq}`;
  if (loc.byteOffset !== undefined)
    s += `${loc.line !== undefined || loc.seq !== undefined ? ' at' : ''} byte ${loc.byteOffset}`;
  return s;
}
