import { resolveCacheOptions, type TranslationCacheOptions } from './cache-options.js';
import { OpenAddressingCache } from './open-cache.js';
import { SetAssociativeCache } from './set-cache.js';
import type { TranslationCache } from './translation-cache.js';

/**
 * Build a translation cache: `ways: 'full'` (default) gives an open-addressing table, a number
 * gives a set-associative one. Throws RangeError on an impossible configuration.
 *
 * @example
 * const iotlb = createTranslationCache({ entries: 4096, ways: 'full', policy: 'lru' });
 * iotlb.insert(ctx, vpn, 0, outPfn, ACCESS.READ | ACCESS.WRITE);
 * const s = iotlb.lookupAny(ctx, vpn);
 * if (s >= 0) pfn = iotlb.outputFor(s, vpn);
 */
export function createTranslationCache(options: TranslationCacheOptions): TranslationCache {
  const o = resolveCacheOptions(options);
  return o.ways === 'full' ? new OpenAddressingCache(o) : new SetAssociativeCache(o);
}
