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
import { parseVtdCaps, type QemuIommuConfig, qemuCaps, qemuVersion, type VtdCaps } from './capabilities.js';
import { bool, int, oneOf } from './commands/fields.js';
import { DEFAULT_DRIVER_OPTIONS, type IntelDriverOptions } from './driver/driver-context.js';

/** The Linux driver's knobs a scenario may set; the kernel line comes from the run. */
export type VtdDriverOptions = Pick<
  IntelDriverOptions,
  'cpu5LevelPaging' | 'atsQueueDepth' | 'prqOrder' | 'responseCodes' | 'prqThread'
>;

export interface VtdOptions {
  readonly mode: 'legacy' | 'scalable';
  /** `qemu`: QEMU's cache design and its register side effects (SRTP/TE resets). */
  readonly profile: 'default' | 'qemu';
  readonly caps: VtdCaps;
  readonly caches: VtdCacheOptions;
  readonly driver: VtdDriverOptions;
}

const KNOWN = ['mode', 'caps', 'caches', 'profile', 'qemu', 'driver'];

/** Parses raw options; throws TypeError/RangeError naming the field. */
export function parseVtdOptions(raw: JsonObject | undefined): VtdOptions {
  const o = raw ?? {};
  for (const k of Object.keys(o)) {
    if (!KNOWN.includes(k))
      throw new RangeError(`vtd options: unknown field "${k}" (known: ${KNOWN.join(', ')})`);
  }
  const profile = o.profile ?? 'default';
  if (profile !== 'default' && profile !== 'qemu')
    throw new RangeError(`profile: expected "default" or "qemu", got ${JSON.stringify(profile)}`);
  if (o.qemu !== undefined && profile !== 'qemu') throw new RangeError('qemu: needs profile "qemu"');
  // `qemu: { version, ... }` starts from what that QEMU advertises; `caps` then override fields.
  const base = o.qemu === undefined ? undefined : qemuCaps(parseQemuConfig(o.qemu));
  const caps = parseVtdCaps(o.caps as JsonObject | undefined, 'caps', base);
  const mode = o.mode ?? (caps.smts ? 'scalable' : 'legacy');
  if (mode !== 'legacy' && mode !== 'scalable')
    throw new RangeError(`mode: expected "legacy" or "scalable", got ${JSON.stringify(mode)}`);
  if (mode === 'scalable' && !caps.smts) throw new RangeError('mode: "scalable" needs caps.smts');
  const cacheBase = profile === 'qemu' ? QEMU_CACHE_OPTIONS : DEFAULT_CACHE_OPTIONS;
  const caches = { ...cacheBase, ...parseCacheOptionsOver(o.caches as JsonObject | undefined, cacheBase) };
  const driver = parseDriverOptions(o.driver, 'driver');
  return Object.freeze({ mode, profile, caps, caches, driver });
}

const QEMU_FIELDS = [
  'version',
  'awBits',
  'cachingMode',
  'scalableMode',
  'deviceIotlb',
  'pasid',
  'flts',
  'pt',
  'dmaDrain',
];

/** The `qemu` option: a release and its intel-iommu properties; errors name `qemu.<field>`. */
function parseQemuConfig(raw: unknown): QemuIommuConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new TypeError('qemu: expected an object { version, awBits?, cachingMode?, ... }');
  const o = raw as JsonObject;
  for (const k of Object.keys(o)) {
    if (!QEMU_FIELDS.includes(k))
      throw new RangeError(`qemu: unknown field "${k}" (known: ${QEMU_FIELDS.join(', ')})`);
  }
  if (typeof o.version !== 'string') throw new TypeError('qemu.version: expected a string such as "7.2"');
  qemuVersion(o.version);
  if (o.awBits !== undefined && o.awBits !== 39 && o.awBits !== 48)
    throw new RangeError(`qemu.awBits: expected 39 or 48, got ${JSON.stringify(o.awBits)}`);
  try {
    return {
      version: o.version,
      ...(o.awBits !== undefined ? { awBits: o.awBits as 39 | 48 } : {}),
      cachingMode: bool(o, 'cachingMode', false),
      scalableMode: bool(o, 'scalableMode', false),
      deviceIotlb: bool(o, 'deviceIotlb', false),
      pasid: bool(o, 'pasid', false),
      flts: bool(o, 'flts', false),
      pt: bool(o, 'pt', true),
      dmaDrain: bool(o, 'dmaDrain', true),
    };
  } catch (e) {
    throw e instanceof RangeError || e instanceof TypeError ? new RangeError(`qemu.${e.message}`) : e;
  }
}

/** The driver's knobs, read with the command-field readers; errors name `driver.<field>`. */
function parseDriverOptions(raw: unknown, field: string): VtdDriverOptions {
  const d = DEFAULT_DRIVER_OPTIONS;
  const o = (raw ?? {}) as JsonObject;
  if (typeof o !== 'object' || o === null || Array.isArray(o))
    throw new TypeError(`${field}: expected an object`);
  const known = ['cpu5LevelPaging', 'atsQueueDepth', 'prqOrder', 'responseCodes', 'prqThread'];
  for (const k of Object.keys(o)) {
    if (!known.includes(k))
      throw new RangeError(`${field}: unknown field "${k}" (known: ${known.join(', ')})`);
  }
  try {
    return {
      cpu5LevelPaging: bool(o, 'cpu5LevelPaging', d.cpu5LevelPaging),
      // PCI ATS: the Invalidate Queue Depth field is 5 bits, 0 meaning 32.
      atsQueueDepth: int(o, 'atsQueueDepth', 1, 32, d.atsQueueDepth),
      // PQA.PQS is 3 bits: 128 << 7 descriptors at most.
      prqOrder: int(o, 'prqOrder', 0, 7, d.prqOrder),
      responseCodes: oneOf(o, 'responseCodes', ['verbatim', 'architectural'], d.responseCodes),
      prqThread: oneOf(o, 'prqThread', ['immediate', 'held'], d.prqThread),
    };
  } catch (e) {
    throw e instanceof RangeError ? new RangeError(`${field}.${e.message}`) : e;
  }
}

function parseCacheOptionsOver(raw: JsonObject | undefined, base: VtdCacheOptions): VtdCacheOptions {
  if (raw === undefined) return base;
  const parsed = parseCacheOptions(raw, 'caches');
  // Only the caches named in raw override the profile.
  const out: Record<string, unknown> = { ...base };
  for (const k of Object.keys(raw)) out[k] = (parsed as unknown as Record<string, unknown>)[k];
  return out as unknown as VtdCacheOptions;
}
