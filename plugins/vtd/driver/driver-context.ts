/**
 * What every part of the driver shares: the hardware, the services, the
 * options, the devices the host knows, the IOASID allocator with the per-PASID
 * svm state hanging off it, and the two ways the driver speaks (events and
 * "kernel log" diagnostics).
 */
import type { EventSink, SimEventMap } from '../../../core/events/event-map.js';
import type { DeviceConfig, JsonObject } from '../../../core/plugin/contract.js';
import type { FaultReporter } from '../../../core/plugin/tokens.js';
import { KERNELS, type KernelName, type KernelVersion } from '../../../core/uapi/kernel-versions.js';
import { PageRequestQueue } from '../page-requests/page-request-queue.js';
import type { DriverHardware } from './hardware-port.js';
import { IoasidAllocator } from './ioasid-allocator.js';
import { descriptorHex, type QiDescriptor } from './qi-descriptors.js';
import type { Svm } from './svm-state.js';

/** Event types that carry the unit id (all of the driver's own events). */
type DriverEventType = {
  [K in keyof SimEventMap & string]: SimEventMap[K] extends { unit: string } ? K : never;
}[keyof SimEventMap & string];

export interface IntelDriverOptions {
  /** Unit id written into events and core.diagnostic.noted (defaults to the hardware's unitId). */
  readonly unit: string;
  /** Kernel line: decides IOMMU_SVA_VTD_GPASID_LAST (0x40 in v5.10, 0x80 from v5.13 with WPE). */
  readonly kernel: KernelName;
  /** Host CPU has 5-level paging (LA57): needed for addr_width 57, widens the canonical check. */
  readonly cpu5LevelPaging: boolean;
  /** PCI ATS invalidate queue depth the kernel read from the device (32 when the field is 0). */
  readonly atsQueueDepth: number;
  /** PQA.PQS: the ring holds 128 << prqOrder descriptors (v5.10 uses 0). */
  readonly prqOrder: number;
  /**
   * How page_response's UAPI code reaches the descriptor. 'verbatim' is v5.10
   * (FAILURE=2 written as 2); 'architectural' deliberately maps FAILURE to 0xF.
   */
  readonly responseCodes: 'verbatim' | 'architectural';
  /** 'immediate': the PRQ thread runs after every request; 'held': requests pile up until vtd.prq.drain. */
  readonly prqThread: 'immediate' | 'held';
}

export const DEFAULT_DRIVER_OPTIONS: IntelDriverOptions = {
  unit: 'vtd',
  kernel: 'v5.10',
  cpu5LevelPaging: false,
  atsQueueDepth: 32,
  prqOrder: 0,
  responseCodes: 'verbatim',
  prqThread: 'immediate',
};

export interface DriverServices {
  readonly events: EventSink;
  readonly faults: FaultReporter;
}

export class DriverContext {
  readonly hw: DriverHardware;
  readonly services: DriverServices;
  readonly options: IntelDriverOptions;
  readonly ioasids: IoasidAllocator<Svm>;
  /** Devices the host attached behind this unit, by requester id. */
  readonly devices = new Map<number, DeviceConfig>();
  /** The hardware page request queue the PRQ thread drains. */
  readonly prq: PageRequestQueue;
  /** Whether the PRQ thread runs after each request or waits for vtd.prq.drain. */
  prqMode: IntelDriverOptions['prqThread'];

  constructor(hw: DriverHardware, services: DriverServices, options: IntelDriverOptions) {
    this.hw = hw;
    this.services = services;
    this.options = options;
    this.ioasids = new IoasidAllocator<Svm>();
    this.prq = PageRequestQueue.ofOrder(options.prqOrder);
    this.prqMode = options.prqThread;
  }

  /** Emits one of the driver's events, adding the unit id. */
  emit<K extends DriverEventType>(type: K, data: Omit<SimEventMap[K], 'unit'>): void {
    this.services.events.emit(type, { unit: this.options.unit, ...data } as SimEventMap[K]);
  }

  /** Something the kernel only logs (or silently swallows), made visible. */
  noted(what: string, detail: JsonObject): void {
    this.services.events.emit('core.diagnostic.noted', { unit: this.options.unit, what, detail });
  }

  /** The modelled kernel's version-dependent constants. */
  get kernel(): KernelVersion {
    return KERNELS[this.options.kernel];
  }

  /** The device as the driver knows it (the kernel's "IOMMU for this device"), or undefined. */
  knownDevice(device: DeviceConfig): DeviceConfig | undefined {
    const d = this.devices.get(device.sid);
    return d !== undefined && d.name === device.name ? d : undefined;
  }

  /** ATS is in use when the device has it and the IOMMU supports device-TLBs (ECAP.DT). */
  atsEnabled(device: DeviceConfig): boolean {
    return device.ats && this.hw.caps.dt;
  }

  /** The PFSID the kernel puts in device-TLB descriptors: the PF's id with ECAP.DIT, else 0 (reserved). */
  pfsid(device: DeviceConfig): number {
    return this.hw.caps.dit ? device.sid : 0;
  }

  /**
   * Sends a page group response (type 0x9) through the invalidation queue, as
   * the kernel does with qi_submit_sync, after announcing it with the encoded descriptor.
   */
  sendResponse(
    data: Omit<SimEventMap['vtd.driver.response.sent'], 'unit' | 'descriptor'>,
    desc: QiDescriptor,
  ): void {
    this.emit('vtd.driver.response.sent', { ...data, descriptor: descriptorHex(desc) });
    const r = this.hw.submitDescriptors([desc]);
    if (r.error !== null) {
      this.hw.qi?.clearError();
      this.noted('vtd.qi.submit-error', {
        why: 'page-response',
        index: r.error.index,
        reason: r.error.reason,
      });
    }
  }

  /** Submits descriptors like qi_submit_sync and reports what the hardware did. */
  submit(
    why: SimEventMap['vtd.driver.descriptors.submitted']['why'],
    sid: number,
    pasid: number,
    descs: readonly (readonly bigint[])[],
  ): boolean {
    const r = this.hw.submitDescriptors(descs);
    this.emit('vtd.driver.descriptors.submitted', {
      sid,
      pasid,
      why,
      descriptors: descs.map((d) => descriptorHex(d)),
      processed: r.processed,
      error: r.error === null ? null : { index: r.error.index, reason: r.error.reason },
    });
    if (r.error !== null) {
      // qi_check_fault: the kernel replaces the bad descriptor, clears FSTS.IQE and
      // returns -EINVAL, which these callers ignore (void flush helpers): only a log line.
      this.hw.qi?.clearError();
      this.noted('vtd.qi.submit-error', { why, index: r.error.index, reason: r.error.reason });
    }
    return r.error === null;
  }
}
