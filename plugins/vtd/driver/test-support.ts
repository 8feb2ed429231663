/**
 * Test doubles for the driver's tests: a small hardware fake that satisfies
 * DriverHardware (PASID tables in real simulated memory, descriptors
 * recorded), recording event and fault sinks, and builders of UAPI structs.
 * Not imported by production code.
 */
import type { EventSink, SimEventMap } from '../../../core/events/event-map.js';
import { PhysMemory } from '../../../core/memory/phys-memory.js';
import type { DeviceConfig } from '../../../core/plugin/contract.js';
import type { FaultReporter } from '../../../core/plugin/tokens.js';
import type { ErrnoCode } from '../../../core/uapi/errno.js';
import type {
  IommuCacheInvalidateInfo,
  IommuFault,
  IommuGpasidBindData,
} from '../../../core/uapi/structs.js';
import { DEFAULT_VTD_CAPS, type VtdCaps } from '../capabilities.js';
import type { DriverHardware, DriverHostDomain, SubmitResult } from './hardware-port.js';
import { createIntelDriver, type IntelDriver, type IntelDriverOptions } from './index.js';

/** PASIDs below this have a PASID-table slot in the fake (its "directory" size). */
export const FAKE_PASID_LIMIT = 4096;

export class FakeHardware implements DriverHardware {
  readonly unitId = 'vtd0';
  caps: VtdCaps & { smpwc?: boolean };
  readonly memory = new PhysMemory(64 * 1024 * 1024);
  readonly domains = new Map<number, DriverHostDomain>();
  readonly submitted: (readonly bigint[])[][] = [];
  /** Makes submitDescriptors fail at the first descriptor for which this returns a reason. */
  reject: ((d: readonly bigint[]) => string | null) | undefined;
  iqeCleared = 0;
  readonly qi = { clearError: (): void => void this.iqeCleared++ };
  readonly #tables = new Map<number, number>();
  #next = 0x100_0000;

  constructor(caps: Partial<VtdCaps & { smpwc: boolean }> = {}) {
    this.caps = { ...DEFAULT_VTD_CAPS, ...caps };
  }

  submitDescriptors(descs: readonly (readonly bigint[])[]): SubmitResult {
    this.submitted.push([...descs]);
    for (let i = 0; i < descs.length; i++) {
      const why = this.reject?.(descs[i]!) ?? null;
      if (why !== null) return { processed: i, error: { index: i, reason: why } };
    }
    return { processed: descs.length, error: null };
  }

  pasidEntryAddress(sid: number, pasid: number, allocate: boolean): number | undefined {
    if (pasid >= FAKE_PASID_LIMIT) return undefined;
    let base = this.#tables.get(sid);
    if (base === undefined) {
      if (!allocate) return undefined;
      base = this.#next;
      this.#next += FAKE_PASID_LIMIT * 64;
      this.#tables.set(sid, base);
    }
    return base + 64 * pasid;
  }

  hostDomainOf(sid: number): DriverHostDomain | undefined {
    return this.domains.get(sid);
  }

  /** All descriptors submitted so far, flattened. */
  get descriptors(): (readonly bigint[])[] {
    return this.submitted.flat();
  }
}

export type RecordedEvent = { type: string; data: Record<string, unknown> };

export class RecordingEvents implements EventSink {
  readonly log: RecordedEvent[] = [];
  emit<K extends keyof SimEventMap & string>(type: K, data: SimEventMap[K]): void {
    this.log.push({ type, data: data as unknown as Record<string, unknown> });
  }
  of(type: string): Record<string, unknown>[] {
    return this.log.filter((e) => e.type === type).map((e) => e.data);
  }
  /** `what` values of core.diagnostic.noted events. */
  noted(): string[] {
    return this.of('core.diagnostic.noted').map((d) => d.what as string);
  }
}

export class RecordingFaults implements FaultReporter {
  readonly reports: { sid: number; fault: IommuFault }[] = [];
  result: ErrnoCode = 0;
  report(sid: number, fault: IommuFault): ErrnoCode {
    this.reports.push({ sid, fault });
    return this.result;
  }
}

export function pciDevice(over: Partial<DeviceConfig> = {}): DeviceConfig {
  return {
    name: 'nic0',
    unit: 'vtd0',
    sid: 0x0108,
    pci: true,
    pasidBits: 20,
    ats: true,
    pri: true,
    auxDomain: false,
    ...over,
  };
}

export const NESTING_DOMAIN: DriverHostDomain = {
  did: 0x2a,
  slptptr: 0x20_0000,
  levels: 4,
  agaw: 48,
  nesting: true,
  maxAddr: 0x1000_0000n,
};

export function invInfo(
  over: Partial<IommuCacheInvalidateInfo> & {
    pasid?: Partial<IommuCacheInvalidateInfo['granu']['pasid_info']>;
    addr?: Partial<IommuCacheInvalidateInfo['granu']['addr_info']>;
  } = {},
): IommuCacheInvalidateInfo {
  const { pasid, addr, ...rest } = over;
  return {
    argsz: 56,
    version: 1,
    cache: 1,
    granularity: 2,
    padding: new Uint8Array(6),
    granu: {
      pasid_info: { flags: 0, archid: 0, pasid: 0n, ...pasid },
      addr_info: { flags: 0, archid: 0, pasid: 0n, addr: 0n, granule_size: 4096n, nb_granules: 1n, ...addr },
    },
    ...rest,
  };
}

export function bindData(
  over: Partial<Omit<IommuGpasidBindData, 'vendor'>> & { vtdFlags?: bigint } = {},
): IommuGpasidBindData {
  const { vtdFlags, ...rest } = over;
  return {
    argsz: 72,
    version: 1,
    format: 1,
    addr_width: 48,
    flags: 1n,
    gpgd: 0x5000n,
    hpasid: 1n,
    gpasid: 7n,
    padding: new Uint8Array(8),
    vendor: { vtd: { flags: vtdFlags ?? 0n, pat: 0, emt: 0 } },
    ...rest,
  };
}

export interface Rig {
  hw: FakeHardware;
  events: RecordingEvents;
  faults: RecordingFaults;
  driver: IntelDriver;
  device: DeviceConfig;
}

/** A driver over a fake unit with one PCI device attached to a nesting domain. */
export function rig(
  o: {
    caps?: Partial<VtdCaps & { smpwc: boolean }>;
    device?: Partial<DeviceConfig>;
    options?: Partial<IntelDriverOptions>;
  } = {},
): Rig {
  const hw = new FakeHardware(o.caps);
  const events = new RecordingEvents();
  const faults = new RecordingFaults();
  const driver = createIntelDriver(hw, { events, faults }, o.options);
  const device = pciDevice(o.device);
  driver.addDevice(device);
  hw.domains.set(device.sid, NESTING_DOMAIN);
  return { hw, events, faults, driver, device };
}

/** Allocates the next PASID through the driver command (asserting success). */
export function allocPasid(driver: IntelDriver, data: { min?: number; max?: number } = {}): number {
  const r = driver.command('vtd.ioasid.alloc', data);
  if (r === undefined || !r.ok) throw new Error(`alloc failed: ${JSON.stringify(r)}`);
  return r.value as number;
}

/** Reads bits [lo, lo+width) of a qword. */
export function bits(q: bigint, lo: number, width = 1): number {
  return Number((q >> BigInt(lo)) & ((1n << BigInt(width)) - 1n));
}
