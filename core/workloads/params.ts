/** Reading a generator's parameters; a bad one is a RangeError naming it (the command fails as invalid). */
import type { JsonObject } from '../plugin/contract.js';

export function int(
  d: JsonObject,
  k: string,
  fallback: number,
  min = 0,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const v = d[k];
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max)
    throw new RangeError(`${k}: expected an integer in [${min}, ${max}], got ${JSON.stringify(v)}`);
  return v;
}

export function frac(d: JsonObject, k: string, fallback: number): number {
  const v = d[k];
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !(v >= 0 && v <= 1))
    throw new RangeError(`${k}: expected a number in [0, 1], got ${JSON.stringify(v)}`);
  return v;
}

export function str(d: JsonObject, k: string, fallback?: string): string {
  const v = d[k] ?? fallback;
  if (typeof v !== 'string') throw new RangeError(`${k}: expected a string, got ${JSON.stringify(d[k])}`);
  return v;
}

/** A "0x..." byte address as a 4 KiB page number; it must be aligned to `alignPages` pages. */
export function pfnOf(d: JsonObject, k: string, alignPages = 1): number {
  const v = d[k];
  if (typeof v !== 'string' || !/^0x[0-9a-fA-F]+$/.test(v))
    throw new RangeError(`${k}: expected "0x..." hex`);
  const b = BigInt(v);
  if (b % (4096n * BigInt(alignPages)) !== 0n)
    throw new RangeError(`${k}: not aligned to ${alignPages * 4} KiB`);
  return Number(b / 4096n);
}

export function strings(d: JsonObject, k: string): string[] {
  const v = d[k];
  if (!Array.isArray(v) || v.length === 0 || !v.every((x) => typeof x === 'string'))
    throw new RangeError(`${k}: expected a non-empty array of names`);
  return v as string[];
}

export function ints(d: JsonObject, k: string): number[] {
  const v = d[k];
  if (
    !Array.isArray(v) ||
    v.length === 0 ||
    !v.every((x) => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0)
  )
    throw new RangeError(`${k}: expected a non-empty array of non-negative integers`);
  return v as number[];
}
