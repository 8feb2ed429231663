/** Translation-cache building blocks for the plugins; see translation-cache.ts for the model. */
export { MAX_CONTEXT_ID, MAX_SIZE_CODES, VPN_LIMIT } from './cache-key.js';
export {
  LIST_ORDER_MAX_ENTRIES,
  type LruOrder,
  QEMU_IOTLB_ENTRIES,
  type ReplacementPolicy,
  type TranslationCacheOptions,
  X86_PAGE_SHIFTS,
} from './cache-options.js';
export { ContextIds } from './context-ids.js';
export { createTranslationCache } from './create-cache.js';
export { KeyedCache, type KeyedCacheOptions } from './keyed-cache.js';
export { OpenAddressingCache } from './open-cache.js';
export { SetAssociativeCache } from './set-cache.js';
export { type CacheCounters, emptyCounters } from './stats.js';
export { type CacheEntry, type CacheState, type EntryFilter, TranslationCache } from './translation-cache.js';
