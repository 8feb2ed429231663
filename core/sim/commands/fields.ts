/** Reading command fields with errors that name the field. */
import { ERROR_CODES, ViommuError } from '../../errors/viommu-error.js';
import { hexToBytes, parseSafe, parseU64 } from '../../model/hex.js';
import type { JsonObject } from '../../plugin/contract.js';
import { errnoName } from '../../uapi/errno.js';

function bad(field: string, want: string, got: unknown): never {
  throw new ViommuError(
    ERROR_CODES.COMMAND_INVALID,
    `${field}: expected ${want}, got ${JSON.stringify(got)}`,
  );
}

function wrap<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof RangeError) throw new ViommuError(ERROR_CODES.COMMAND_INVALID, e.message);
    throw e;
  }
}

export function u64Field(data: JsonObject, field: string): bigint {
  return wrap(() => parseU64(data[field], field));
}

export function safeField(data: JsonObject, field: string): number {
  return wrap(() => parseSafe(data[field], field));
}

export function intField(
  data: JsonObject,
  field: string,
  min: number,
  max: number,
  fallback?: number,
): number {
  const v = data[field];
  if (v === undefined && fallback !== undefined) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    bad(field, `an integer in [${min}, ${max}]`, v);
  return v;
}

/** 0 or a negated errno the simulator names (core/uapi/errno.ts), e.g. a fault handler's result. */
export function errnoResultField(data: JsonObject, field: string): number {
  const v = data[field];
  if (v === undefined) return 0;
  if (v === 0 || (typeof v === 'number' && v < 0 && errnoName(v) !== undefined)) return v;
  return bad(field, '0 or a negated errno the simulator names (e.g. -22 for EINVAL)', v);
}

export function boolField(data: JsonObject, field: string, fallback: boolean): boolean {
  const v = data[field];
  if (v === undefined) return fallback;
  if (typeof v !== 'boolean') bad(field, 'true or false', v);
  return v;
}

export function stringField(data: JsonObject, field: string, fallback?: string): string {
  const v = data[field];
  if (v === undefined && fallback !== undefined) return fallback;
  if (typeof v !== 'string') bad(field, 'a string', v);
  return v;
}

export function bytesField(data: JsonObject, field: string): Uint8Array {
  const v = data[field];
  if (typeof v !== 'string') bad(field, 'a hex string', v);
  return wrap(() => hexToBytes(v, field));
}

/** "r", "w", "x", "rw", "rx", "p" (privileged) ... as ACCESS bits. */
export function accessField(data: JsonObject, field: string): number {
  const v = data[field];
  if (typeof v !== 'string' || !/^[rwxp]+$/.test(v)) bad(field, 'access letters from "rwxp"', v);
  let bits = 0;
  for (const c of v) bits |= c === 'r' ? 1 : c === 'w' ? 2 : c === 'x' ? 4 : 8;
  return bits;
}

export function accessString(bits: number): string {
  return `${bits & 1 ? 'r' : ''}${bits & 2 ? 'w' : ''}${bits & 4 ? 'x' : ''}${bits & 8 ? 'p' : ''}`;
}
