/**
 * Encodes records into binary frames (layout in binary-format.ts). One
 * encoder per log: it owns the dictionaries, the previous t and the set of
 * command seqs, so it refuses records that would make an unreadable log (a
 * gap in seq, time going back, a cause that is not an earlier command, a
 * payload JSON cannot carry). A refused record leaves the encoder as it was.
 */
import { INTERN_MAX_CHARS, MAX_DEPTH, RECORD_KIND_COMMAND, RECORD_KIND_EVENT, TAG } from './binary-format.js';
import { ByteSink } from './byte-sink.js';
import { frameChecksum } from './checksum.js';
import { LOG_ERROR_CODES, LogError } from './errors.js';
import { checkPayload, isPlainObject, isWellFormedString } from './payload-check.js';
import type { LogRecord } from './records.js';

/** A node of the shape trie: the key list from the root to here is one object shape. */
interface ShapeNode {
  /** Dictionary index, or -1 for a prefix that was never a whole shape. */
  id: number;
  readonly next: Map<string, ShapeNode>;
  /** One-entry cache of the last child taken: payloads repeat the same shapes. */
  lastKey: string | null;
  lastChild: ShapeNode | null;
}

interface RecordTypeEntry {
  readonly kind: number;
  readonly v: number;
  readonly id: number;
}

const HEX_DIGIT = new Int8Array(128).fill(-1);
for (let i = 0; i < 10; i++) HEX_DIGIT[0x30 + i] = i;
for (let i = 0; i < 6; i++) HEX_DIGIT[0x61 + i] = 10 + i;

/** Thrown inside the encoder, turned into a LogError naming the field by encodeFrame. */
class Refusal extends Error {}

export class BinaryRecordEncoder {
  /** Label used in error messages (a file name or "<memory>"). */
  readonly label: string;
  readonly #payload = new ByteSink(1024);
  readonly #strings = new Map<string, number>();
  readonly #stringList: string[] = [];
  readonly #shapeRoot: ShapeNode = newNode();
  readonly #shapeList: ShapeNode[] = [];
  readonly #recordTypes = new Map<string, RecordTypeEntry[]>();
  #recordTypeCount = 0;
  #commandBits = new Uint32Array(1024);
  #lastSeq = 0;
  #lastT = 0;
  // Scratch for hex parsing (no allocation per value).
  #hexHi = 0;
  #hexLo = 0;

  constructor(label = '<memory>') {
    this.label = label;
  }

  /** seq of the last record encoded (0 before any). */
  get lastSeq(): number {
    return this.#lastSeq;
  }

  /** Appends the frame of `record` to `out`; throws VIOMMU_ERR_LOG_INVALID_RECORD and changes nothing if it cannot. */
  encodeFrame(record: LogRecord, out: ByteSink): void {
    const seq = this.#lastSeq + 1;
    this.#checkEnvelope(record, seq);
    const strings = this.#stringList.length;
    const shapes = this.#shapeList.length;
    const types = this.#recordTypeCount;
    const p = this.#payload;
    p.clear();
    try {
      this.#recordType(record);
      p.varint(record.t - this.#lastT);
      if (record.kind === 'event') p.varint(seq - record.cause);
      this.#value(record.data, 0);
    } catch (e) {
      this.#rollback(strings, shapes, types);
      if (!(e instanceof Refusal)) throw e;
      const found = checkPayload(record.data, 'data');
      this.#refuse(seq, found?.path ?? 'data', found?.problem ?? e.message);
    }
    const len = p.length;
    out.varint(len);
    out.u32(frameChecksum(p.bytes, 0, len, seq));
    out.append(p.bytes, 0, len);
    this.#lastSeq = seq;
    this.#lastT = record.t;
    if (record.kind === 'command') {
      const w = seq >>> 5;
      if (w >= this.#commandBits.length) {
        const next = new Uint32Array(Math.max(w + 1, this.#commandBits.length * 2));
        next.set(this.#commandBits);
        this.#commandBits = next;
      }
      this.#commandBits[w] |= 1 << (seq & 31);
    }
  }

  #isCommand(seq: number): boolean {
    const w = seq >>> 5;
    return w < this.#commandBits.length && (this.#commandBits[w] & (1 << (seq & 31))) !== 0;
  }

  #checkEnvelope(r: LogRecord, seq: number): void {
    if (typeof r !== 'object' || r === null) this.#refuse(seq, 'record', 'not an object');
    const kind: unknown = r.kind;
    if (kind !== 'command' && kind !== 'event')
      this.#refuse(seq, 'kind', `expected "command" or "event", got ${show(kind)}`);
    if (r.seq !== seq) this.#refuse(seq, 'seq', `expected ${seq} (gap-free), got ${show(r.seq)}`);
    if (!Number.isSafeInteger(r.t) || r.t < this.#lastT) {
      this.#refuse(
        seq,
        't',
        `expected a safe integer >= ${this.#lastT} (time never goes back), got ${show(r.t)}`,
      );
    }
    if (typeof r.type !== 'string' || r.type.length === 0 || !isWellFormedString(r.type)) {
      this.#refuse(seq, 'type', `expected a non-empty string, got ${show(r.type)}`);
    }
    if (!Number.isSafeInteger(r.v) || r.v < 0)
      this.#refuse(seq, 'v', `expected a non-negative integer, got ${show(r.v)}`);
    if (r.kind === 'event') {
      const c = r.cause;
      if (!Number.isSafeInteger(c) || c < 1 || c >= seq || !this.#isCommand(c)) {
        this.#refuse(seq, 'cause', `expected the seq of an earlier command, got ${show(c)}`);
      }
    }
    if (!isPlainObject(r.data)) this.#refuse(seq, 'data', 'expected a plain object');
  }

  #refuse(seq: number, field: string, problem: string): never {
    throw new LogError(
      LOG_ERROR_CODES.INVALID_RECORD,
      { file: this.label, seq, field },
      `${field}: ${problem}`,
    );
  }

  #rollback(strings: number, shapes: number, types: number): void {
    for (let i = this.#stringList.length - 1; i >= strings; i--) this.#strings.delete(this.#stringList[i]);
    this.#stringList.length = strings;
    for (let i = this.#shapeList.length - 1; i >= shapes; i--) {
      // Leaves the trie nodes (harmless prefixes) but forgets that they were shapes.
      const node = this.#shapeList[i];
      node.id = -1;
    }
    this.#shapeList.length = shapes;
    if (this.#recordTypeCount !== types) {
      for (const [type, list] of this.#recordTypes) {
        const kept = list.filter((e) => e.id < types);
        if (kept.length === 0) this.#recordTypes.delete(type);
        else this.#recordTypes.set(type, kept);
      }
      this.#recordTypeCount = types;
    }
  }

  #recordType(r: LogRecord): void {
    const kind = r.kind === 'command' ? RECORD_KIND_COMMAND : RECORD_KIND_EVENT;
    const list = this.#recordTypes.get(r.type);
    if (list !== undefined) {
      for (let i = 0; i < list.length; i++) {
        const e = list[i];
        if (e.kind === kind && e.v === r.v) {
          this.#payload.varint(e.id + 1);
          return;
        }
      }
    }
    const entry: RecordTypeEntry = { kind, v: r.v, id: this.#recordTypeCount++ };
    if (list) list.push(entry);
    else this.#recordTypes.set(r.type, [entry]);
    const p = this.#payload;
    p.u8(0);
    p.u8(kind);
    this.#string(r.type);
    p.varint(r.v);
  }

  #value(v: unknown, depth: number): void {
    const p = this.#payload;
    switch (typeof v) {
      case 'number':
        this.#number(v);
        return;
      case 'string':
        this.#string(v);
        return;
      case 'boolean':
        p.u8(v ? TAG.TRUE : TAG.FALSE);
        return;
      case 'object':
        if (v === null) {
          p.u8(TAG.NULL);
          return;
        }
        if (depth >= MAX_DEPTH) throw new Refusal('nested too deep');
        if (Array.isArray(v)) {
          p.u8(TAG.ARRAY);
          p.varint(v.length);
          for (let i = 0; i < v.length; i++) {
            if (v[i] === undefined) throw new Refusal('undefined in an array');
            this.#value(v[i], depth + 1);
          }
          return;
        }
        if (!isPlainObject(v)) throw new Refusal('not a plain object');
        this.#object(v, depth);
        return;
      default:
        throw new Refusal(`${typeof v} is not a JSON value`);
    }
  }

  #number(n: number): void {
    const p = this.#payload;
    if (Number.isSafeInteger(n)) {
      if (n >= 0) {
        if (n <= TAG.FIXINT_MAX) p.u8(n);
        else {
          p.u8(TAG.UINT);
          p.varint(n);
        }
      } else if (n >= -TAG.FIXNEG_COUNT) {
        p.u8(TAG.FIXNEG - 1 - n);
      } else {
        p.u8(TAG.NINT);
        p.varint(-n - 1);
      }
      return;
    }
    if (!Number.isFinite(n)) throw new Refusal(`${n} is not a finite number`);
    p.u8(TAG.F64);
    p.f64(n);
  }

  #string(s: string): void {
    const p = this.#payload;
    const len = s.length;
    if (len >= 3 && len <= 18 && s.charCodeAt(0) === 0x30 && s.charCodeAt(1) === 0x78 && this.#parseHex(s)) {
      this.#hex(len - 2);
      return;
    }
    if (len <= INTERN_MAX_CHARS) {
      const id = this.#strings.get(s);
      if (id !== undefined) {
        if (id < TAG.FIXSTR_COUNT) p.u8(TAG.FIXSTR + id);
        else {
          p.u8(TAG.STR_REF);
          p.varint(id);
        }
        return;
      }
      if (!isWellFormedString(s)) throw new Refusal('string contains a lone UTF-16 surrogate');
      this.#strings.set(s, this.#stringList.length);
      this.#stringList.push(s);
      p.u8(TAG.STR_NEW);
      p.lengthPrefixedUtf8(s);
      return;
    }
    if (!isWellFormedString(s)) throw new Refusal('string contains a lone UTF-16 surrogate');
    p.u8(TAG.STR_RAW);
    p.lengthPrefixedUtf8(s);
  }

  /** Parses "0x" + 1..16 lowercase hex digits into #hexHi:#hexLo; false if s is not that. */
  #parseHex(s: string): boolean {
    let hi = 0;
    let lo = 0;
    for (let i = 2; i < s.length; i++) {
      const c = s.charCodeAt(i);
      const d = c < 128 ? HEX_DIGIT[c] : -1;
      if (d < 0) return false;
      hi = ((hi << 4) | (lo >>> 28)) >>> 0;
      lo = ((lo << 4) | d) >>> 0;
    }
    this.#hexHi = hi;
    this.#hexLo = lo;
    return true;
  }

  #hex(digits: number): void {
    const p = this.#payload;
    const hi = this.#hexHi;
    const lo = this.#hexLo;
    const n = hi !== 0 ? 8 - (Math.clz32(hi) >>> 3) : lo !== 0 ? 4 - (Math.clz32(lo) >>> 3) : 0;
    const significant = hi !== 0 ? 16 - (Math.clz32(hi) >>> 2) : lo !== 0 ? 8 - (Math.clz32(lo) >>> 2) : 0;
    if (digits === 16) p.u8(TAG.HEX16 + n);
    else if (digits === Math.max(1, significant)) p.u8(TAG.HEXMIN + n);
    else {
      p.u8(TAG.HEX_W);
      p.u8(digits);
      p.u8(n);
    }
    p.u64Bytes(hi, lo, n);
  }

  #object(o: Record<string, unknown>, depth: number): void {
    let node = this.#shapeRoot;
    let count = 0;
    for (const k in o) {
      if (o[k] === undefined) continue; // as JSON.stringify does
      let child: ShapeNode | undefined;
      if (node.lastKey === k) child = node.lastChild!;
      else {
        child = node.next.get(k);
        if (child === undefined) {
          child = newNode();
          node.next.set(k, child);
        }
        node.lastKey = k;
        node.lastChild = child;
      }
      node = child;
      count++;
    }
    const p = this.#payload;
    if (node.id >= 0) {
      if (node.id < TAG.FIXSHAPE_COUNT) p.u8(TAG.FIXSHAPE + node.id);
      else {
        p.u8(TAG.OBJ_REF);
        p.varint(node.id);
      }
    } else {
      node.id = this.#shapeList.length;
      this.#shapeList.push(node);
      p.u8(TAG.OBJ_NEW);
      p.varint(count);
      for (const k in o) if (o[k] !== undefined) this.#string(k);
    }
    for (const k in o) {
      const v = o[k];
      if (v !== undefined) this.#value(v, depth + 1);
    }
  }
}

function newNode(): ShapeNode {
  return { id: -1, next: new Map(), lastKey: null, lastChild: null };
}

function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}...` : v);
  if (typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined) return String(v);
  return typeof v;
}
