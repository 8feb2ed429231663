/**
 * A small field-path checker for hand-written JSON: each check records a
 * problem at a path (`steps[3].data.iova`) and returns the value or undefined,
 * so one pass reports every problem in a file, not just the first.
 */
import type { JsonObject, JsonValue } from '../plugin/contract.js';
import type { ScenarioProblem } from './errors.js';

export const HEX_STRING = /^0x[0-9a-fA-F]+$/;

export function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

export class Checker {
  readonly problems: ScenarioProblem[] = [];

  add(path: string, message: string): undefined {
    this.problems.push({ path, message });
    return undefined;
  }

  expected(path: string, what: string, got: unknown): undefined {
    return this.add(path, `expected ${what}, got ${describe(got)}`);
  }

  object(v: unknown, path: string): JsonObject | undefined {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return this.expected(path, 'an object', v);
    return v as JsonObject;
  }

  array(v: unknown, path: string): readonly JsonValue[] | undefined {
    if (!Array.isArray(v)) return this.expected(path, 'an array', v);
    return v as JsonValue[];
  }

  string(v: unknown, path: string, pattern?: RegExp, what = 'a string'): string | undefined {
    if (typeof v !== 'string' || (pattern && !pattern.test(v))) return this.expected(path, what, v);
    return v;
  }

  int(v: unknown, path: string, min = 0, max = Number.MAX_SAFE_INTEGER): number | undefined {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      return this.expected(path, `an integer in [${min}, ${max}]`, v);
    }
    return v;
  }

  bool(v: unknown, path: string): boolean | undefined {
    if (typeof v !== 'boolean') return this.expected(path, 'true or false', v);
    return v;
  }

  /** An address-like value: "0x..." hex (what logs use) or a template placeholder "$name". */
  hex(v: unknown, path: string, allowPlaceholder: boolean): string | undefined {
    if (typeof v === 'string' && (HEX_STRING.test(v) || (allowPlaceholder && v.startsWith('$')))) return v;
    return this.expected(path, '"0x..." hex', v);
  }

  oneOf<T extends string>(v: unknown, path: string, allowed: readonly T[]): T | undefined {
    if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
      return this.expected(path, `one of ${allowed.map((a) => `"${a}"`).join(', ')}`, v);
    }
    return v as T;
  }

  /** Reports keys of `obj` that are not in `known` (catches typos like "expcet"). */
  noUnknownKeys(obj: JsonObject, path: string, known: readonly string[]): void {
    for (const k of Object.keys(obj)) {
      if (!known.includes(k))
        this.add(path ? `${path}.${k}` : k, `unknown field (allowed: ${known.join(', ')})`);
    }
  }
}
