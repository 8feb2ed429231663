/**
 * The VT-d plugin's options: the mode the set-up commands build, the CAP/ECAP
 * fields, and each cache's entries/ways/policy (`profile: 'qemu'` starts from
 * QEMU's cache design instead of the default one).
 */
import type { JsonObject } from '../../core/plugin/contract.js';
import {
  DEFAULT_CACHE_OPTIONS,
  parseCacheOptions,
  QEMU_CACHE_OPTIONS,
  type VtdCacheOptions,
} from './caches/cache-options.js';
import { parseVtdCaps, type VtdCaps } from './capabilities.js';
import { DEFAULT_DRIVER_OPTIONS, type IntelDriverOptions } from './driver/driver-context.js';

/** The Linux driver's knobs a scenario may set; the kernel line comes from the run. */
export type VtdDriverOptions = Pick<
  IntelDriverOptions,
  'cpu5LevelPaging' | 'atsQueueDepth' | 'prqOrder' | 'responseCodes' | 'prqThread'
>;

export interface VtdOptions {
  readonly mode: 'legacy' | 'scalable';
  readonly caps: VtdCaps;
  readonly caches: VtdCacheOptions;
  readonly driver: VtdDriverOptions;
}

const KNOWN = ['mode', 'caps', 'caches', 'profile', 'driver'];

/** Parses raw options; throws TypeError/RangeError naming the field. */
export function parseVtdOptions(raw: JsonObject | undefined): VtdOptions {
  const o = raw ?? {};
  for (const k of Object.keys(o)) {
    if (!KNOWN.includes(k))
      throw new RangeError(`vtd options: unknown field "${k}" (known: ${KNOWN.join(', ')})`);
  }
  const caps = parseVtdCaps(o.caps as JsonObject | undefined, 'caps');
  const mode = o.mode ?? (caps.smts ? 'scalable' : 'legacy');
  if (mode !== 'legacy' && mode !== 'scalable')
    throw new RangeError(`mode: expected "legacy" or "scalable", got ${JSON.stringify(mode)}`);
  if (mode === 'scalable' && !caps.smts) throw new RangeError('mode: "scalable" needs caps.smts');
  const profile = o.profile ?? 'default';
  if (profile !== 'default' && profile !== 'qemu')
    throw new RangeError(`profile: expected "default" or "qemu", got ${JSON.stringify(profile)}`);
  const base = profile === 'qemu' ? QEMU_CACHE_OPTIONS : DEFAULT_CACHE_OPTIONS;
  const caches = { ...base, ...parseCacheOptionsOver(o.caches as JsonObject | undefined, base) };
  const driver = parseDriverOptions(o.driver, 'driver');
  return Object.freeze({ mode, caps, caches, driver });
}

function oneOf<T extends string>(v: unknown, field: string, allowed: readonly T[], fallback: T): T {
  if (v === undefined) return fallback;
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v))
    throw new RangeError(`${field}: expected one of ${allowed.join(', ')}, got ${JSON.stringify(v)}`);
  return v as T;
}

function intIn(v: unknown, field: string, min: number, max: number, fallback: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    throw new RangeError(`${field}: expected an integer in ${min}..${max}, got ${JSON.stringify(v)}`);
  return v;
}

function parseDriverOptions(raw: unknown, field: string): VtdDriverOptions {
  const d = DEFAULT_DRIVER_OPTIONS;
  if (raw === undefined) raw = {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new TypeError(`${field}: expected an object`);
  const o = raw as JsonObject;
  const known = ['cpu5LevelPaging', 'atsQueueDepth', 'prqOrder', 'responseCodes', 'prqThread'];
  for (const k of Object.keys(o)) {
    if (!known.includes(k))
      throw new RangeError(`${field}: unknown field "${k}" (known: ${known.join(', ')})`);
  }
  const la57 = o.cpu5LevelPaging ?? d.cpu5LevelPaging;
  if (typeof la57 !== 'boolean')
    throw new TypeError(`${field}.cpu5LevelPaging: expected a boolean, got ${JSON.stringify(la57)}`);
  return {
    cpu5LevelPaging: la57,
    // PCI ATS: the Invalidate Queue Depth field is 5 bits, 0 meaning 32.
    atsQueueDepth: intIn(o.atsQueueDepth, `${field}.atsQueueDepth`, 1, 32, d.atsQueueDepth),
    // PQA.PQS is 3 bits: 128 << 7 descriptors at most.
    prqOrder: intIn(o.prqOrder, `${field}.prqOrder`, 0, 7, d.prqOrder),
    responseCodes: oneOf(
      o.responseCodes,
      `${field}.responseCodes`,
      ['verbatim', 'architectural'],
      d.responseCodes,
    ),
    prqThread: oneOf(o.prqThread, `${field}.prqThread`, ['immediate', 'held'], d.prqThread),
  };
}

function parseCacheOptionsOver(raw: JsonObject | undefined, base: VtdCacheOptions): VtdCacheOptions {
  if (raw === undefined) return base;
  const parsed = parseCacheOptions(raw, 'caches');
  // Only the caches named in raw override the profile.
  const out: Record<string, unknown> = { ...base };
  for (const k of Object.keys(raw)) out[k] = (parsed as unknown as Record<string, unknown>)[k];
  return out as unknown as VtdCacheOptions;
}
