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

export interface VtdOptions {
  readonly mode: 'legacy' | 'scalable';
  readonly caps: VtdCaps;
  readonly caches: VtdCacheOptions;
}

const KNOWN = ['mode', 'caps', 'caches', 'profile'];

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
  return Object.freeze({ mode, caps, caches });
}

function parseCacheOptionsOver(raw: JsonObject | undefined, base: VtdCacheOptions): VtdCacheOptions {
  if (raw === undefined) return base;
  const parsed = parseCacheOptions(raw, 'caches');
  // Only the caches named in raw override the profile.
  const out: Record<string, unknown> = { ...base };
  for (const k of Object.keys(raw)) out[k] = (parsed as unknown as Record<string, unknown>)[k];
  return out as unknown as VtdCacheOptions;
}
