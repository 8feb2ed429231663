/**
 * A declarative bit layout: one table per structure gives every field's dword
 * and bit range once, and decode/encode are driven by it. Address fields
 * (`addr: true`) are returned in place (low bits zero) as byte addresses.
 */
import { getAddr, getField, setAddr, setField } from './bits.js';

export interface FieldSpec {
  readonly dw: number;
  readonly msb: number;
  readonly lsb: number;
  /** An address field: value kept in place as a byte address (may exceed 32 bits). */
  readonly addr?: boolean;
}

export type Layout = { readonly [name: string]: FieldSpec };
export type Decoded<L extends Layout> = { -readonly [K in keyof L]: number };

/** Decodes every field of `layout` from `w`. Cold path: allocates the result. */
export function decodeLayout<L extends Layout>(layout: L, w: ArrayLike<number>): Decoded<L> {
  const out = {} as Record<string, number>;
  for (const name of Object.keys(layout)) out[name] = readField(layout[name]!, w);
  return out as Decoded<L>;
}

/** Encodes `values` (missing fields are zero) into a new array of `words` 32-bit words. */
export function encodeLayout<L extends Layout>(
  layout: L,
  values: Partial<Decoded<L>>,
  words: number,
): Uint32Array {
  const w = new Uint32Array(words);
  for (const name of Object.keys(values)) {
    const spec = layout[name];
    if (spec === undefined) throw new RangeError(`unknown field "${name}"`);
    const v = values[name as keyof L];
    if (v === undefined) continue;
    writeField(spec, w, v as number, name);
  }
  return w;
}

export function readField(spec: FieldSpec, w: ArrayLike<number>): number {
  if (spec.addr) return getAddr(w, spec.dw, spec.msb, spec.lsb);
  return getField(w, spec.dw * 64 + spec.lsb, spec.msb - spec.lsb + 1);
}

export function writeField(spec: FieldSpec, w: Uint32Array, v: number, name = '?'): void {
  try {
    if (spec.addr) setAddr(w, spec.dw, spec.msb, spec.lsb, v);
    else setField(w, spec.dw * 64 + spec.lsb, spec.msb - spec.lsb + 1, v);
  } catch (e) {
    throw new RangeError(`${name}: ${(e as Error).message}`);
  }
}

/** Largest value a field can hold (for property tests and validation). */
export function fieldMax(spec: FieldSpec): number {
  if (spec.addr) return 2 ** (spec.msb + 1) - 2 ** spec.lsb;
  return 2 ** (spec.msb - spec.lsb + 1) - 1;
}
