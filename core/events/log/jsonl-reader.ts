/**
 * Reads a JSON Lines log and validates every line: the header, then records
 * with the right fields and types, seq gap-free from 1, t never going back,
 * each event's cause an earlier command, payloads JSON-safe. Errors name the
 * file, the line and the field: `run.events.jsonl line 812: unknown type "vtd.iotlb.hitt"`.
 */
import type { JsonObject } from '../../plugin/contract.js';
import { LOG_ERROR_CODES, LogError, type LogErrorCode } from './errors.js';
import { parseHeader } from './header.js';
import { checkPayload, isPlainObject } from './payload-check.js';
import type { LogContents, ReadOptions } from './read-types.js';
import type { LogHeader, LogRecord } from './records.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });
const utf8Bytes = new TextEncoder();
const LONE_SURROGATE_ANYWHERE = /[\ud800-\udfff]/;

/** Reads a whole JSON Lines log from text or UTF-8 bytes. Throws a LogError naming file, line and field. */
export function readJsonl(input: string | Uint8Array, file: string, options: ReadOptions = {}): LogContents {
  const strict = options.mode !== 'lenient';
  const types = options.types;
  let text: string;
  let cutAt = -1; // offset (in the input's units) where an unterminated last line starts
  if (typeof input === 'string') {
    const nl = input.lastIndexOf('\n');
    text = input.slice(0, nl + 1);
    if (nl + 1 < input.length) cutAt = nl + 1;
  } else {
    const nl = input.lastIndexOf(0x0a);
    if (nl + 1 < input.length) cutAt = nl + 1;
    text = decodeLines(input.subarray(0, nl + 1), file);
  }
  function fail(code: LogErrorCode, line: number, field: string | undefined, problem: string): never {
    throw new LogError(code, field === undefined ? { file, line } : { file, line, field }, problem);
  }
  const lineCount = countLines(text);
  if (text.length === 0) {
    fail(
      LOG_ERROR_CODES.TRUNCATED,
      1,
      undefined,
      cutAt < 0 ? 'empty log (no header)' : 'header line is cut short',
    );
  }
  // Strings need a surrogate check only if the text could hold a lone one: raw in a JS string, or escaped.
  const scanStrings =
    text.includes('\\u') || (typeof input === 'string' && LONE_SURROGATE_ANYWHERE.test(text));

  let pos = text.indexOf('\n');
  const header: LogHeader = parseHeader(parseLine(text.slice(0, pos), file, 1), { file, line: 1 });
  const records: LogRecord[] = [];
  let commands = new Uint32Array(1024);
  let lastT = 0;
  let lineNo = 1;
  for (let start = pos + 1; start < text.length; start = pos + 1) {
    pos = text.indexOf('\n', start);
    lineNo++;
    const o = parseLine(text.slice(start, pos), file, lineNo);
    if (!isPlainObject(o)) fail(LOG_ERROR_CODES.CORRUPT, lineNo, undefined, 'expected a JSON object');
    const seq = records.length + 1;
    const kind = o.kind;
    const isEvent = kind === 'event';
    if (!isEvent && kind !== 'command')
      fail(
        LOG_ERROR_CODES.CORRUPT,
        lineNo,
        'kind',
        `field "kind": expected "command" or "event", got ${show(kind)}`,
      );
    if (o.seq !== seq)
      fail(
        LOG_ERROR_CODES.CORRUPT,
        lineNo,
        'seq',
        `field "seq": expected ${seq} (gap-free), got ${show(o.seq)}`,
      );
    const t = o.t;
    if (typeof t !== 'number' || !Number.isSafeInteger(t) || t < lastT) {
      fail(
        LOG_ERROR_CODES.CORRUPT,
        lineNo,
        't',
        `field "t": expected a safe integer >= ${lastT} (time never goes back), got ${show(t)}`,
      );
    }
    const type = o.type;
    if (typeof type !== 'string' || type.length === 0)
      fail(
        LOG_ERROR_CODES.CORRUPT,
        lineNo,
        'type',
        `field "type": expected a non-empty string, got ${show(type)}`,
      );
    if (types !== undefined && !types.has(type as string))
      fail(LOG_ERROR_CODES.UNKNOWN_TYPE, lineNo, 'type', `unknown type ${JSON.stringify(type)}`);
    const v = o.v;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0)
      fail(
        LOG_ERROR_CODES.CORRUPT,
        lineNo,
        'v',
        `field "v": expected a non-negative integer, got ${show(v)}`,
      );
    const cause = o.cause;
    if (isEvent) {
      if (
        typeof cause !== 'number' ||
        !Number.isSafeInteger(cause) ||
        cause < 1 ||
        cause >= seq ||
        (commands[cause >>> 5] & (1 << (cause & 31))) === 0
      ) {
        fail(
          LOG_ERROR_CODES.CORRUPT,
          lineNo,
          'cause',
          `field "cause": expected the seq of an earlier command, got ${show(cause)}`,
        );
      }
    }
    const data = o.data;
    if (!isPlainObject(data))
      fail(LOG_ERROR_CODES.CORRUPT, lineNo, 'data', `field "data": expected an object, got ${show(data)}`);
    const problem = checkPayloadFast(data, scanStrings);
    if (problem)
      fail(LOG_ERROR_CODES.CORRUPT, lineNo, problem.path, `field "${problem.path}": ${problem.problem}`);
    let keys = 0;
    for (const _ in o) keys++;
    if (keys !== (isEvent ? 7 : 6)) {
      const allowed = isEvent ? EVENT_KEYS : COMMAND_KEYS;
      const extra = Object.keys(o).find((k) => !allowed.includes(k)) ?? 'cause';
      fail(LOG_ERROR_CODES.CORRUPT, lineNo, extra, `field "${extra}": not expected in a ${kind} record`);
    }
    lastT = t as number;
    if (isEvent) {
      records.push({
        kind: 'event',
        seq,
        t: t as number,
        type: type as string,
        v: v as number,
        cause: cause as number,
        data: data as JsonObject,
      });
    } else {
      if (seq >>> 5 >= commands.length) {
        // Commands can be far apart (a workload's events between them): grow past seq, not just 2x.
        const next = new Uint32Array(Math.max((seq >>> 5) + 1, commands.length * 2));
        next.set(commands);
        commands = next;
      }
      commands[seq >>> 5] |= 1 << (seq & 31);
      records.push({
        kind: 'command',
        seq,
        t: t as number,
        type: type as string,
        v: v as number,
        data: data as JsonObject,
      });
    }
  }
  if (cutAt < 0) return { format: 'jsonl', header, records, truncated: null };
  if (strict)
    fail(
      LOG_ERROR_CODES.TRUNCATED,
      lineCount + 1,
      undefined,
      'line is cut short (no newline at the end: a run cut short?)',
    );
  const truncatedAt = typeof input === 'string' ? utf8Bytes.encode(text).length : cutAt;
  return { format: 'jsonl', header, records, truncated: { truncatedAt, lastSeq: records.length } };
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

function countLines(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}...` : v);
  if (typeof v === 'object' && v !== null) return Array.isArray(v) ? 'an array' : 'an object';
  return String(v);
}
