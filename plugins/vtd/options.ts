/**
 * The VT-d plugin's options: the mode the set-up commands build, the CAP/ECAP
 * fields, and each cache's entries/ways/policy (`profile: 'qemu'` starts from
 * QEMU's cache design instead of the default one).
 */

import {
  bool,
  type Decoded,
  decodeFields,
  FieldFault,
  int,
  numberIn,
  oneOf,
  pathText,
  str,
} from '../../core/command/field.js';
import type { JsonObject } from '../../core/plugin/contract.js';
import {
  DEFAULT_CACHE_OPTIONS,
  parseCacheOptions,
  QEMU_CACHE_OPTIONS,
  type VtdCacheOptions,
} from './caches/cache-options.js';
import { parseVtdCaps, type QemuIommuConfig, qemuCaps, qemuVersion, type VtdCaps } from './capabilities.js';
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

/** The `qemu` option: a QEMU release and its intel-iommu properties, declared with the field kit. */
const QEMU_OPTION_FIELDS = {
  version: str(),
  awBits: numberIn([39, 48] as const).opt(),
  cachingMode: bool().def(false),
  scalableMode: bool().def(false),
  deviceIotlb: bool().def(false),
  pasid: bool().def(false),
  flts: bool().def(false),
  pt: bool().def(true),
  dmaDrain: bool().def(true),
};
const QEMU_OPTION_NAMES = Object.keys(QEMU_OPTION_FIELDS);

/** The `qemu` option; errors name `qemu.<field>`. */
function parseQemuConfig(raw: unknown): QemuIommuConfig {
  let d: Decoded<typeof QEMU_OPTION_FIELDS>;
  try {
    d = decodeFields(QEMU_OPTION_FIELDS, QEMU_OPTION_NAMES, raw);
  } catch (e) {
    if (e instanceof FieldFault) throw new RangeError(`${pathText(['qemu', ...e.path])}: ${e.reason}`);
    throw e;
  }
  qemuVersion(d.version); // names qemu.version itself
  const { awBits, ...rest } = d;
  return { ...rest, ...(awBits !== undefined ? { awBits } : {}) };
}

const D = DEFAULT_DRIVER_OPTIONS;
/** The driver's knobs, declared with the command field kit. */
const DRIVER_OPTION_FIELDS = {
  cpu5LevelPaging: bool().def(D.cpu5LevelPaging),
  // PCI ATS: the Invalidate Queue Depth field is 5 bits, 0 meaning 32.
  atsQueueDepth: int(1, 32).def(D.atsQueueDepth),
  // PQA.PQS is 3 bits: 128 << 7 descriptors at most.
  prqOrder: int(0, 7).def(D.prqOrder),
  responseCodes: oneOf(['verbatim', 'architectural'] as const).def(D.responseCodes),
  prqThread: oneOf(['immediate', 'held'] as const).def(D.prqThread),
};
const DRIVER_OPTION_NAMES = Object.keys(DRIVER_OPTION_FIELDS);

/** The driver's knobs; errors name `driver.<field>`. */
function parseDriverOptions(raw: unknown, field: string): VtdDriverOptions {
  try {
    return decodeFields(DRIVER_OPTION_FIELDS, DRIVER_OPTION_NAMES, raw ?? {});
  } catch (e) {
    if (e instanceof FieldFault) throw new RangeError(`${pathText([field, ...e.path])}: ${e.reason}`);
    throw e;
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
