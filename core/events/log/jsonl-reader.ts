/**
 * Reads a JSON Lines log and validates every line: its seal (line-seal.ts),
 * the header, then records with the right fields and types, seq gap-free from
 * 1, t never going back, each event's cause an earlier command, payloads
 * JSON-safe, and the end line. Errors name the file, the line and the field:
 * `run.events.jsonl line 812: unknown type "vtd.iotlb.hitt"`. Logs written
 * before seals existed (no "sum" on the header line) are read as they were
 * then, without seals or end line; `sealed` is false for them.
 */
import { type ByteSource, ByteWindow, memorySource } from './byte-source.js';
import { LOG_ERROR_CODES, LogError, type LogErrorCode } from './errors.js';
import { parseHeader } from './header.js';
import { endLineRecords, lineSum, SEAL_START, SEAL_SUFFIX_CHARS, storedLineSum } from './line-seal.js';
import { checkPayload, isPlainObject } from './payload-check.js';
import type { LogContents, ReadOptions, TruncationReport } from './read-types.js';
import type { LogHeader, LogRecord, TypeRegistry } from './records.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });
const utf8Bytes = new TextEncoder();
const LONE_SURROGATE_ANYWHERE = /[\ud800-\udfff]/;

/** What a re-sealing tool asks of the reader: check everything but the seals. */
export interface JsonlReadOptions extends ReadOptions {
  /** Read a hand-edited log: seals and the end line are not checked (`viommu log reseal`). */
  readonly ignoreSeals?: boolean;
}

/**
 * A cursor over the records of a JSON Lines log: `next()` parses and checks one line and returns
 * its record, so a check against another stream keeps nothing alive; `readJsonl` collects them.
 * Bytes are decoded a window (about 1 MiB of whole lines) at a time, so a log read from a
 * ByteSource over a file costs the same memory whatever its length.
 */
export class JsonlLogReader implements Iterable<LogRecord> {
  readonly file: string;
  readonly header: LogHeader;
  /** Whether the log carries seals (false for logs written before them: read with a notice). */
  readonly sealed: boolean;
  /** Set at the end of a lenient read of a log cut short. */
  truncated: TruncationReport | null = null;
  readonly #input: string | null;
  readonly #win: ByteWindow | null;
  #text = '';
  /** Source offset (bytes, or characters of a string input) just after #text. */
  #textEnd = 0;
  /** Offset (bytes, or characters of a string input) where an unterminated last line starts, or -1. */
  #cutAt = -1;
  #atEnd = false;
  readonly #strict: boolean;
  readonly #checkSeals: boolean;
  readonly #types: TypeRegistry | undefined;
  /** Strings need a surrogate check only if the text could hold a lone one: raw in a JS string, or escaped. */
  #scanStrings = false;
  #pos = -1;
  #lineNo = 0;
  #seq = 0;
  #lastT = 0;
  #sum = SEAL_START;
  #ended = false;
  #commands = new Uint32Array(1024);

  /** Reads the header line; throws a LogError naming file and line. Bytes may be a ByteSource (a file). */
  constructor(input: string | Uint8Array | ByteSource, file: string, options: JsonlReadOptions = {}) {
    this.file = file;
    this.#strict = options.mode !== 'lenient';
    this.#types = options.types;
    if (typeof input === 'string') {
      this.#input = input;
      this.#win = null;
    } else {
      this.#input = null;
      this.#win = new ByteWindow(input instanceof Uint8Array ? memorySource(input) : input);
    }
    const first = this.#nextLine();
    if (first === null) {
      this.#fail(
        LOG_ERROR_CODES.TRUNCATED,
        1,
        undefined,
        this.#cutAt < 0 ? 'empty log (no header)' : 'header line is cut short',
      );
    }
    const stored = storedLineSum(first);
    this.sealed = stored >= 0;
    this.#checkSeals = this.sealed && !options.ignoreSeals;
    const body = this.#unseal(first, stored, 1);
    this.header = parseHeader(parseLine(body, file, 1), { file, line: 1 });
  }

  /** How far the reader is, and how far it can go, in bytes (characters of a string input), for progress. */
  get position(): number {
    return this.#textEnd;
  }
  get size(): number {
    return this.#win === null ? (this.#input as string).length : this.#win.size;
  }

  /** The next record, or null at the end (strict mode throws there if the log is cut short). */
  next(): LogRecord | null {
    const line = this.#nextLine();
    if (line === null) return this.#finish();
    const lineNo = this.#lineNo;
    if (this.#ended) this.#fail(LOG_ERROR_CODES.CORRUPT, lineNo, undefined, 'a line after the end line');
    if (line.length === 0) this.#fail(LOG_ERROR_CODES.CORRUPT, lineNo, undefined, 'empty line');
    const body = this.#unseal(line, this.sealed ? storedLineSum(line) : -1, lineNo);
    if (this.sealed && this.#isEndLine(body, lineNo)) return this.next();
    return this.#record(parseLine(body, this.file, lineNo), lineNo, this.#scanStrings);
  }

  *[Symbol.iterator](): Iterator<LogRecord> {
    for (let r = this.next(); r !== null; r = this.next()) yield r;
  }

  /** The next complete line (without its newline), or null when only a cut line or nothing is left. */
  #nextLine(): string | null {
    for (;;) {
      const start = this.#pos + 1;
      if (start < this.#text.length) {
        const nl = this.#text.indexOf('\n', start);
        this.#pos = nl;
        this.#lineNo++;
        return this.#text.slice(start, nl);
      }
      if (!this.#refill()) return null;
    }
  }

  /** Loads the next run of whole lines into #text; false at the end of the input. */
  #refill(): boolean {
    if (this.#atEnd) return false;
    const input = this.#input;
    if (input !== null) {
      this.#atEnd = true;
      const nl = input.lastIndexOf('\n');
      if (nl + 1 < input.length) this.#cutAt = nl + 1;
      this.#setText(input.slice(0, nl + 1), nl + 1);
      return nl >= 0;
    }
    const w = this.#win!;
    const from = this.#textEnd;
    let want = w.windowBytes;
    for (;;) {
      w.ensure(from, want);
      const b = w.bytes;
      let nl = -1;
      for (let i = w.end - w.base - 1, lo = from - w.base; i >= lo; i--) {
        if (b[i] === 0x0a) {
          nl = i;
          break;
        }
      }
      if (nl >= 0) {
        const text = decodeLines(b.subarray(from - w.base, nl + 1), this.file, this.#lineNo);
        this.#setText(text, w.base + nl + 1);
        return true;
      }
      if (w.end >= w.size) {
        this.#atEnd = true;
        if (from < w.size) this.#cutAt = from;
        return false;
      }
      // A line longer than the window: take more.
      want = (w.end - from) * 2;
    }
  }

  #setText(text: string, end: number): void {
    this.#text = text;
    this.#pos = -1;
    this.#textEnd = end;
    this.#scanStrings = text.includes('\\u') || (this.#input !== null && LONE_SURROGATE_ANYWHERE.test(text));
  }

  /** The line without its seal, after checking the seal (when the log is sealed). */
  #unseal(line: string, stored: number, lineNo: number): string {
    if (!this.sealed) return line;
    if (stored < 0) {
      if (!this.#checkSeals) return line;
      this.#fail(
        LOG_ERROR_CODES.CORRUPT,
        lineNo,
        'sum',
        'no seal (a "sum" field at the end): the line was changed by hand? `viommu log reseal` re-seals an edited log',
      );
    }
    const end = line.length - SEAL_SUFFIX_CHARS;
    if (this.#checkSeals) {
      const sum = lineSum(this.#sum, line, end);
      if (sum !== stored) {
        this.#fail(
          LOG_ERROR_CODES.CORRUPT,
          lineNo,
          'sum',
          'seal mismatch: this line was changed, or a line before it was removed, repeated or moved ' +
            '(`viommu log reseal` re-seals a log edited on purpose)',
        );
      }
      this.#sum = sum;
    }
    return `${line.slice(0, end)}}`;
  }

  /** Checks an end line (true), or says the body is not one (false). */
  #isEndLine(body: string, lineNo: number): boolean {
    const n = endLineRecords(body.slice(0, -1));
    if (n < 0) return false;
    // Re-sealing drops the old end line and writes a new one: nothing to check here.
    if (!this.#checkSeals) return true;
    if (n !== this.#seq)
      this.#fail(
        LOG_ERROR_CODES.CORRUPT,
        lineNo,
        'records',
        `end line says the last record is seq ${n}, the log has ${this.#seq}`,
      );
    this.#ended = true;
    return true;
  }

  /** Checks the parsed line `o` and returns it as the next record; throws a LogError naming the line and field. */
  #record(o: unknown, lineNo: number, scanStrings: boolean): LogRecord {
    if (!isPlainObject(o)) this.#fail(LOG_ERROR_CODES.CORRUPT, lineNo, undefined, 'expected a JSON object');
    const seq = this.#seq + 1;
    const kind = o.kind;
    const isEvent = kind === 'event';
    if (!isEvent && kind !== 'command')
      this.#fail(
        LOG_ERROR_CODES.CORRUPT,
        lineNo,
        'kind',
        `field "kind": expected "command" or "event", got ${show(kind)}`,
      );
    if (o.seq !== seq)
      this.#fail(
        LOG_ERROR_CODES.CORRUPT,
        lineNo,
        'seq',
        `field "seq": expected ${seq} (gap-free), got ${show(o.seq)}`,
      );
    const t = o.t;
    const lastT = this.#lastT;
    if (typeof t !== 'number' || !Number.isSafeInteger(t) || t < lastT) {
      this.#fail(
        LOG_ERROR_CODES.CORRUPT,
        lineNo,
        't',
        `field "t": expected a safe integer >= ${lastT} (time never goes back), got ${show(t)}`,
      );
    }
    const type = o.type;
    if (typeof type !== 'string' || type.length === 0)
      this.#fail(
        LOG_ERROR_CODES.CORRUPT,
        lineNo,
        'type',
        `field "type": expected a non-empty string, got ${show(type)}`,
      );
    if (this.#types !== undefined && !this.#types.has(type as string))
      this.#fail(LOG_ERROR_CODES.UNKNOWN_TYPE, lineNo, 'type', `unknown type ${JSON.stringify(type)}`);
    const v = o.v;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0)
      this.#fail(
        LOG_ERROR_CODES.CORRUPT,
        lineNo,
        'v',
        `field "v": expected a non-negative integer, got ${show(v)}`,
      );
    if (isEvent) {
      const cause = o.cause;
      if (
        typeof cause !== 'number' ||
        !Number.isSafeInteger(cause) ||
        cause < 1 ||
        cause >= seq ||
        (this.#commands[cause >>> 5] & (1 << (cause & 31))) === 0
      ) {
        this.#fail(
          LOG_ERROR_CODES.CORRUPT,
          lineNo,
          'cause',
          `field "cause": expected the seq of an earlier command, got ${show(cause)}`,
        );
      }
    }
    const data = o.data;
    if (!isPlainObject(data))
      this.#fail(
        LOG_ERROR_CODES.CORRUPT,
        lineNo,
        'data',
        `field "data": expected an object, got ${show(data)}`,
      );
    const problem = checkPayloadFast(data, scanStrings);
    if (problem)
      this.#fail(
        LOG_ERROR_CODES.CORRUPT,
        lineNo,
        problem.path,
        `field "${problem.path}": ${problem.problem}`,
      );
    let keys = 0;
    for (const _ in o) keys++;
    if (keys !== (isEvent ? 7 : 6)) {
      const allowed = isEvent ? EVENT_KEYS : COMMAND_KEYS;
      const extra = Object.keys(o).find((k) => !allowed.includes(k)) ?? 'cause';
      this.#fail(
        LOG_ERROR_CODES.CORRUPT,
        lineNo,
        extra,
        `field "${extra}": not expected in a ${kind} record`,
      );
    }
    this.#lastT = t as number;
    this.#seq = seq;
    if (!isEvent) this.#markCommand(seq);
    // Every field is checked and no other key is present: the parsed object is the record.
    return o as unknown as LogRecord;
  }

  #markCommand(seq: number): void {
    if (seq >>> 5 >= this.#commands.length) {
      // Commands can be far apart (a workload's events between them): grow past seq, not just 2x.
      const next = new Uint32Array(Math.max((seq >>> 5) + 1, this.#commands.length * 2));
      next.set(this.#commands);
      this.#commands = next;
    }
    this.#commands[seq >>> 5] |= 1 << (seq & 31);
  }

  /**
   * The end of the input: null, or in strict mode a throw when the log is cut short: its last
   * line has no newline, or a sealed log has no end line. A lenient read returns a last line
   * whose newline alone is missing once, and reports the log as cut either way.
   */
  #finish(): LogRecord | null {
    if (this.truncated !== null) return null;
    const cutAt = this.#cutAt;
    const sealedOpen = this.sealed && this.#checkSeals && !this.#ended;
    if (cutAt < 0 && !sealedOpen) return null;
    const lineNo = this.#lineNo + 1;
    if (this.#strict) {
      if (cutAt >= 0)
        this.#fail(
          LOG_ERROR_CODES.TRUNCATED,
          lineNo,
          undefined,
          'line is cut short (no newline at the end: a run cut short?)',
          this.#bytesTo(cutAt),
        );
      this.#fail(
        LOG_ERROR_CODES.TRUNCATED,
        lineNo,
        undefined,
        `log ends after record seq ${this.#seq} without its end line (a run cut short?)`,
        this.#bytesTo(this.#textEnd),
      );
    }
    let record: LogRecord | null = null;
    if (cutAt >= 0) {
      const tail = this.#tail(cutAt);
      // Only the whole line parses: a record cut anywhere before its final brace is not JSON.
      const stored = tail === null || !this.sealed ? -1 : storedLineSum(tail);
      const sealOk =
        tail !== null &&
        (!this.#checkSeals ||
          (stored >= 0 && lineSum(this.#sum, tail, tail.length - SEAL_SUFFIX_CHARS) === stored));
      const body =
        tail === null || !sealOk ? null : this.sealed ? `${tail.slice(0, -SEAL_SUFFIX_CHARS)}}` : tail;
      const o = body === null ? undefined : parseWhole(body);
      if (o !== undefined && !(this.sealed && endLineRecords(body!.slice(0, -1)) >= 0))
        record = this.#record(o, lineNo, true);
    }
    // In bytes: where the missing newline belongs after a whole record, else where the cut line starts.
    const end = cutAt < 0 ? this.#textEnd : record === null ? cutAt : this.size;
    this.truncated = { truncatedAt: this.#bytesTo(end), lastSeq: this.#seq };
    return record;
  }

  /** The text after the last newline, or null when it is not valid UTF-8 (cut inside a character). */
  #tail(from: number): string | null {
    if (this.#input !== null) return this.#input.slice(from);
    const w = this.#win!;
    w.ensure(from, w.size - from);
    try {
      return utf8.decode(w.bytes.subarray(from - w.base, w.size - w.base));
    } catch {
      return null;
    }
  }

  /** A source offset in bytes (a string input counts characters: encode the prefix). */
  #bytesTo(offset: number): number {
    return this.#input === null ? offset : utf8Bytes.encode(this.#input.slice(0, offset)).length;
  }

  #fail(
    code: LogErrorCode,
    line: number,
    field: string | undefined,
    problem: string,
    byteOffset?: number,
  ): never {
    const file = this.file;
    const at = byteOffset === undefined ? { file, line } : { file, line, byteOffset };
    throw new LogError(code, field === undefined ? at : { ...at, field }, problem);
  }
}

/** Reads a whole JSON Lines log from text or UTF-8 bytes. Throws a LogError naming file, line and field. */
export function readJsonl(
  input: string | Uint8Array | ByteSource,
  file: string,
  options: JsonlReadOptions = {},
): LogContents {
  const reader = new JsonlLogReader(input, file, options);
  const records: LogRecord[] = [];
  for (let r = reader.next(); r !== null; r = reader.next()) records.push(r);
  return {
    format: 'jsonl',
    header: reader.header,
    records,
    truncated: reader.truncated,
    sealed: reader.sealed,
  };
}

const COMMAND_KEYS: readonly string[] = ['kind', 'seq', 't', 'type', 'v', 'data'];
const EVENT_KEYS: readonly string[] = ['kind', 'seq', 't', 'type', 'v', 'cause', 'data'];

/** Numbers from JSON.parse can only be non-finite as 1e999-style overflow; strings need the scan only sometimes. */
function checkPayloadFast(data: Record<string, unknown>, scanStrings: boolean) {
  if (scanStrings) return checkPayload(data, 'data', true);
  for (const k in data) {
    const v = data[k];
    if (typeof v === 'object' && v !== null) {
      const p = checkPayload(v, `data.${k}`, true, 1);
      if (p) return p;
    } else if (typeof v === 'number' && !Number.isFinite(v))
      return { path: `data.${k}`, problem: `${v} is not a finite number` };
  }
  return null;
}

function parseLine(line: string, file: string, lineNo: number): unknown {
  try {
    return JSON.parse(line);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new LogError(
      LOG_ERROR_CODES.CORRUPT,
      { file, line: lineNo },
      line.length === 0 ? 'empty line' : `not valid JSON (${why})`,
    );
  }
}

function decodeLines(bytes: Uint8Array, file: string, linesBefore: number): string {
  try {
    return utf8.decode(bytes);
  } catch {
    // Find the line to name it.
    let line = linesBefore + 1;
    let start = 0;
    for (let i = 0; i <= bytes.length; i++) {
      if (i === bytes.length || bytes[i] === 0x0a) {
        try {
          utf8.decode(bytes.subarray(start, i));
        } catch {
          throw new LogError(LOG_ERROR_CODES.CORRUPT, { file, line }, 'not valid UTF-8');
        }
        line++;
        start = i + 1;
      }
    }
    throw new LogError(LOG_ERROR_CODES.CORRUPT, { file }, 'not valid UTF-8');
  }
}

/** The value of a whole JSON text, or undefined when it is not one. */
function parseWhole(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}...` : v);
  if (typeof v === 'object' && v !== null) return Array.isArray(v) ? 'an array' : 'an object';
  return String(v);
}
