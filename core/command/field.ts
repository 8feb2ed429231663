/**
 * The field kit: one declaration per command field (its kind, doc, default)
 * that decodes JSON data into the typed value a handler uses, describes itself
 * for the generated JSON Schema and docs, and refuses bad values with the path
 * of the field (`commands[2].addr: expected a 64-bit hex value, got "0x1g"`).
 *
 * Decoding allocates nothing on success but the decoded object (and a bigint
 * for 64-bit fields): failures throw a FieldFault that each enclosing object
 * or list prefixes with its key, and the catalog turns it into an error.
 */
import type { JsonObject } from '../plugin/contract.js';
import { errnoName } from '../uapi/errno.js';

/** A JSON Schema fragment (draft-07). */
export type JsonSchema = { readonly [k: string]: unknown };

/** A bad value at a path inside a command's data; `reason` reads "expected ..., got ...". */
export class FieldFault {
  readonly path: (string | number)[];
  readonly reason: string;

  constructor(reason: string, path: (string | number)[] = []) {
    this.reason = reason;
    this.path = path;
  }
}

/** `a.b[2].c` from path segments. */
export function pathText(path: readonly (string | number)[]): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s === '' ? p : `.${p}`;
  return s;
}

export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function expected(want: string, got: unknown): never {
  throw new FieldFault(`expected ${want}, got ${describeValue(got)}`);
}

/**
 * Whether strings may stand for values given later: 1 = `${name}` references (language.ts),
 * resolved when the command runs; 2 = those and a template's `$name` placeholders. Set only while
 * the loader checks a scenario; the dispatcher decodes with it at 0.
 */
const MODE_KEY = Symbol.for('viommu-sim.command-field-mode');
// One mode per process: a plugin loaded from source (`--plugin ./plugins/x/index.ts`) is bundled
// with its own copy of this module, and its decoders must see the loader's mode too.
const shared = globalThis as { [MODE_KEY]?: { late: number } };
if (shared[MODE_KEY] === undefined) shared[MODE_KEY] = { late: 0 };
const mode = shared[MODE_KEY];

/** A string that stands for a later value in the current mode. */
function isLate(v: string): boolean {
  return (mode.late === 2 && v.charCodeAt(0) === 36) /* $ */ || v.includes('${');
}

function withLate<T>(level: number, fn: () => T): T {
  const saved = mode.late;
  mode.late = Math.max(saved, level);
  try {
    return fn();
  } finally {
    mode.late = saved;
  }
}

/** Runs `fn` with `${name}` references accepted in place of any value (steps, checked at load). */
export function withReferences<T>(fn: () => T): T {
  return withLate(1, fn);
}

/** Runs `fn` with references and `$name` placeholders accepted in place of any value (template bodies). */
export function withPlaceholders<T>(fn: () => T): T {
  return withLate(2, fn);
}

/** One field's declaration. `T` is the decoded type (undefined included when optional). */
export class Field<T> {
  readonly kind: string;
  /** What a value must be, as error messages and docs say it. */
  readonly want: string;
  readonly doc: string | undefined;
  readonly optional: boolean;
  /** The default, as written in JSON (for docs and schema). */
  readonly fallbackJson: unknown;
  readonly #check: (v: unknown) => T;
  readonly #schema: () => JsonSchema;
  readonly #fallback: T | undefined;
  readonly #hasFallback: boolean;

  constructor(
    kind: string,
    want: string,
    check: (v: unknown) => T,
    schema: () => JsonSchema,
    extra: { doc?: string; optional?: boolean; fallback?: { json: unknown; value: T } } = {},
  ) {
    this.kind = kind;
    this.want = want;
    this.#check = check;
    this.#schema = schema;
    this.doc = extra.doc;
    this.optional = extra.optional ?? false;
    this.#hasFallback = extra.fallback !== undefined;
    this.#fallback = extra.fallback?.value;
    this.fallbackJson = extra.fallback?.json;
  }

  /** Decodes one value (undefined when absent); throws FieldFault. */
  decode(v: unknown): T {
    if (v === undefined) {
      if (this.#hasFallback) return this.#fallback as T;
      if (this.optional) return undefined as T;
      throw new FieldFault(`missing (expected ${this.want})`);
    }
    if (mode.late !== 0 && typeof v === 'string' && isLate(v)) return v as T;
    return this.#check(v);
  }

  /** The value check alone (a present value), for compiled decoders. */
  get check(): (v: unknown) => T {
    return this.#check;
  }

  /** Whether an absent value decodes to a default (or undefined when optional) without a check. */
  get absentValue(): { readonly ok: boolean; readonly value: T | undefined } {
    if (this.#hasFallback) return { ok: true, value: this.#fallback };
    return { ok: this.optional, value: undefined };
  }

  schema(): JsonSchema {
    const s = this.#schema();
    return {
      ...s,
      ...(this.doc ? { description: this.doc } : {}),
      ...(this.fallbackJson !== undefined ? { default: this.fallbackJson } : {}),
    };
  }

  /** The same field, with values that fail `test` refused as not `want` (a maximum, an alignment). */
  refine(want: string, test: (v: T) => boolean): Field<T> {
    const check = this.#check;
    const fullWant = `${this.want}, ${want}`;
    return new Field(
      this.kind,
      fullWant,
      (v) => {
        const d = check(v);
        if (!test(d)) expected(fullWant, v);
        return d;
      },
      this.#schema,
      this.#extra(),
    );
  }

  /** The same field with a one-line doc. */
  describe(doc: string): Field<T> {
    return new Field(this.kind, this.want, this.#check, this.#schema, { ...this.#extra(), doc });
  }

  /** The same field, optional: absent decodes as undefined. */
  opt(): Field<T | undefined> {
    return new Field<T | undefined>(this.kind, this.want, this.#check, this.#schema, {
      ...this.#extra(),
      optional: true,
    });
  }

  /** The same field with a default, given as JSON (decoded once, here). */
  def(json: unknown): Field<Exclude<T, undefined>> {
    const value = this.#check(json) as Exclude<T, undefined>;
    return new Field<Exclude<T, undefined>>(
      this.kind,
      this.want,
      this.#check as (v: unknown) => Exclude<T, undefined>,
      this.#schema,
      { ...this.#extra(), optional: true, fallback: { json, value } },
    );
  }

  #extra(): { doc?: string; optional?: boolean; fallback?: { json: unknown; value: T } } {
    return {
      ...(this.doc !== undefined ? { doc: this.doc } : {}),
      optional: this.optional,
      ...(this.#hasFallback ? { fallback: { json: this.fallbackJson, value: this.#fallback as T } } : {}),
    };
  }
}

export type AnyField = Field<unknown>;
/** The decoded type of a field. */
export type ValueOf<F> = F extends Field<infer T> ? T : never;
/** A command's (or nested object's) fields by name. */
export type FieldMap = { readonly [name: string]: AnyField };
/** The decoded object of a field map. */
export type Decoded<F extends FieldMap> = {
  readonly [K in keyof F]: F[K] extends Field<infer T> ? T : never;
};

const HEX = /^0x[0-9a-fA-F]{1,16}$/;

// --- numbers ---------------------------------------------------------------------------------

/** An integer in [min, max]. */
export function int(min: number, max: number): Field<number> {
  const want = `an integer in [${min}, ${max}]`;
  return new Field(
    'int',
    want,
    (v) => {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) expected(want, v);
      return v;
    },
    () => ({ type: 'integer', minimum: min, maximum: max }),
  );
}

export const u8 = (): Field<number> => int(0, 0xff);
export const u16 = (): Field<number> => int(0, 0xffff);
export const u32 = (): Field<number> => int(0, 0xffff_ffff);
/** A PASID (20 bits). */
export const pasid = (): Field<number> => int(0, 0xfffff);
/** A count of 4 KiB pages. */
export const pages = (max = 2 ** 32): Field<number> => int(1, max);

/** Whether a 64-bit field also takes a JSON integer (as some plugins' fields always did). */
export interface HexOptions {
  readonly int?: boolean;
}

/** A 64-bit value: "0x" and 1 to 16 hex digits (or, with `int`, a non-negative safe integer), as a bigint. */
export function u64(opts: HexOptions = {}): Field<bigint> {
  const ints = opts.int === true;
  const want = `a 64-bit value as "0x..." hex (up to 16 digits${ints ? ') or a non-negative integer' : ')'}`;
  return new Field(
    'u64',
    want,
    (v) => {
      if (typeof v === 'string' && HEX.test(v)) return BigInt(v);
      if (ints && typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
      return expected(want, v);
    },
    () => {
      const hex = { type: 'string', pattern: '^0x[0-9a-fA-F]{1,16}$' };
      return ints ? { oneOf: [hex, { type: 'integer', minimum: 0 }] } : hex;
    },
  );
}

/** A 64-bit value kept as its checked "0x..." text, read by pageOf()/offsetOf() without a bigint. */
export type Hex64Text = string & { readonly hex64: true };

/** Hex digit values by character code (-1: not a hex digit). */
const HEX_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < 16; i++) {
  HEX_VALUE['0123456789abcdef'.charCodeAt(i)] = i;
  HEX_VALUE['0123456789ABCDEF'.charCodeAt(i)] = i;
}

/** Value of hex digits [from, to) of `v`, or -1 at a non-hex character. */
function hexDigits(v: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const d = HEX_VALUE[v.charCodeAt(i) & 127]!;
    if (d < 0 || v.charCodeAt(i) > 127) return -1;
    n = n * 16 + d;
  }
  return n;
}

/**
 * A 64-bit address on a hot path (a DMA's iova): "0x" and 1 to 16 hex digits, checked and kept as
 * text; pageOf() and offsetOf() give its 4 KiB page number (< 2^52) and offset exactly.
 */
export function hexAddr64(): Field<Hex64Text> {
  const want = 'a 64-bit value as "0x..." hex (up to 16 digits)';
  return new Field(
    'u64',
    want,
    (v) => {
      if (
        typeof v !== 'string' ||
        v.length < 3 ||
        v.length > 18 ||
        v.charCodeAt(0) !== 48 ||
        v.charCodeAt(1) !== 120 ||
        hexDigits(v, 2, v.length) < 0
      )
        expected(want, v);
      return v as Hex64Text;
    },
    () => ({ type: 'string', pattern: '^0x[0-9a-fA-F]{1,16}$' }),
  );
}

/** The 4 KiB page number of a checked hex address. */
export function pageOf(h: Hex64Text): number {
  return h.length <= 5 ? 0 : hexDigits(h, 2, h.length - 3);
}

/** The offset in its 4 KiB page of a checked hex address. */
export function offsetOf(h: Hex64Text): number {
  return hexDigits(h, Math.max(2, h.length - 3), h.length);
}

/**
 * An address or value below 2^bits (53 at most), "0x..." hex or an integer, as a number.
 * Hex digits are summed by hand: no bigint for the common case.
 */
export function addr(bits = 53, opts: HexOptions = {}): Field<number> {
  const limit = 2 ** bits;
  const ints = opts.int === true;
  const want = `${bits === 53 ? 'an address below 2^53' : `a value below 2^${bits}`} as "0x..." hex${ints ? ' or an integer' : ''}`;
  return new Field(
    'addr',
    want,
    (v) => {
      let n = -1;
      if (typeof v === 'string') {
        if (v.length > 2 && v.length <= 18 && v.charCodeAt(0) === 48 && (v.charCodeAt(1) | 32) === 120) {
          n = 0;
          for (let i = 2; i < v.length; i++) {
            const c = v.charCodeAt(i);
            const d = c >= 48 && c <= 57 ? c - 48 : (c | 32) >= 97 && (c | 32) <= 102 ? (c | 32) - 87 : -1;
            if (d < 0) {
              n = -1;
              break;
            }
            n = n * 16 + d;
          }
        }
      } else if (ints && typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) n = v;
      if (n < 0 || n >= limit) expected(want, v);
      return n;
    },
    () => {
      const hex = { type: 'string', pattern: '^0x[0-9a-fA-F]{1,16}$' };
      return ints
        ? {
            oneOf: [
              hex,
              { type: 'integer', minimum: 0, maximum: Math.min(limit - 1, Number.MAX_SAFE_INTEGER) },
            ],
          }
        : hex;
    },
  );
}

// --- strings, flags, names -------------------------------------------------------------------

export function bool(): Field<boolean> {
  return new Field(
    'bool',
    'true or false',
    (v) => {
      if (typeof v !== 'boolean') expected('true or false', v);
      return v;
    },
    () => ({ type: 'boolean' }),
  );
}

/** A non-empty string. */
export function str(): Field<string> {
  return new Field(
    'string',
    'a non-empty string',
    (v) => {
      if (typeof v !== 'string' || v.length === 0) expected('a non-empty string', v);
      return v;
    },
    () => ({ type: 'string', minLength: 1 }),
  );
}

/** A number in [min, max] (not only integers): shares, ratios. */
export function fraction(min = 0, max = 1): Field<number> {
  const want = `a number in [${min}, ${max}]`;
  return new Field(
    'number',
    want,
    (v) => {
      if (typeof v !== 'number' || !(v >= min && v <= max)) expected(want, v);
      return v;
    },
    () => ({ type: 'number', minimum: min, maximum: max }),
  );
}

/**
 * A JSON object passed on as written, for data whose shape is another declaration's business
 * (a generator's `ops`: the target's templates, checked when they run).
 */
export function jsonObject(): Field<JsonObject> {
  return new Field(
    'object',
    'a JSON object',
    (v) => {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) expected('a JSON object', v);
      return v as JsonObject;
    },
    () => ({ type: 'object' }),
  );
}

/** One of `values`. */
export function oneOf<const T extends string>(values: readonly T[]): Field<T> {
  const want = `one of ${values.map((x) => `"${x}"`).join(', ')}`;
  return new Field(
    'enum',
    want,
    (v) => {
      if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) expected(want, v);
      return v as T;
    },
    () => ({ enum: [...values] }),
  );
}

/** A number from a fixed list (page sizes, granules). */
export function numberIn<const T extends number>(values: readonly T[]): Field<T> {
  const want = `one of ${values.join(', ')}`;
  return new Field(
    'enum',
    want,
    (v) => {
      if (typeof v !== 'number' || !(values as readonly number[]).includes(v)) expected(want, v);
      return v as T;
    },
    () => ({ enum: [...values] }),
  );
}

/** A device named in the target's `devices`. */
export function device(): Field<string> {
  return new Field(
    'device',
    'a device name',
    (v) => {
      if (typeof v !== 'string' || v.length === 0) expected('a device name', v);
      return v;
    },
    () => ({ type: 'string', minLength: 1 }),
  );
}

/** DMA access letters: r(ead), w(rite), x (execute), p(rivileged), as ACCESS bits 1, 2, 4, 8. */
export function access(): Field<number> {
  const want = 'access letters from "rwxp"';
  return new Field(
    'access',
    want,
    (v) => {
      if (typeof v !== 'string' || v.length === 0 || v.length > 4) expected(want, v);
      let bits = 0;
      for (let i = 0; i < v.length; i++) {
        const c = v.charCodeAt(i);
        const b = c === 114 ? 1 : c === 119 ? 2 : c === 120 ? 4 : c === 112 ? 8 : 0;
        if (b === 0) expected(want, v);
        bits |= b;
      }
      return bits;
    },
    () => ({ type: 'string', pattern: '^[rwxp]{1,4}$' }),
  );
}

/** The letters of an access string, inverse of access(). */
export function accessString(bits: number): string {
  return `${bits & 1 ? 'r' : ''}${bits & 2 ? 'w' : ''}${bits & 4 ? 'x' : ''}${bits & 8 ? 'p' : ''}`;
}

/** Permission letters from `alphabet` (each at most once, possibly none), as the string. */
export function letters(alphabet: string): Field<string> {
  const want = `letters from "${alphabet}"`;
  const re = new RegExp(`^[${alphabet}]*$`);
  return new Field(
    'letters',
    want,
    (v) => {
      if (typeof v !== 'string' || !re.test(v)) expected(want, v);
      return v;
    },
    () => ({ type: 'string', pattern: `^[${alphabet}]*$` }),
  );
}

/** Raw bytes as hex ("0x" optional; spaces, "_" and ":" ignored). */
export function bytes(): Field<Uint8Array> {
  const want = 'hex bytes';
  return new Field(
    'bytes',
    want,
    (v) => {
      if (typeof v !== 'string') expected(want, v);
      const clean = v.replace(/^0x/, '').replace(/[\s_:]/g, '');
      if (clean.length % 2 !== 0 || /[^0-9a-fA-F]/.test(clean)) expected(want, v);
      const out = new Uint8Array(clean.length / 2);
      for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(clean.slice(2 * i, 2 * i + 2), 16);
      return out;
    },
    () => ({ type: 'string', pattern: '^(0x)?[0-9a-fA-F\\s_:]*$' }),
  );
}

/** 0 or a negated errno the simulator names (core/uapi/errno.ts), e.g. -22 for EINVAL. */
export function errnoResult(): Field<number> {
  const want = '0 or a negated errno the simulator names (e.g. -22 for EINVAL)';
  return new Field(
    'errno',
    want,
    (v) => {
      if (v === 0 || (typeof v === 'number' && v < 0 && errnoName(v) !== undefined)) return v;
      return expected(want, v);
    },
    () => ({ type: 'integer', maximum: 0 }),
  );
}

// --- structure -------------------------------------------------------------------------------

/** Decodes `data` against `fields`: every declared field, and no other key. */
export function decodeFields<F extends FieldMap>(
  fields: F,
  names: readonly string[],
  data: unknown,
): Decoded<F> {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) expected('an object', data);
  const d = data as { readonly [k: string]: unknown };
  const out: { [k: string]: unknown } = {};
  for (let i = 0; i < names.length; i++) {
    const k = names[i]!;
    try {
      out[k] = fields[k]!.decode(d[k]);
    } catch (e) {
      if (e instanceof FieldFault) e.path.unshift(k);
      throw e;
    }
  }
  for (const k in d) {
    if (!Object.hasOwn(fields, k))
      throw new FieldFault(
        `unknown field${names.length ? ` (allowed: ${names.join(', ')})` : ' (this command takes none)'}`,
        [k],
      );
  }
  return out as Decoded<F>;
}

/**
 * A decoder of `fields` specialised to them (the way ajv and TypeBox compile validators): one
 * object literal of a fixed shape per call, no per-field loop or try. Anything unusual (a key it
 * does not declare, a bad value, data that is not an object) goes through decodeFields(), which
 * finds and names the field.
 */
export function compileFields<F extends FieldMap>(fields: F): (data: unknown) => Decoded<F> {
  const names = Object.keys(fields);
  const slow = (d: unknown): Decoded<F> => decodeFields(fields, names, d);
  const key = (k: string): string => JSON.stringify(k);
  // Per field i: c<i> its check, a<i> its value when absent (or m<i> to throw "missing").
  const absent = names.map((k) => fields[k]!.absentValue);
  const value = (i: number): string => {
    const none = absent[i]!.ok ? `a${i}` : `m${i}(v${i})`;
    return `v${i} === undefined ? ${none} : P.late !== 0 && typeof v${i} === 'string' && late(v${i}) ? v${i} : c${i}(v${i})`;
  };
  const body = `
    return function decode(d) {
      if (typeof d !== 'object' || d === null || Array.isArray(d)) return slow(d);
      let n = 0;
      for (const k in d) n++;
      ${names.map((k, i) => `const v${i} = d[${key(k)}];`).join('\n      ')}
      const given = ${names.map((_, i) => `(v${i} !== undefined ? 1 : 0)`).join(' + ') || '0'};
      if (given !== n) return slow(d);
      try {
        return { ${names.map((k, i) => `${key(k)}: ${value(i)}`).join(', ')} };
      } catch (e) {
        if (e instanceof Fault) return slow(d);
        throw e;
      }
    };`;
  const args: unknown[] = [slow, FieldFault, mode, isLate];
  const params = ['slow', 'Fault', 'P', 'late'];
  names.forEach((k, i) => {
    const f = fields[k]!;
    params.push(`c${i}`, `a${i}`, `m${i}`);
    args.push(f.check, absent[i]!.value, (v: unknown) => f.decode(v));
  });
  const make = new Function(...params, body) as (...a: unknown[]) => (d: unknown) => Decoded<F>;
  return make(...args);
}

/** The JSON Schema of an object of `fields` (no other properties). */
export function objectSchema(fields: FieldMap): JsonSchema {
  const properties: { [k: string]: JsonSchema } = {};
  const required: string[] = [];
  for (const [k, f] of Object.entries(fields)) {
    properties[k] = f.schema();
    if (!f.optional) required.push(k);
  }
  return {
    type: 'object',
    properties,
    ...(required.length ? { required } : {}),
    additionalProperties: false,
  };
}

/** A nested object with its own fields. */
export function obj<F extends FieldMap>(fields: F): Field<Decoded<F>> {
  const names = Object.keys(fields);
  const decode = compileFields(fields);
  return new Field('object', `an object with ${names.join(', ') || 'no fields'}`, decode, () =>
    objectSchema(fields),
  );
}

/** A list of `item`, with at least `min` and at most `max` entries (or exactly one of `sizes`). */
export function list<T>(
  item: Field<T>,
  opts: { min?: number; max?: number; sizes?: readonly number[] } = {},
): Field<T[]> {
  const min = opts.min ?? 0;
  const max = opts.max ?? 1 << 20;
  const sizes = opts.sizes;
  const want = sizes
    ? `a list of ${sizes.join(' or ')} ${item.kind} values`
    : `a list of ${min > 0 ? `${min} or more ` : ''}${item.kind} values`;
  return new Field(
    'list',
    want,
    (v) => {
      if (!Array.isArray(v) || v.length < min || v.length > max || (sizes && !sizes.includes(v.length)))
        expected(want, v);
      const out: T[] = new Array(v.length);
      for (let i = 0; i < v.length; i++) {
        try {
          out[i] = item.decode(v[i]);
        } catch (e) {
          if (e instanceof FieldFault) e.path.unshift(i);
          throw e;
        }
      }
      return out;
    },
    () => ({
      type: 'array',
      items: item.schema(),
      ...(min > 0
        ? { minItems: sizes ? Math.min(...sizes) : min }
        : sizes
          ? { minItems: Math.min(...sizes) }
          : {}),
      ...(sizes ? { maxItems: Math.max(...sizes) } : opts.max !== undefined ? { maxItems: max } : {}),
    }),
  );
}

type TaggedOf<K extends string, C extends { readonly [tag: string]: FieldMap }> = {
  [T in keyof C & string]: { readonly [P in K]: T } & Decoded<C[T]>;
}[keyof C & string];

/**
 * An object whose `key` (e.g. "op") selects its fields from `cases`; with `untagged`, an object
 * without the key is decoded by those fields instead (e.g. `{ raw: [...] }`).
 */
export function tagged<
  const K extends string,
  const C extends { readonly [tag: string]: FieldMap },
  const U extends FieldMap | undefined = undefined,
>(key: K, cases: C, untagged?: U): Field<TaggedOf<K, C> | (U extends FieldMap ? Decoded<U> : never)> {
  const tags = Object.keys(cases);
  const tagField = oneOf(tags);
  const full: { [tag: string]: { fields: FieldMap; names: string[] } } = {};
  for (const t of tags) {
    const fields = { [key]: tagField, ...cases[t] } as FieldMap;
    full[t] = { fields, names: Object.keys(fields) };
  }
  const rawNames = untagged ? Object.keys(untagged) : [];
  const known = new Set<string>([key, ...rawNames]);
  for (const t of tags) for (const k of Object.keys(cases[t]!)) known.add(k);
  const want = `an object with "${key}"${untagged ? ` or with ${rawNames.join(', ')}` : ''}`;
  return new Field(
    'object',
    want,
    (v) => {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) expected(want, v);
      const o = v as { readonly [k: string]: unknown };
      if (o[key] === undefined && untagged) {
        // Without the tag it is the untagged form, unless it has fields only a tagged one takes.
        let raw = false;
        for (const k in o) {
          raw = Object.hasOwn(untagged, k);
          if (!raw) break;
        }
        if (raw) return decodeFields(untagged, rawNames, o) as never;
        // Nothing given: the entry itself is wrong. A key no form takes is the mistake to name
        // (e.g. "rawx"); else the tag is missing.
        let any = false;
        for (const k in o) {
          any = true;
          if (!known.has(k)) throw new FieldFault(`unknown field (allowed: ${[...known].join(', ')})`, [k]);
        }
        if (!any) expected(want, o);
        throw new FieldFault(`missing (expected ${tagField.want}; or give only ${rawNames.join(', ')})`, [
          key,
        ]);
      }
      let tag: string;
      try {
        tag = tagField.decode(o[key]);
      } catch (e) {
        if (e instanceof FieldFault) e.path.unshift(key);
        throw e;
      }
      const c = full[tag]!;
      return decodeFields(c.fields, c.names, o) as never;
    },
    () => ({
      oneOf: [
        ...tags.map((t) => {
          const s = objectSchema(cases[t]!);
          return {
            ...s,
            properties: { [key]: { const: t }, ...(s.properties as object) },
            required: [key, ...((s.required as string[] | undefined) ?? [])],
          };
        }),
        ...(untagged ? [objectSchema(untagged)] : []),
      ],
    }),
  );
}
