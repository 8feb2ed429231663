/**
 * Little-endian codecs driven by the layouts: decode bytes into the shapes of
 * structs.ts, encode them back, and convert to and from JSON (64-bit values as
 * "0x..." strings, byte arrays as hex). One generic walker serves every struct.
 *
 * Unions: decode fills every member from the same bytes. Encode writes the
 * members present in the value, the selected one last (layout-dsl UnionSelect),
 * so a value built with only its meaningful member filled encodes correctly and
 * decode(encode(x)) = x for any x whose members agree (e.g. any decoded value).
 */
import { bytesToHex, hex64, hexToBytes, parseU64 } from '../model/hex.js';
import type { FieldSpec, Layout, ResolvedField } from './layout-dsl.js';
import { LAYOUTS, type LayoutName } from './layouts.js';
import type {
  IommuCacheInvalidateInfo,
  IommuFault,
  IommuFaultPageRequest,
  IommuFaultUnrecoverable,
  IommuGpasidBindData,
  IommuGpasidBindDataVtd,
  IommuInvAddrInfo,
  IommuInvPasidInfo,
  IommuPageResponse,
} from './structs.js';

/** A decoded struct of any layout (the typed entry points narrow it). */
export type StructValue = { [field: string]: unknown };

export interface LayoutValues {
  iommu_fault_unrecoverable: IommuFaultUnrecoverable;
  iommu_fault_page_request: IommuFaultPageRequest;
  iommu_fault: IommuFault;
  iommu_page_response: IommuPageResponse;
  iommu_inv_addr_info: IommuInvAddrInfo;
  iommu_inv_pasid_info: IommuInvPasidInfo;
  iommu_cache_invalidate_info: IommuCacheInvalidateInfo;
  iommu_gpasid_bind_data_vtd: IommuGpasidBindDataVtd;
  iommu_gpasid_bind_data: IommuGpasidBindData;
}

const U64_LIMIT = 1n << 64n;

function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

// ---- decode ---------------------------------------------------------------

function readFields(
  v: DataView,
  base: number,
  fields: readonly ResolvedField[],
  out: StructValue,
): StructValue {
  for (const f of fields) {
    const at = base + f.offset;
    if (f.name === null) readFields(v, at, f.children, out);
    else out[f.name] = readField(v, at, f);
  }
  return out;
}

function readField(v: DataView, at: number, f: ResolvedField): unknown {
  const s = f.spec;
  switch (s.kind) {
    case 'u8':
      return v.getUint8(at);
    case 'u32':
      return v.getUint32(at, true);
    case 'u64':
      return v.getBigUint64(at, true);
    case 'bytes':
      return new Uint8Array(v.buffer.slice(v.byteOffset + at, v.byteOffset + at + s.length));
    case 'u64array':
      return Array.from({ length: s.length }, (_, i) => v.getBigUint64(at + 8 * i, true));
    case 'struct':
    case 'union':
      return readFields(v, at, f.children, {});
  }
}

/** Decodes the first layout.size bytes. Throws RangeError when fewer bytes are given (programmer error). */
export function decodeLayout(layout: Layout, b: Uint8Array): StructValue {
  if (b.length < layout.size)
    throw new RangeError(`${layout.name}: need ${layout.size} bytes to decode, got ${b.length}`);
  return readFields(view(b), 0, layout.fields, {});
}

// ---- encode ---------------------------------------------------------------

function selectedMember(f: ResolvedField, parent: StructValue): string | undefined {
  if (f.spec.kind !== 'union') return undefined;
  const sel = f.spec.select;
  if (!sel) return f.children[f.children.length - 1]?.name ?? undefined;
  const by = parent[sel.by];
  return (typeof by === 'number' ? sel.cases[by] : undefined) ?? sel.otherwise;
}

function writeUnion(
  v: DataView,
  at: number,
  f: ResolvedField,
  parent: StructValue,
  members: StructValue,
  path: string,
  lenient: boolean,
) {
  const chosen = selectedMember(f, parent);
  const order = [
    ...f.children.filter((c) => c.name !== chosen),
    ...f.children.filter((c) => c.name === chosen),
  ];
  let wrote = 0;
  for (const m of order) {
    if (m.name === null || members[m.name] === undefined) continue;
    writeField(v, at + m.offset, m, members[m.name], `${path}.${m.name}`, lenient);
    wrote++;
  }
  if (wrote === 0 && !lenient) throw new RangeError(`${path}: no member of the union is given`);
}

/** Lenient mode (for partial JSON) skips absent fields: they stay zero. */
function writeFields(
  v: DataView,
  base: number,
  fields: readonly ResolvedField[],
  value: StructValue,
  path: string,
  lenient: boolean,
) {
  for (const f of fields) {
    const at = base + f.offset;
    if (lenient && f.name !== null && value[f.name] === undefined) continue;
    if (f.name === null) {
      writeUnion(v, at, f, value, value, path, lenient);
    } else if (f.spec.kind === 'union') {
      writeUnion(v, at, f, value, asObject(value[f.name], `${path}.${f.name}`), `${path}.${f.name}`, lenient);
    } else {
      writeField(v, at, f, value[f.name], `${path}.${f.name}`, lenient);
    }
  }
}

function asObject(x: unknown, path: string): StructValue {
  if (typeof x !== 'object' || x === null || Array.isArray(x) || x instanceof Uint8Array) {
    throw new RangeError(`${path}: expected an object`);
  }
  return x as StructValue;
}

function checkU64(x: unknown, path: string): bigint {
  if (typeof x !== 'bigint' || x < 0n || x >= U64_LIMIT)
    throw new RangeError(`${path}: expected a bigint in [0, 2^64)`);
  return x;
}

function writeField(
  v: DataView,
  at: number,
  f: ResolvedField,
  x: unknown,
  path: string,
  lenient: boolean,
): void {
  const s: FieldSpec = f.spec;
  switch (s.kind) {
    case 'u8':
    case 'u32': {
      const max = s.kind === 'u8' ? 0xff : 0xffff_ffff;
      if (typeof x !== 'number' || !Number.isInteger(x) || x < 0 || x > max) {
        throw new RangeError(`${path}: expected an integer in [0, ${max}], got ${String(x)}`);
      }
      if (s.kind === 'u8') v.setUint8(at, x);
      else v.setUint32(at, x, true);
      return;
    }
    case 'u64':
      v.setBigUint64(at, checkU64(x, path), true);
      return;
    case 'bytes':
      if (!(x instanceof Uint8Array) || x.length !== s.length) {
        throw new RangeError(`${path}: expected a Uint8Array of ${s.length} bytes`);
      }
      new Uint8Array(v.buffer, v.byteOffset + at, s.length).set(x);
      return;
    case 'u64array':
      if (!Array.isArray(x) || x.length !== s.length)
        throw new RangeError(`${path}: expected ${s.length} bigints`);
      for (let i = 0; i < s.length; i++) v.setBigUint64(at + 8 * i, checkU64(x[i], `${path}[${i}]`), true);
      return;
    case 'struct':
      writeFields(v, at, f.children, asObject(x, path), path, lenient);
      return;
    case 'union':
      throw new RangeError(`${path}: unions are written by their parent`); // unreachable by construction
  }
}

/** Encodes a value into a fresh zeroed buffer of layout.size bytes; throws RangeError naming a bad field. */
export function encodeLayout(layout: Layout, value: StructValue): Uint8Array {
  const out = new Uint8Array(layout.size);
  writeFields(view(out), 0, layout.fields, value, layout.name, false);
  return out;
}

// ---- JSON -----------------------------------------------------------------

function jsonFields(fields: readonly ResolvedField[], value: StructValue, out: { [k: string]: unknown }) {
  for (const f of fields) {
    if (f.name === null) jsonFields(f.children, value, out);
    else if (value[f.name] !== undefined) out[f.name] = jsonField(f, value[f.name]);
  }
  return out;
}

function jsonField(f: ResolvedField, x: unknown): unknown {
  switch (f.spec.kind) {
    case 'u64':
      return hex64(x as bigint);
    case 'u64array':
      return (x as bigint[]).map((e) => hex64(e));
    case 'bytes':
      return bytesToHex(x as Uint8Array);
    case 'struct':
    case 'union':
      return jsonFields(f.children, x as StructValue, {});
    default:
      return x;
  }
}

/** JSON-safe form: 64-bit values as "0x" + 16 hex digits, byte arrays as plain hex, the rest numbers. */
export function layoutToJson(layout: Layout, value: StructValue): { [k: string]: unknown } {
  return jsonFields(layout.fields, value, {});
}

function parseFields(
  fields: readonly ResolvedField[],
  json: StructValue,
  out: StructValue,
  path: string,
  top = true,
) {
  const known = new Set<string>();
  for (const f of fields) {
    if (f.name === null) {
      for (const c of f.children) if (c.name !== null) known.add(c.name);
      parseFields(f.children, json, out, path, false); // anonymous union: members live in this object
      continue;
    }
    known.add(f.name);
    if (json[f.name] !== undefined) out[f.name] = parseField(f, json[f.name], `${path}.${f.name}`);
  }
  if (top)
    for (const k of Object.keys(json))
      if (!known.has(k)) throw new RangeError(`${path}: unknown field "${k}"`);
  return out;
}

function parseField(f: ResolvedField, x: unknown, path: string): unknown {
  switch (f.spec.kind) {
    case 'u8':
    case 'u32': {
      const n = Number(parseU64(x, path));
      if (n > (f.spec.kind === 'u8' ? 0xff : 0xffff_ffff))
        throw new RangeError(`${path}: ${String(x)} does not fit ${f.type}`);
      return n;
    }
    case 'u64':
      return parseU64(x, path);
    case 'u64array':
      if (!Array.isArray(x) || x.length !== f.spec.length)
        throw new RangeError(`${path}: expected ${f.spec.length} values`);
      return x.map((e, i) => parseU64(e, `${path}[${i}]`));
    case 'bytes': {
      const b = typeof x === 'string' ? hexToBytes(x, path) : undefined;
      if (!b || b.length !== f.spec.length)
        throw new RangeError(`${path}: expected ${f.spec.length} bytes as hex`);
      return b;
    }
    case 'struct':
    case 'union':
      return parseFields(f.children, asObject(x, path), {}, path);
  }
}

/**
 * Builds a value from (partial) JSON: absent fields are zero, 64-bit values as
 * "0x..." or safe integers, byte arrays as hex. Throws RangeError naming the field.
 * The result is re-decoded, so every union member is present and consistent.
 */
export function layoutFromJson(layout: Layout, json: unknown): StructValue {
  const partial = parseFields(layout.fields, asObject(json, layout.name), {}, layout.name);
  const out = new Uint8Array(layout.size);
  writeFields(view(out), 0, layout.fields, partial, layout.name, true);
  return decodeLayout(layout, out);
}

// ---- typed entry points (v5.10 header) -------------------------------------

/** Encodes a v5.10 struct to little-endian bytes (exactly its sizeof). */
export function encode<K extends LayoutName>(name: K, value: LayoutValues[K]): Uint8Array {
  return encodeLayout(LAYOUTS[name], value as unknown as StructValue);
}

/** Decodes a v5.10 struct from at least sizeof bytes. */
export function decode<K extends LayoutName>(name: K, b: Uint8Array): LayoutValues[K] {
  return decodeLayout(LAYOUTS[name], b) as unknown as LayoutValues[K];
}

export function toJson<K extends LayoutName>(name: K, value: LayoutValues[K]): { [k: string]: unknown } {
  return layoutToJson(LAYOUTS[name], value as unknown as StructValue);
}

export function fromJson<K extends LayoutName>(name: K, json: unknown): LayoutValues[K] {
  return layoutFromJson(LAYOUTS[name], json) as unknown as LayoutValues[K];
}
