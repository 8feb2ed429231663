/** Options and results shared by the log readers. */
import type { LogHeader, LogRecord, TypeRegistry } from './records.js';

export interface ReadOptions {
  /**
   * 'strict' (default): a log that stops inside a record, or a binary log without
   * its end marker, throws VIOMMU_ERR_LOG_TRUNCATED. 'lenient': returns the
   * complete records and reports where the log stops. Damage is an error in both.
   */
  readonly mode?: 'strict' | 'lenient';
  /** When given, a record type it does not have throws VIOMMU_ERR_LOG_UNKNOWN_TYPE. */
  readonly types?: TypeRegistry;
}

/** Where a log cut short stops. */
export interface TruncationReport {
  /** Byte offset just after the last complete record (where the incomplete part starts). */
  readonly truncatedAt: number;
  /** seq of the last complete record (0 when none). */
  readonly lastSeq: number;
}

export interface LogContents {
  readonly format: 'jsonl' | 'binary';
  readonly header: LogHeader;
  readonly records: LogRecord[];
  /** null for a complete log; set only in lenient mode. */
  readonly truncated: TruncationReport | null;
  /** False for a JSON Lines log written before lines were sealed (read with a notice). */
  readonly sealed: boolean;
}
