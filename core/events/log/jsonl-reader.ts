/**
 * Reads a JSON Lines log and validates every line: the header, then records
 * with the right fields and types, seq gap-free from 1, t never going back,
 * each event's cause an earlier command, payloads JSON-safe. Errors name the
 * file, the line and the field: `run.events.jsonl line 812: unknown type "vtd.iotlb.hitt"`.
 */
import { LOG_ERROR_CODES, LogError, type LogErrorCode } from './errors.js';
import { parseHeader } from './header.js';
import { checkPayload, isPlainObject } from './payload-check.js';
import type { LogContents, ReadOptions, TruncationReport } from './read-types.js';
import type { LogHeader, LogRecord, TypeRegistry } from './records.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });
const utf8Bytes = new TextEncoder();
const LONE_SURROGATE_ANYWHERE = /[\ud800-\udfff]/;

/**
 * A cursor over the records of a JSON Lines log: `next()` parses and checks one line and returns
 * its record, so a check against another stream keeps nothing alive; `readJsonl` collects them.
 * The whole text is decoded (and its UTF-8 checked) up front.
 */
export class JsonlLogReader implements Iterable<LogRecord> {
  readonly file: string;
  readonly header: LogHeader;
  /** Set at the end of a lenient read of a log cut short. */
  truncated: TruncationReport | null = null;
  readonly #input: string | Uint8Array;
  readonly #text: string;
  /** Offset (in the input's units) where an unterminated last line starts, or -1. */
  readonly #cutAt: number;
  readonly #strict: boolean;
  readonly #types: TypeRegistry | undefined;
  /** Strings need a surrogate check only if the text could hold a lone one: raw in a JS string, or escaped. */
  readonly #scanStrings: boolean;
  #pos: number;
  #lineNo = 1;
  #seq = 0;
  #lastT = 0;
  #commands = new Uint32Array(1024);

  /** Decodes the text and reads the header line; throws a LogError naming file and line. */
  constructor(input: string | Uint8Array, file: string, options: ReadOptions = {}) {
    this.file = file;
    this.#input = input;
    this.#strict = options.mode !== 'lenient';
    this.#types = options.types;
    let cutAt = -1;
    if (typeof input === 'string') {
      const nl = input.lastIndexOf('\n');
      this.#text = input.slice(0, nl + 1);
      if (nl + 1 < input.length) cutAt = nl + 1;
    } else {
      const nl = input.lastIndexOf(0x0a);
      if (nl + 1 < input.length) cutAt = nl + 1;
      this.#text = decodeLines(input.subarray(0, nl + 1), file);
    }
    this.#cutAt = cutAt;
    const text = this.#text;
    if (text.length === 0) {
      this.#fail(
        LOG_ERROR_CODES.TRUNCATED,
        1,
        undefined,
        cutAt < 0 ? 'empty log (no header)' : 'header line is cut short',
      );
    }
    this.#scanStrings =
      text.includes('\\u') || (typeof input === 'string' && LONE_SURROGATE_ANYWHERE.test(text));
    this.#pos = text.indexOf('\n');
    this.header = parseHeader(parseLine(text.slice(0, this.#pos), file, 1), { file, line: 1 });
  }

  /** How far the reader is, and how far it can go, in characters of the log's text (for progress). */
  get position(): number {
    return Math.max(0, this.#pos);
  }
  get size(): number {
    return this.#text.length;
  }

  /** The next record, or null at the end (strict mode throws there if the last line is cut short). */
  next(): LogRecord | null {
    const text = this.#text;
    const start = this.#pos + 1;
    if (start >= text.length) return this.#finish();
    const pos = text.indexOf('\n', start);
    this.#pos = pos;
    const lineNo = ++this.#lineNo;
    return this.#record(parseLine(text.slice(start, pos), this.file, lineNo), lineNo, this.#scanStrings);
  }

  *[Symbol.iterator](): Iterator<LogRecord> {
    for (let r = this.next(); r !== null; r = this.next()) yield r;
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
   * The end of the text: null, or in strict mode a throw when the last line has no newline. A
   * lenient read returns that line's record once if it is whole (only its newline is missing),
   * and reports the log as cut either way: the writers end every line with a newline.
   */
  #finish(): LogRecord | null {
    if (this.#cutAt < 0 || this.truncated !== null) return null;
    const lineNo = this.#lineNo + 1;
    if (this.#strict)
      this.#fail(
        LOG_ERROR_CODES.TRUNCATED,
        lineNo,
        undefined,
        'line is cut short (no newline at the end: a run cut short?)',
      );
    const input = this.#input;
    const tail = lastLine(input, this.#cutAt);
    // Only the whole line parses: a record cut anywhere before its final brace is not JSON.
    const o = tail === null ? undefined : parseWhole(tail);
    const record = o === undefined ? null : this.#record(o, lineNo, true);
    // In bytes: where the missing newline belongs after a whole record, else where the cut line starts.
    const end = record === null ? this.#cutAt : input.length;
    const truncatedAt = typeof input === 'string' ? utf8Bytes.encode(input.slice(0, end)).length : end;
    this.truncated = { truncatedAt, lastSeq: this.#seq };
    return record;
  }

  #fail(code: LogErrorCode, line: number, field: string | undefined, problem: string): never {
    const file = this.file;
    throw new LogError(code, field === undefined ? { file, line } : { file, line, field }, problem);
  }
}

/** Reads a whole JSON Lines log from text or UTF-8 bytes. Throws a LogError naming file, line and field. */
export function readJsonl(input: string | Uint8Array, file: string, options: ReadOptions = {}): LogContents {
  const reader = new JsonlLogReader(input, file, options);
  const records: LogRecord[] = [];
  for (let r = reader.next(); r !== null; r = reader.next()) records.push(r);
  return { format: 'jsonl', header: reader.header, records, truncated: reader.truncated };
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

function decodeLines(bytes: Uint8Array, file: string): string {
  try {
    return utf8.decode(bytes);
  } catch {
    // Find the line to name it.
    let line = 1;
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

/** The text after the last newline, or null when it is not valid UTF-8 (cut inside a character). */
function lastLine(input: string | Uint8Array, from: number): string | null {
  if (typeof input === 'string') return input.slice(from);
  try {
    return utf8.decode(input.subarray(from));
  } catch {
    return null;
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
