/**
 * What may go into a payload: the values JSON round-trips exactly. null,
 * booleans, finite numbers, well-formed strings, arrays, plain objects, at most
 * MAX_DEPTH levels deep. Used by the writers (programmer errors) and by the JSON
 * Lines reader (so that every record it returns can be re-encoded in binary).
 */
import { MAX_DEPTH } from './binary-format.js';

/** A UTF-16 surrogate without its partner: TextEncoder would silently turn it into U+FFFD. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export function isWellFormedString(s: string): boolean {
  // Most strings hold no surrogate at all: a scan of char codes, the pattern only when one is there.
  for (let i = 0; i < s.length; i++) {
    if ((s.charCodeAt(i) & 0xf800) === 0xd800) return !LONE_SURROGATE.test(s);
  }
  return true;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** A problem found in a payload: the path (`data.list[3].x`) and what is wrong. */
export interface PayloadProblem {
  readonly path: string;
  readonly problem: string;
}

/**
 * Checks a JSON value; returns null when it is fine. `undefined` object members
 * are allowed (JSON drops them) unless `strict`, which readers use.
 */
export function checkPayload(value: unknown, path: string, strict = false, depth = 0): PayloadProblem | null {
  // The walk that names a problem builds a path string per member; most payloads have none.
  return isCleanPayload(value, strict, depth) ? null : problemAt(value, path, strict, depth);
}

/** checkPayload's verdict without the path: true when checkPayload would return null. */
function isCleanPayload(value: unknown, strict: boolean, depth: number): boolean {
  switch (typeof value) {
    case 'number':
      return Number.isFinite(value);
    case 'string':
      return isWellFormedString(value);
    case 'boolean':
      return true;
    case 'object': {
      if (value === null) return true;
      if (depth >= MAX_DEPTH) return false;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          const x: unknown = value[i];
          if (x === undefined || !isCleanPayload(x, strict, depth + 1)) return false;
        }
        return true;
      }
      if (!isPlainObject(value)) return false;
      for (const k in value) {
        const member = value[k];
        if (member === undefined && !strict) continue;
        if (!isCleanPayload(member, strict, depth + 1) || !isWellFormedString(k)) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

function problemAt(value: unknown, path: string, strict: boolean, depth: number): PayloadProblem | null {
  switch (typeof value) {
    case 'number':
      return Number.isFinite(value) ? null : { path, problem: `${value} is not a finite number` };
    case 'string':
      return isWellFormedString(value) ? null : { path, problem: 'string contains a lone UTF-16 surrogate' };
    case 'boolean':
      return null;
    case 'object': {
      if (value === null) return null;
      if (depth >= MAX_DEPTH) return { path, problem: `nested deeper than ${MAX_DEPTH} levels` };
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          if (value[i] === undefined)
            return { path: `${path}[${i}]`, problem: 'undefined is not a JSON value' };
          const p = problemAt(value[i], `${path}[${i}]`, strict, depth + 1);
          if (p) return p;
        }
        return null;
      }
      if (!isPlainObject(value)) return { path, problem: 'not a plain object' };
      for (const k in value) {
        const member = value[k];
        if (member === undefined && !strict) continue;
        const p = problemAt(member, `${path}.${k}`, strict, depth + 1);
        if (p) return p;
        if (!isWellFormedString(k))
          return { path: `${path}.${k}`, problem: 'key contains a lone UTF-16 surrogate' };
      }
      return null;
    }
    default:
      return { path, problem: `${typeof value} is not a JSON value` };
  }
}
