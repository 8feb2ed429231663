/**
 * The VT-d unit: the hardware model (hardware.ts) plus the Linux intel-iommu
 * driver side (driver/, by createIntelDriver), behind the core's IommuUnit.
 */

import { TranslationMeter } from '../../core/metrics/translation-meter.js';
import type { TranslationRequest, TranslationResult } from '../../core/model/translation.js';
import type {
  DeviceConfig,
  IommuUnit,
  JsonObject,
  JsonValue,
  PageRequestInput,
  UnitCapabilities,
  UnitStats,
} from '../../core/plugin/contract.js';
import type { UnitIdentity } from '../../core/plugin/tokens.js';
import type { ErrnoCode } from '../../core/uapi/errno.js';
import type { VendorOps } from '../../core/uapi/vendor-ops.js';
import { digestHardwareState } from './digest-state.js';
import type { IntelDriver } from './driver/index.js';
import type { DriverState } from './driver/snapshot.js';
import type { VtdHardware, VtdHardwareState } from './hardware.js';

const NOT_MODELLED = [
  'interrupt remapping (requests to 0xFEEx_xxxx without PASID are answered NOT_MODELLED)',
  'protected memory regions (PMEN/PLMR/PHMR)',
  'memory types and snoop attributes (EMT, PAT, PCD/PWT, PWSNP/PGSNP): stored, not acted on',
  'SMEP and first-level global pages (G): PASID-selective invalidation drops global entries too',
  'A/D update failures with no-snoop (0x7C, 0x90, 0x91): simulated memory is always coherent',
  'domain-selective context-cache invalidation is performed as global (actual granularity)',
];

export class VtdUnit implements IommuUnit {
  readonly id: string;
  readonly plugin = 'vtd';
  readonly hw: VtdHardware;
  readonly ops: VendorOps;
  /** The Linux driver side; its commands (commands/index.ts) run on it. */
  readonly driver: IntelDriver;
  readonly identity: UnitIdentity;
  readonly #driver: IntelDriver;
  readonly #meter = new TranslationMeter();

  constructor(hw: VtdHardware, driver: IntelDriver, identity: UnitIdentity) {
    this.id = identity.id;
    this.hw = hw;
    this.#driver = driver;
    this.driver = driver;
    this.identity = identity;
    this.ops = driver.ops;
  }

  capabilities(): UnitCapabilities {
    const c = this.hw.caps;
    const caches = Object.keys(this.hw.caches.counters());
    return {
      arch: 'vtd',
      profile: 'v5.10',
      pasidBits: c.pasidBits,
      cacheInvalidation: [
        { cache: 'iotlb', granularities: ['pasid', 'addr'] },
        { cache: 'dev_iotlb', granularities: ['addr'] },
        { cache: 'pasid', granularities: [] },
      ],
      bindFormats: c.nest ? [1] : [],
      pageRequests: c.prs,
      nested: c.nest,
      ats: c.dt,
      caches,
      notModelled: NOT_MODELLED,
    };
  }

  /** Source-ids are 16 bits (bus << 8 | devfn); a wider one would alias another device's entries. */
  addDevice(device: DeviceConfig): ErrnoCode {
    if (!Number.isInteger(device.sid) || device.sid < 0 || device.sid > 0xffff) return 'EINVAL';
    if (device.ats && this.hw.caps.dt) this.hw.caches.allowDevTlb(device.sid);
    this.#driver.addDevice(device);
    return 0;
  }

  translate(req: TranslationRequest, out: TranslationResult): number {
    const kind = this.hw.translate(req, out);
    this.#meter.count(kind, out);
    return kind;
  }

  pageRequest(device: DeviceConfig, req: PageRequestInput): ErrnoCode {
    return this.#driver.pageRequest(device, req);
  }

  stats(): UnitStats {
    return {
      translations: this.hw.translations,
      faults: this.hw.faultCount,
      memReads: this.hw.memReads,
      caches: this.hw.caches.counters(),
      walks: this.#meter.walks,
      faultsByKind: this.#meter.faultsByKind(),
    };
  }

  digestState(): JsonValue {
    return { ...digestHardwareState(this.hw), driver: this.#driver.digestState() };
  }

  saveState(): { hw: VtdHardwareState; driver: DriverState; meter: number[] } {
    return { hw: this.hw.saveState(), driver: this.#driver.saveState(), meter: this.#meter.saveState() };
  }

  loadState(state: unknown): void {
    const s = state as ReturnType<VtdUnit['saveState']>;
    this.hw.loadState(s.hw);
    this.#driver.loadState(s.driver);
    this.#meter.loadState(s.meter);
  }
}

/** Which vtd.cache.invalidated events are one invalidation, in core/metrics' scope names. */
export function vtdInvalidationScope(type: string, data: JsonObject): string | null {
  if (type === 'vtd.qi.waited') return 'sync';
  if (type !== 'vtd.cache.invalidated') return null;
  const g = String(data.granularity);
  switch (data.cache) {
    case 'iotlb':
      if (g === 'global' || g === 'domain' || g === 'pasid') return `iotlb.${g}`;
      return 'iotlb.page'; // page, page-leaf, pasid-page, pasid-page-leaf
    case 'devTlb':
      return g === 'all-pasids' ? 'devtlb.global' : 'devtlb.page';
    case 'context':
      return g === 'device' ? 'context.device' : 'context.global';
    case 'pasid':
      return `pasid.${g}`;
    default:
      return null;
  }
}
