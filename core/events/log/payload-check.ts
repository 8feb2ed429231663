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
  return !LONE_SURROGATE.test(s);
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
          const p = checkPayload(value[i], `${path}[${i}]`, strict, depth + 1);
          if (p) return p;
        }
        return null;
      }
      if (!isPlainObject(value)) return { path, problem: 'not a plain object' };
      for (const k in value) {
        const member = value[k];
        if (member === undefined && !strict) continue;
        const p = checkPayload(member, `${path}.${k}`, strict, depth + 1);
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
