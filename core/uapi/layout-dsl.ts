/**
 * A small declarative language for C struct layouts. A layout lists fields in
 * declaration order with their C types; offsets, sizes and alignment are
 * computed with the x86-64 System V rules gcc uses (each member at the next
 * multiple of its alignment, size rounded up to the largest alignment, union
 * members all at offset 0). No offset is ever written by hand: the layout
 * test checks the computed values against gcc's (fixtures/uapi-layout.json).
 */

/** A field as declared. Anonymous unions (name null) put their members in the parent's namespace. */
export type FieldSpec =
  | { readonly kind: 'u8' | 'u32' | 'u64'; readonly name: string }
  /** __u8[length], decoded as a Uint8Array. */
  | { readonly kind: 'bytes'; readonly name: string; readonly length: number }
  /** __u64[length], decoded as an array of bigints. */
  | { readonly kind: 'u64array'; readonly name: string; readonly length: number }
  | { readonly kind: 'struct'; readonly name: string; readonly spec: StructSpec }
  | {
      readonly kind: 'union';
      readonly name: string | null;
      readonly members: readonly FieldSpec[];
      readonly select?: UnionSelect;
    };

/**
 * Which union member an encoder writes last (so it wins where members overlap):
 * the member named in `cases` for the value of sibling field `by`, else `otherwise`.
 */
export interface UnionSelect {
  readonly by: string;
  readonly cases: { readonly [value: number]: string };
  readonly otherwise: string;
}

export interface StructSpec {
  /** The C struct name, e.g. "iommu_cache_invalidate_info". */
  readonly name: string;
  readonly fields: readonly FieldSpec[];
}

/** A field with its computed place. `offset` is relative to the enclosing struct or union. */
export interface ResolvedField {
  readonly spec: FieldSpec;
  readonly name: string | null;
  readonly offset: number;
  readonly size: number;
  readonly align: number;
  /** The C type as gcc's layout dump prints it. */
  readonly type: string;
  /** Members of a struct or union field, offsets relative to this field. */
  readonly children: readonly ResolvedField[];
}

export interface Layout {
  readonly name: string;
  readonly size: number;
  readonly align: number;
  readonly fields: readonly ResolvedField[];
}

export const u8 = (name: string): FieldSpec => ({ kind: 'u8', name });
export const u32 = (name: string): FieldSpec => ({ kind: 'u32', name });
export const u64 = (name: string): FieldSpec => ({ kind: 'u64', name });
export const bytes = (name: string, length: number): FieldSpec => ({ kind: 'bytes', name, length });
export const u64array = (name: string, length: number): FieldSpec => ({ kind: 'u64array', name, length });
export const struct = (name: string, spec: StructSpec): FieldSpec => ({ kind: 'struct', name, spec });
export const union = (
  name: string | null,
  members: readonly FieldSpec[],
  select?: UnionSelect,
): FieldSpec => ({
  kind: 'union',
  name,
  members,
  select,
});

const alignUp = (n: number, a: number): number => Math.ceil(n / a) * a;

function resolveField(spec: FieldSpec, offset: number): ResolvedField {
  switch (spec.kind) {
    case 'u8':
      return { spec, name: spec.name, offset, size: 1, align: 1, type: '__u8', children: [] };
    case 'u32':
      return { spec, name: spec.name, offset, size: 4, align: 4, type: '__u32', children: [] };
    case 'u64':
      return { spec, name: spec.name, offset, size: 8, align: 8, type: '__u64', children: [] };
    case 'bytes':
      return {
        spec,
        name: spec.name,
        offset,
        size: spec.length,
        align: 1,
        type: `__u8[${spec.length}]`,
        children: [],
      };
    case 'u64array':
      return {
        spec,
        name: spec.name,
        offset,
        size: 8 * spec.length,
        align: 8,
        type: `__u64[${spec.length}]`,
        children: [],
      };
    case 'struct': {
      const inner = resolveLayout(spec.spec);
      return {
        spec,
        name: spec.name,
        offset,
        size: inner.size,
        align: inner.align,
        type: `struct ${spec.spec.name}`,
        children: inner.fields,
      };
    }
    case 'union': {
      const children = spec.members.map((m) => resolveField(m, 0));
      const align = Math.max(1, ...children.map((c) => c.align));
      const size = alignUp(Math.max(0, ...children.map((c) => c.size)), align);
      const type =
        spec.name === null ? 'union' : `union ${spec.name} {${children.map((c) => c.name).join('; ')}}`;
      return { spec, name: spec.name, offset, size, align, type, children };
    }
  }
}

/** Computes offsets, size and alignment of a struct declaration. */
export function resolveLayout(spec: StructSpec): Layout {
  const fields: ResolvedField[] = [];
  let end = 0;
  let align = 1;
  for (const f of spec.fields) {
    const probe = resolveField(f, 0);
    const offset = alignUp(end, probe.align);
    fields.push({ ...probe, offset });
    end = offset + probe.size;
    align = Math.max(align, probe.align);
  }
  return { name: spec.name, size: alignUp(end, align), align, fields };
}

/** One row of the layout report: dotted name, absolute offset, size, C type. */
export interface FlatField {
  readonly name: string;
  readonly offset: number;
  readonly size: number;
  readonly type: string;
}

/**
 * Flattens a layout the way gcc's dump lists it: every field, then its members
 * with dotted names and absolute offsets; anonymous unions contribute only their members.
 */
export function flattenLayout(layout: Layout): FlatField[] {
  const out: FlatField[] = [];
  const walk = (fields: readonly ResolvedField[], base: number, prefix: string): void => {
    for (const f of fields) {
      const at = base + f.offset;
      if (f.name === null) {
        walk(f.children, at, prefix);
        continue;
      }
      const name = prefix + f.name;
      out.push({ name, offset: at, size: f.size, type: f.type });
      if (f.children.length > 0) walk(f.children, at, `${name}.`);
    }
  };
  walk(layout.fields, 0, '');
  return out;
}

/** The absolute place of a dotted field name; throws RangeError for an unknown name (programmer error). */
export function fieldPlace(layout: Layout, dotted: string): { offset: number; size: number } {
  const f = flattenLayout(layout).find((x) => x.name === dotted);
  if (!f) throw new RangeError(`${layout.name}: no field "${dotted}"`);
  return { offset: f.offset, size: f.size };
}

/** offsetof(layout, field). */
export const offsetOf = (layout: Layout, dotted: string): number => fieldPlace(layout, dotted).offset;

/** offsetofend(layout, field): the first byte after the field. */
export function offsetOfEnd(layout: Layout, dotted: string): number {
  const p = fieldPlace(layout, dotted);
  return p.offset + p.size;
}
