/**
 * Reading VT-d command fields (JSON-safe: 64-bit values as "0x..." strings)
 * with errors that name the field. Throws RangeError; the unit turns it into
 * an EINVAL result.
 */
import { parseU64 } from '../../../core/model/hex.js';
import type { JsonObject, JsonValue } from '../../../core/plugin/contract.js';
import type { UnitIdentity } from '../../../core/plugin/tokens.js';

function bad(field: string, want: string, got: unknown): never {
  throw new RangeError(`${field}: expected ${want}, got ${JSON.stringify(got)}`);
}

export function u64(data: JsonObject, field: string, fallback?: bigint): bigint {
  const v = data[field];
  if (v === undefined && fallback !== undefined) return fallback;
  if (v === undefined) bad(field, 'a 64-bit value as "0x..."', v);
  return parseU64(v, field);
}

/** A byte address or page number below 2^53. */
export function addr(data: JsonObject, field: string, fallback?: number): number {
  const v = u64(data, field, fallback === undefined ? undefined : BigInt(fallback));
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) bad(field, 'a value below 2^53', data[field]);
  return Number(v);
}

export function int(data: JsonObject, field: string, min: number, max: number, fallback?: number): number {
  const v = data[field];
  if (v === undefined && fallback !== undefined) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    bad(field, `an integer in [${min}, ${max}]`, v);
  return v;
}

export function bool(data: JsonObject, field: string, fallback: boolean): boolean {
  const v = data[field];
  if (v === undefined) return fallback;
  if (typeof v !== 'boolean') bad(field, 'true or false', v);
  return v;
}

export function oneOf<T extends string>(
  data: JsonObject,
  field: string,
  values: readonly T[],
  fallback?: T,
): T {
  const v = data[field];
  if (v === undefined && fallback !== undefined) return fallback;
  if (typeof v !== 'string' || !(values as readonly string[]).includes(v))
    bad(field, `one of ${values.join(', ')}`, v);
  return v as T;
}

/** Permission letters from "rwxu" (u = user, first level), e.g. "rw". */
export function perm(
  data: JsonObject,
  field: string,
  fallback: string,
): { r: boolean; w: boolean; x: boolean; u: boolean } {
  const v = data[field] ?? fallback;
  if (typeof v !== 'string' || !/^[rwxu]*$/.test(v)) bad(field, 'letters from "rwxu"', v);
  return { r: v.includes('r'), w: v.includes('w'), x: v.includes('x'), u: v.includes('u') };
}

/** The requester id from `sid` or from the `device` name. */
export function sidOf(data: JsonObject, identity: UnitIdentity): number {
  if (data.device !== undefined) {
    const name = data.device;
    for (const d of identity.devices.values()) if (d.name === name) return d.sid;
    bad('device', `a device behind unit ${identity.id}`, name);
  }
  return int(data, 'sid', 0, 0xffff);
}

/** Page size from "size" (bytes: 4096, 0x200000, 0x40000000) as a shift. */
export function pageShift(data: JsonObject, field: string): number {
  const v = u64(data, field, 4096n);
  if (v === 4096n) return 12;
  if (v === 0x20_0000n) return 21;
  if (v === 0x4000_0000n) return 30;
  bad(field, '4096, "0x200000" or "0x40000000"', data[field]);
}

/** A list of descriptors, each a list of 2 or 4 "0x..." qwords. */
export function descriptors(data: JsonObject, field: string): bigint[][] {
  const v = data[field];
  if (!Array.isArray(v)) bad(field, 'an array of descriptors', v);
  return (v as readonly JsonValue[]).map((d, i) => {
    if (!Array.isArray(d) || (d.length !== 2 && d.length !== 4))
      bad(`${field}[${i}]`, 'an array of 2 or 4 "0x..." qwords', d);
    return (d as readonly JsonValue[]).map((q, j) => parseU64(q, `${field}[${i}][${j}]`));
  });
}
