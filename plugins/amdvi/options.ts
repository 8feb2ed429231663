/** Plugin options: the UAPI profile and the cache configuration, with defaults and named errors. */
import type { ReplacementPolicy } from '../../core/cache/cache-options.js';
import { QEMU_IOTLB_ENTRIES } from '../../core/cache/cache-options.js';
import type { JsonObject } from '../../core/plugin/contract.js';
import type { IotlbConfig } from './caches.js';

export interface AmdviOptions {
  /** 'v5.10': what mainline did (no vendor UAPI ops). 'proposed': the Part C mapping, labelled so. */
  readonly profile: 'v5.10' | 'proposed';
  readonly iotlb: IotlbConfig;
}

const POLICIES: readonly ReplacementPolicy[] = ['lru', 'fifo', 'random', 'qemu'];
const KEYS = ['profile', 'iotlb'];
const IOTLB_KEYS = ['entries', 'policy', 'ways'];

/** Parses raw scenario options; throws TypeError/RangeError naming the field. */
export function parseAmdviOptions(raw: JsonObject | undefined): AmdviOptions {
  const o = raw ?? {};
  for (const k of Object.keys(o))
    if (!KEYS.includes(k))
      throw new TypeError(`amdvi options: unknown option "${k}" (known: ${KEYS.join(', ')})`);
  const profile = o.profile ?? 'v5.10';
  if (profile !== 'v5.10' && profile !== 'proposed') {
    throw new RangeError(
      `amdvi options.profile: expected "v5.10" or "proposed", got ${JSON.stringify(profile)}`,
    );
  }
  const t = o.iotlb ?? {};
  if (typeof t !== 'object' || t === null || Array.isArray(t))
    throw new TypeError('amdvi options.iotlb: expected an object');
  const io = t as JsonObject;
  for (const k of Object.keys(io)) {
    if (!IOTLB_KEYS.includes(k))
      throw new TypeError(`amdvi options.iotlb: unknown field "${k}" (known: ${IOTLB_KEYS.join(', ')})`);
  }
  const policy = io.policy ?? 'lru';
  if (typeof policy !== 'string' || !POLICIES.includes(policy as ReplacementPolicy)) {
    throw new RangeError(
      `amdvi options.iotlb.policy: expected one of ${POLICIES.join(', ')}, got ${JSON.stringify(policy)}`,
    );
  }
  const p = policy as ReplacementPolicy;
  const entries = io.entries ?? (p === 'qemu' ? QEMU_IOTLB_ENTRIES.amdvi : 4096);
  if (typeof entries !== 'number' || !Number.isInteger(entries) || entries < 1 || entries > 2 ** 24) {
    throw new RangeError(
      `amdvi options.iotlb.entries: expected an integer in 1..2^24, got ${JSON.stringify(entries)}`,
    );
  }
  const ways = io.ways ?? 'full';
  if (
    ways !== 'full' &&
    (typeof ways !== 'number' || !Number.isInteger(ways) || ways < 1 || entries % ways !== 0)
  ) {
    throw new RangeError(
      `amdvi options.iotlb.ways: expected "full" or a divisor of entries, got ${JSON.stringify(ways)}`,
    );
  }
  if (p === 'qemu' && ways !== 'full')
    throw new RangeError('amdvi options.iotlb.ways: the qemu policy needs "full"');
  return { profile, iotlb: { entries, policy: p, ways: ways as number | 'full' } };
}
