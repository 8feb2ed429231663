/**
 * The scenario language above plain steps: names and references.
 *
 * - A step may name its result: `"as": "dom7"`. A later step refers to it in
 *   any string of its data, `with` or workload as `${dom7}` (the whole value)
 *   or `${dom7.slptptr}` / `${dom7.list[0]}` (a part of it). A string that is
 *   exactly one reference becomes the value itself (a number stays a number);
 *   inside a longer string the value is written as text, or as lowercase hex
 *   without "0x" with `${name:x}`.
 * - `{ "repeat": N, "as": "i", "step": {...} }` runs the step N times with
 *   `${i}` = 0..N-1 (`"0x${i:x}000"` is the page address of page i).
 *
 * References are checked when the scenario loads (an unknown name, or a name
 * used before the step that defines it, is an invalid scenario, exit 4) and
 * resolved when the command runs, so logs record the values actually used.
 */
import type { JsonObject, JsonValue } from '../plugin/contract.js';
import type { ScenarioProblem } from './errors.js';
import type { Scenario, StepSpec } from './types.js';

/** `${name}`, `${name.a.b}`, `${name.list[2]}`, `${name:x}`. */
const REF = /\$\{([A-Za-z_]\w*)((?:\.\w+|\[\d+\])*)(?::(x))?\}/g;
/** A string that is one reference and nothing else. */
const WHOLE = /^\$\{([A-Za-z_]\w*)((?:\.\w+|\[\d+\])*)(?::(x))?\}$/;
/** What a name may be: starts with a letter or underscore. */
export const NAME = /^[A-Za-z_]\w*$/;

/** Every name referenced in `v`'s strings (roots only), in order. */
export function referencedNames(v: JsonValue | undefined): string[] {
  const out: string[] = [];
  collectNames(v, out, false);
  return out;
}

/**
 * Whether `v` holds any reference (what the runner must resolve). Called once per compiled
 * command: it stops at the first reference and runs the pattern only on strings holding "${".
 */
export function hasReferences(v: JsonValue | undefined): boolean {
  return collectNames(v, null, true);
}

/** Pushes the names referenced in `x` onto `out` (when given); with `first`, stops at the first. */
function collectNames(x: JsonValue | undefined, out: string[] | null, first: boolean): boolean {
  if (typeof x === 'string') {
    if (!x.includes('${')) return false;
    let found = false;
    for (const m of x.matchAll(REF)) {
      found = true;
      if (first) return true;
      out?.push(m[1]!);
    }
    return found;
  }
  if (x === null || typeof x !== 'object') return false;
  let found = false;
  if (Array.isArray(x)) {
    for (let i = 0; i < x.length; i++) {
      if (collectNames(x[i], out, first)) {
        found = true;
        if (first) return true;
      }
    }
    return found;
  }
  for (const k in x) {
    if (collectNames((x as JsonObject)[k], out, first)) {
      found = true;
      if (first) return true;
    }
  }
  return found;
}

/**
 * `v` with every reference resolved by `lookup(name)`; throws an Error naming the reference when
 * the name has no value or the path leads nowhere.
 */
export function resolveReferences(v: JsonValue, lookup: (name: string) => JsonValue | undefined): JsonValue {
  if (typeof v === 'string') {
    const whole = WHOLE.exec(v);
    if (whole) return format(value(whole[1]!, whole[2]!, lookup, v), whole[3], true);
    if (!v.includes('${')) return v;
    return v.replace(REF, (ref, name: string, path: string, fmt?: string) =>
      String(format(value(name, path, lookup, ref), fmt, false)),
    );
  }
  if (Array.isArray(v)) return v.map((x) => resolveReferences(x, lookup));
  if (v !== null && typeof v === 'object') {
    const o: { [k: string]: JsonValue } = {};
    for (const [k, x] of Object.entries(v)) o[k] = resolveReferences(x, lookup);
    return o;
  }
  return v;
}

function value(
  name: string,
  path: string,
  lookup: (name: string) => JsonValue | undefined,
  ref: string,
): JsonValue {
  const found = lookup(name);
  if (found === undefined) throw new Error(`${ref}: "${name}" has no value here`);
  let v: JsonValue = found;
  for (const m of path.matchAll(/\.(\w+)|\[(\d+)\]/g)) {
    const key = m[1] ?? Number(m[2]);
    const next: JsonValue | undefined =
      v !== null && typeof v === 'object' ? (v as { [k: string]: JsonValue })[key] : undefined;
    if (next === undefined)
      throw new Error(
        `${ref}: the value of "${name}" has no ${typeof key === 'number' ? `[${key}]` : `"${key}"`} (it is ${JSON.stringify(v)})`,
      );
    v = next;
  }
  return v;
}

function format(v: JsonValue, fmt: string | undefined, whole: boolean): JsonValue {
  if (fmt !== 'x') return whole ? v : typeof v === 'string' ? v : JSON.stringify(v);
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return v.toString(16);
  if (typeof v === 'string' && /^0x[0-9a-f]+$/i.test(v)) return v.slice(2).toLowerCase();
  throw new Error(`":x" needs a non-negative integer or a "0x..." string, got ${JSON.stringify(v)}`);
}

/** `step` with the repeat index `name` = `k` substituted everywhere (data, with, workload, expect). */
export function withIndex<T extends StepSpec>(step: T, name: string, k: number): T {
  const lookup = (n: string): JsonValue | undefined => (n === name ? k : undefined);
  const sub = (v: JsonValue): JsonValue => {
    if (typeof v === 'string') {
      // Only this index: other names stay for the runner (or an enclosing repeat) to resolve.
      const whole = WHOLE.exec(v);
      if (whole && whole[1] === name) return resolveReferences(v, lookup);
      return v.replace(REF, (ref, n: string) => (n === name ? String(resolveReferences(ref, lookup)) : ref));
    }
    if (Array.isArray(v)) return v.map(sub);
    if (v !== null && typeof v === 'object') {
      const o: { [k: string]: JsonValue } = {};
      for (const [key, x] of Object.entries(v)) o[key] = sub(x);
      return o;
    }
    return v;
  };
  return sub(step as unknown as JsonObject) as unknown as T;
}

/**
 * Problems with the names of a scenario: a reference to a name no earlier step defines (or that
 * a later one does), a name defined twice. Set-up steps come first (their names are visible to
 * every step), then the steps in order; a repeat's index is visible inside it only.
 */
export function checkNames(scenario: Scenario): ScenarioProblem[] {
  const problems: ScenarioProblem[] = [];
  const laterDefs = new Map<string, string>();
  const collect = (steps: readonly StepSpec[], base: string): void => {
    steps.forEach((s, i) => {
      if (s.kind === 'repeat') collect([s.step], `${base}[${i}].step`);
      else if (s.as !== undefined && !laterDefs.has(s.as)) laterDefs.set(s.as, `${base}[${i}]`);
    });
  };
  scenario.targets.forEach((t, ti) => {
    collect(t.setup, `targets[${ti}].setup`);
  });
  collect(scenario.steps, 'steps');
  const walk = (steps: readonly StepSpec[], base: string, scope: Set<string>): void => {
    steps.forEach((s, i) => {
      const path = `${base}[${i}]`;
      if (s.kind === 'repeat') {
        if (scope.has(s.index))
          problems.push({ path: `${path}.as`, message: `"${s.index}" is already a name here` });
        walk([s.step], `${path}.step`, new Set([...scope, s.index]).add(s.index));
        // Names defined inside a repeat are visible after it (the last round's value).
        if (s.step.kind !== 'repeat' && s.step.as !== undefined) scope.add(s.step.as);
        return;
      }
      const own =
        s.kind === 'command'
          ? { data: s.data }
          : s.kind === 'use'
            ? { with: s.with }
            : { workload: s.workload as unknown as JsonObject };
      for (const [field, v] of Object.entries(own)) {
        for (const name of referencedNames(v)) {
          if (scope.has(name)) continue;
          const later = laterDefs.get(name);
          problems.push({
            path: `${path}.${field}`,
            message: later
              ? `"\${${name}}" is used before ${later} defines it`
              : `"\${${name}}" names no step result or repeat index (name a step with "as")`,
          });
        }
      }
      if (s.as !== undefined) {
        if (scope.has(s.as))
          problems.push({ path: `${path}.as`, message: `"${s.as}" is already a name here` });
        scope.add(s.as);
      }
    });
  };
  const shared = new Set<string>();
  scenario.targets.forEach((t, ti) => {
    const scope = new Set<string>();
    walk(t.setup, `targets[${ti}].setup`, scope);
    for (const n of scope) shared.add(n);
  });
  walk(scenario.steps, 'steps', shared);
  return problems;
}
