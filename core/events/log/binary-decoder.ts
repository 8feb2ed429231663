/**
 * Decodes record payloads of a binary log (layout in binary-format.ts), one
 * frame after another, rebuilding the dictionaries as it goes. It checks what
 * the layout alone cannot guarantee (every read in bounds, a known tag, seq
 * gap-free by construction, t a safe integer, cause an earlier command, the
 * type known to the registry) and throws DecodeFailure naming the field; the
 * reader adds the file, seq and byte offset.
 */

import type { JsonObject, JsonValue } from '../../plugin/contract.js';
import { INTERN_MAX_CHARS, MAX_DEPTH, RECORD_KIND_COMMAND, RECORD_KIND_EVENT, TAG } from './binary-format.js';
import type { LogRecord, TypeRegistry } from './records.js';

export class DecodeFailure extends Error {
  readonly field: string;
  readonly unknownType: boolean;
  constructor(field: string, problem: string, unknownType = false) {
    super(problem);
    this.field = field;
    this.unknownType = unknownType;
  }
}

interface RecordType {
  readonly kind: 'command' | 'event';
  readonly type: string;
  readonly v: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

type ShapeFactory = (values: readonly JsonValue[]) => JsonObject;

/**
 * A function that builds an object of these keys, in this order, from an array of values: an
 * object literal, so every record of one shape gets the same hidden class at once instead of a
 * property-by-property build (the decoder's main cost). null for shapes a literal would not
 * reproduce exactly: repeated keys, "__proto__", or integer-like keys (which JavaScript orders
 * first); those are built key by key.
 */
function shapeFactory(keys: readonly string[]): ShapeFactory | null {
  if (keys.length > 64 || new Set(keys).size !== keys.length) return null;
  if (keys.some((k) => k === '__proto__' || /^(0|[1-9][0-9]*)$/.test(k))) return null;
  const body = keys.map((k, i) => `${JSON.stringify(k)}: v[${i}]`).join(', ');
  return new Function('v', `return { ${body} };`) as ShapeFactory;
}
const f64 = new Float64Array(1);
const f64Bytes = new Uint8Array(f64.buffer);

export class BinaryRecordDecoder {
  readonly #types: TypeRegistry | undefined;
  readonly #strings: string[] = [];
  readonly #shapes: (readonly string[])[] = [];
  /**
   * Per shape built by a literal: its keys as property keys (internalized), so matches() compares
   * them with an expected object's keys by identity; null for the other shapes.
   */
  readonly #shapeKeys: (readonly string[] | null)[] = [];
  /** Per shape: a function that builds the object from its values (see shapeFactory). */
  readonly #factories: (ShapeFactory | null)[] = [];
  /** Per depth: the values of the object being decoded there, reused from record to record. */
  readonly #scratch: JsonValue[][] = [];
  readonly #recordTypes: RecordType[] = [];
  #commandBits = new Uint32Array(1024);
  #lastT = 0;
  /** seq of the last record decoded. */
  lastSeq = 0;
  #b: Uint8Array = new Uint8Array(0);
  #p = 0;
  #end = 0;
  /** The value #hexWords read last, as two unsigned 32-bit halves. */
  #hexLo = 0;
  #hexHi = 0;

  constructor(types?: TypeRegistry) {
    this.#types = types;
  }

  /** Decodes the payload bytes[start, end) as record lastSeq + 1. */
  decode(bytes: Uint8Array, start: number, end: number): LogRecord {
    this.#b = bytes;
    this.#p = start;
    this.#end = end;
    const seq = this.lastSeq + 1;
    const rt = this.#recordType();
    const t = this.#lastT + this.#varint('t');
    if (t > Number.MAX_SAFE_INTEGER) throw new DecodeFailure('t', `${t} is not a safe integer`);
    let cause = 0;
    if (rt.kind === 'event') {
      cause = seq - this.#varint('cause');
      if (cause < 1 || cause >= seq || !this.#isCommand(cause)) {
        throw new DecodeFailure('cause', `${cause} is not the seq of an earlier command`);
      }
    }
    const tag = this.#u8('data');
    if (
      !(
        (tag >= TAG.FIXSHAPE && tag < TAG.FIXSHAPE + TAG.FIXSHAPE_COUNT) ||
        tag === TAG.OBJ_NEW ||
        tag === TAG.OBJ_REF
      )
    ) {
      throw new DecodeFailure('data', 'not an object');
    }
    const data = this.#tagged(tag, 'data', 0) as JsonObject;
    if (this.#p !== end) throw new DecodeFailure('data', `${end - this.#p} stray bytes after the payload`);
    this.lastSeq = seq;
    this.#lastT = t;
    if (rt.kind === 'command') {
      this.#markCommand(seq);
      return { kind: 'command', seq, t, type: rt.type, v: rt.v, data };
    }
    return { kind: 'event', seq, t, type: rt.type, v: rt.v, cause, data };
  }

  /**
   * Whether the payload bytes[start, end) holds record lastSeq + 1 and that record equals
   * `expected` exactly as recordDiff decides (key order included), found in one pass over the
   * bytes without building the record. On true the record is consumed as decode() would consume
   * it. On false nothing changed, and decode() gives the record (or the error). False also for
   * what this pass leaves to decode(): a payload that defines a dictionary entry or a record
   * type, a shape only a key-by-key build reproduces, and damage.
   */
  matches(bytes: Uint8Array, start: number, end: number, expected: LogRecord): boolean {
    this.#b = bytes;
    this.#p = start;
    this.#end = end;
    try {
      return this.#matches(expected);
    } catch (e) {
      if (e instanceof DecodeFailure) return false;
      throw e;
    }
  }

  #matches(e: LogRecord): boolean {
    const seq = this.lastSeq + 1;
    if (e.seq !== seq) return false;
    const ref = this.#varint('type');
    const rt = ref === 0 ? undefined : this.#recordTypes[ref - 1];
    if (rt === undefined || rt.kind !== e.kind || rt.v !== e.v || rt.type !== e.type) return false;
    const t = this.#lastT + this.#varint('t');
    if (t !== e.t || t > Number.MAX_SAFE_INTEGER) return false;
    if (e.kind === 'event') {
      const cause = seq - this.#varint('cause');
      if (cause !== e.cause || cause < 1 || !this.#isCommand(cause)) return false;
    }
    const tag = this.#u8('data');
    const isObject = (tag >= TAG.FIXSHAPE && tag < TAG.FIXSHAPE + TAG.FIXSHAPE_COUNT) || tag === TAG.OBJ_REF;
    if (!isObject || !this.#equals(tag, e.data, 0) || this.#p !== this.#end) return false;
    this.lastSeq = seq;
    this.#lastT = t;
    if (e.kind === 'command') this.#markCommand(seq);
    return true;
  }

  #markCommand(seq: number): void {
    const w = seq >>> 5;
    if (w >= this.#commandBits.length) {
      const next = new Uint32Array(Math.max(w + 1, this.#commandBits.length * 2));
      next.set(this.#commandBits);
      this.#commandBits = next;
    }
    this.#commandBits[w] |= 1 << (seq & 31);
  }

  #isCommand(seq: number): boolean {
    const w = seq >>> 5;
    return w < this.#commandBits.length && (this.#commandBits[w] & (1 << (seq & 31))) !== 0;
  }

  #recordType(): RecordType {
    const ref = this.#varint('type');
    if (ref !== 0) {
      const rt = this.#recordTypes[ref - 1];
      if (rt === undefined) throw new DecodeFailure('type', `record type ${ref - 1} is not defined`);
      return rt;
    }
    const k = this.#u8('kind');
    if (k !== RECORD_KIND_COMMAND && k !== RECORD_KIND_EVENT)
      throw new DecodeFailure('kind', `unknown record kind ${k}`);
    const type = this.#value('type', 0);
    if (typeof type !== 'string' || type.length === 0)
      throw new DecodeFailure('type', 'expected a non-empty string');
    const v = this.#varint('v');
    if (this.#types !== undefined && !this.#types.has(type)) {
      throw new DecodeFailure('type', `unknown type ${JSON.stringify(type)}`, true);
    }
    const rt: RecordType = { kind: k === RECORD_KIND_COMMAND ? 'command' : 'event', type, v };
    this.#recordTypes.push(rt);
    return rt;
  }

  #u8(field: string): number {
    if (this.#p >= this.#end) throw new DecodeFailure(field, 'payload ends early');
    return this.#b[this.#p++];
  }

  #varint(field: string): number {
    const b = this.#b;
    let p = this.#p;
    const end = this.#end;
    if (p < end && b[p] < 0x80) {
      this.#p = p + 1;
      return b[p];
    }
    let result = 0;
    let scale = 1;
    for (;;) {
      if (p >= end) throw new DecodeFailure(field, 'payload ends inside a number');
      const x = b[p++];
      result += (x & 0x7f) * scale;
      if (x < 0x80) break;
      scale *= 0x80;
      if (scale > 2 ** 49) throw new DecodeFailure(field, 'number longer than 53 bits');
    }
    if (result > Number.MAX_SAFE_INTEGER) throw new DecodeFailure(field, 'number longer than 53 bits');
    this.#p = p;
    return result;
  }

  #value(field: string, depth: number): JsonValue {
    return this.#tagged(this.#u8(field), field, depth);
  }

  #tagged(tag: number, field: string, depth: number): JsonValue {
    if (tag <= TAG.FIXINT_MAX) return tag;
    if (tag < TAG.FIXSTR) return TAG.FIXNEG - 1 - tag;
    if (tag < TAG.FIXSHAPE) return this.#stringRef(tag - TAG.FIXSTR, field);
    if (tag < TAG.NULL) return this.#object(tag - TAG.FIXSHAPE, field, depth);
    if (tag >= TAG.HEX16 && tag <= TAG.HEX16 + 8) return this.#hex(tag - TAG.HEX16, 16, field);
    if (tag >= TAG.HEXMIN && tag <= TAG.HEXMIN + 8) return this.#hex(tag - TAG.HEXMIN, 0, field);
    switch (tag) {
      case TAG.NULL:
        return null;
      case TAG.FALSE:
        return false;
      case TAG.TRUE:
        return true;
      case TAG.UINT:
        return this.#varint(field);
      case TAG.NINT:
        return -this.#varint(field) - 1;
      case TAG.F64: {
        if (this.#end - this.#p < 8) throw new DecodeFailure(field, 'payload ends inside a number');
        f64Bytes.set(this.#b.subarray(this.#p, this.#p + 8));
        this.#p += 8;
        const n = f64[0];
        if (!Number.isFinite(n)) throw new DecodeFailure(field, `${n} is not a finite number`);
        return n;
      }
      case TAG.STR_NEW: {
        const s = this.#utf8(field);
        if (s.length > INTERN_MAX_CHARS) throw new DecodeFailure(field, 'interned string too long');
        this.#strings.push(s);
        return s;
      }
      case TAG.STR_REF:
        return this.#stringRef(this.#varint(field), field);
      case TAG.STR_RAW:
        return this.#utf8(field);
      case TAG.ARRAY: {
        if (depth >= MAX_DEPTH) throw new DecodeFailure(field, `nested deeper than ${MAX_DEPTH} levels`);
        const n = this.#varint(field);
        if (n > this.#end - this.#p)
          throw new DecodeFailure(field, `array of ${n} items cannot fit in the payload`);
        const a: JsonValue[] = new Array(n);
        for (let i = 0; i < n; i++) a[i] = this.#value(field, depth + 1);
        return a;
      }
      case TAG.OBJ_NEW: {
        if (depth >= MAX_DEPTH) throw new DecodeFailure(field, `nested deeper than ${MAX_DEPTH} levels`);
        const n = this.#varint(field);
        if (n > this.#end - this.#p)
          throw new DecodeFailure(field, `object of ${n} keys cannot fit in the payload`);
        const keys: string[] = new Array(n);
        for (let i = 0; i < n; i++) {
          const k = this.#value(field, depth + 1);
          if (typeof k !== 'string') throw new DecodeFailure(field, 'object key is not a string');
          keys[i] = k;
        }
        const make = shapeFactory(keys);
        this.#shapes.push(keys);
        this.#factories.push(make);
        this.#shapeKeys.push(make === null ? null : Object.keys(make(keys)));
        return this.#object(this.#shapes.length - 1, field, depth);
      }
      case TAG.OBJ_REF:
        return this.#object(this.#varint(field), field, depth);
      case TAG.HEX_W: {
        const digits = this.#u8(field);
        const n = this.#u8(field);
        if (digits < 1 || digits > 16 || n > 8) throw new DecodeFailure(field, 'bad hex width');
        return this.#hex(n, digits, field);
      }
      default:
        throw new DecodeFailure(field, `unknown value tag 0x${tag.toString(16)}`);
    }
  }

  /** Whether the value with this tag equals `e` (=== for primitives, in order for arrays and objects); false for definitions. */
  #equals(tag: number, e: JsonValue | undefined, depth: number): boolean {
    if (tag <= TAG.FIXINT_MAX) return e === tag;
    if (tag < TAG.FIXSTR) return e === TAG.FIXNEG - 1 - tag;
    if (tag < TAG.FIXSHAPE) return e === this.#strings[tag - TAG.FIXSTR] && e !== undefined;
    if (tag < TAG.NULL) return this.#objectEquals(tag - TAG.FIXSHAPE, e, depth);
    if (tag >= TAG.HEX16 && tag <= TAG.HEX16 + 8) return this.#hexEquals(tag - TAG.HEX16, 16, e);
    if (tag >= TAG.HEXMIN && tag <= TAG.HEXMIN + 8) return this.#hexEquals(tag - TAG.HEXMIN, 0, e);
    switch (tag) {
      case TAG.NULL:
        return e === null;
      case TAG.FALSE:
        return e === false;
      case TAG.TRUE:
        return e === true;
      case TAG.UINT:
      case TAG.NINT:
      case TAG.F64:
      case TAG.STR_RAW:
        // Rare in records: decode the one value, then compare.
        return e === this.#tagged(tag, '', depth);
      case TAG.STR_REF: {
        const s = this.#strings[this.#varint('')];
        return e === s && e !== undefined;
      }
      case TAG.ARRAY: {
        if (depth >= MAX_DEPTH || !Array.isArray(e)) return false;
        const n = this.#varint('');
        if (e.length !== n) return false;
        for (let i = 0; i < n; i++) if (!this.#equals(this.#u8(''), e[i], depth + 1)) return false;
        return true;
      }
      case TAG.OBJ_REF:
        return this.#objectEquals(this.#varint(''), e, depth);
      case TAG.HEX_W: {
        const digits = this.#u8('');
        const n = this.#u8('');
        return digits >= 1 && digits <= 16 && n <= 8 && this.#hexEquals(n, digits, e);
      }
      default:
        // STR_NEW and OBJ_NEW define dictionary entries, which decode() must do; unknown tags are damage.
        return false;
    }
  }

  /** Whether the object of this shape equals `e`: the same keys in the same order, equal values. */
  #objectEquals(shapeId: number, e: JsonValue | undefined, depth: number): boolean {
    const keys = this.#shapeKeys[shapeId];
    if (keys === undefined || keys === null || depth >= MAX_DEPTH) return false;
    if (typeof e !== 'object' || e === null || Array.isArray(e)) return false;
    const o = e as { readonly [k: string]: JsonValue };
    let i = 0;
    for (const k in o) {
      if (i >= keys.length || k !== keys[i]) return false;
      if (!this.#equals(this.#u8(''), o[k], depth + 1)) return false;
      i++;
    }
    return i === keys.length;
  }

  /** Reads the next n (<= 8) bytes as an unsigned value, low byte first, into #hexLo/#hexHi; false if they run past the payload. */
  #hexWords(n: number): boolean {
    if (this.#end - this.#p < n) return false;
    const b = this.#b;
    const p = this.#p;
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < n && i < 4; i++) lo |= b[p + i] << (8 * i);
    for (let i = 4; i < n; i++) hi |= b[p + i] << (8 * (i - 4));
    this.#p = p + n;
    this.#hexLo = lo >>> 0;
    this.#hexHi = hi >>> 0;
    return true;
  }

  /** Whether `e` is the string #hex would build from the next n bytes, without building it. */
  #hexEquals(n: number, digits: number, e: JsonValue | undefined): boolean {
    if (typeof e !== 'string' || !this.#hexWords(n)) return false;
    const lo = this.#hexLo;
    const hi = this.#hexHi;
    const significant = hi !== 0 ? 16 - (Math.clz32(hi) >>> 2) : Math.max(1, 8 - (Math.clz32(lo) >>> 2));
    const width = digits === 16 ? 16 : Math.max(significant, digits);
    if (e.length !== width + 2 || e.charCodeAt(0) !== 0x30 || e.charCodeAt(1) !== 0x78) return false;
    for (let j = 0; j < width; j++) {
      const nibble = j < 8 ? (lo >>> (4 * j)) & 15 : j < 16 ? (hi >>> (4 * (j - 8))) & 15 : 0;
      if (e.charCodeAt(width + 1 - j) !== (nibble < 10 ? 0x30 + nibble : 0x57 + nibble)) return false;
    }
    return true;
  }

  #stringRef(id: number, field: string): string {
    const s = this.#strings[id];
    if (s === undefined) throw new DecodeFailure(field, `string ${id} is not defined`);
    return s;
  }

  #object(shapeId: number, field: string, depth: number): JsonObject {
    const keys = this.#shapes[shapeId];
    if (keys === undefined) throw new DecodeFailure(field, `object shape ${shapeId} is not defined`);
    if (depth >= MAX_DEPTH) throw new DecodeFailure(field, `nested deeper than ${MAX_DEPTH} levels`);
    const make = this.#factories[shapeId];
    if (make === null) {
      const o: Record<string, JsonValue> = {};
      for (let i = 0; i < keys.length; i++) {
        const value = this.#value(field, depth + 1);
        // An own "__proto__" (JSON.parse makes one) must stay a key, not become the prototype.
        if (keys[i] === '__proto__')
          Object.defineProperty(o, '__proto__', {
            value,
            enumerable: true,
            writable: true,
            configurable: true,
          });
        else o[keys[i]] = value;
      }
      return o;
    }
    let values = this.#scratch[depth];
    if (values === undefined) {
      values = [];
      this.#scratch[depth] = values;
    }
    for (let i = 0; i < keys.length; i++) values[i] = this.#value(field, depth + 1);
    return make(values);
  }

  #utf8(field: string): string {
    const n = this.#varint(field);
    if (n > this.#end - this.#p) throw new DecodeFailure(field, 'string runs past the payload');
    const b = this.#b;
    const start = this.#p;
    this.#p += n;
    if (n <= 32) {
      let s = '';
      let i = start;
      for (; i < start + n && b[i] < 0x80; i++) s += String.fromCharCode(b[i]);
      if (i === start + n) return s;
    }
    try {
      return utf8.decode(b.subarray(start, start + n));
    } catch {
      throw new DecodeFailure(field, 'string is not valid UTF-8');
    }
  }

  /** n value bytes, low first; digits 16 = zero-padded to 16, 0 = minimal, else zero-padded to that width. */
  #hex(n: number, digits: number, field: string): string {
    if (!this.#hexWords(n)) throw new DecodeFailure(field, 'payload ends inside a hex value');
    const lo = this.#hexLo;
    const hi = this.#hexHi;
    if (digits === 16) return `0x${hi.toString(16).padStart(8, '0')}${lo.toString(16).padStart(8, '0')}`;
    const min = hi !== 0 ? `${hi.toString(16)}${lo.toString(16).padStart(8, '0')}` : lo.toString(16);
    return digits === 0 ? `0x${min}` : `0x${min.padStart(digits, '0')}`;
  }
}
