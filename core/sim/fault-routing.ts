/**
 * Faults and page requests on their way up: a unit reports for a requester
 * id, the core finds the device and runs iommu_report_device_fault through
 * that device's fault parameters (core/uapi/fault-params.ts), whose handler
 * here is the VMM's: it records `core.fault.delivered` and answers with the
 * result the scenario registered (0 by default).
 */
import type { DeviceConfig, JsonObject } from '../plugin/contract.js';
import { toJson } from '../uapi/codec.js';
import type { ErrnoCode, UapiResult } from '../uapi/errno.js';
import { DeviceFaultParams } from '../uapi/fault-params.js';
import type { UapiTarget } from '../uapi/iommu-core.js';
import type { IommuFault, IommuPageResponse } from '../uapi/structs.js';
import type { Simulator } from './simulator.js';

export class FaultRouting {
  readonly #sim: Simulator;
  readonly #params = new Map<string, DeviceFaultParams>();
  readonly #bySid = new Map<string, Map<number, DeviceConfig>>();
  /** The result each registered handler answers, by device. */
  readonly #results = new Map<string, number>();

  constructor(sim: Simulator) {
    this.#sim = sim;
  }

  addDevice(device: DeviceConfig): void {
    this.#params.set(device.name, new DeviceFaultParams());
    let m = this.#bySid.get(device.unit);
    if (!m) {
      m = new Map();
      this.#bySid.set(device.unit, m);
    }
    m.set(device.sid, device);
  }

  /** iommu_register_device_fault_handler for `device`; the handler answers `result`. */
  register(device: string, result: number): ErrnoCode {
    const sim = this.#sim;
    const r = this.#paramsOf(device).register((fault) => {
      sim.emit('core.fault.delivered', { device, fault: faultJson(fault), result });
      return result;
    });
    if (r === 0) this.#results.set(device, result);
    return r;
  }

  unregister(device: string): ErrnoCode {
    const r = this.#paramsOf(device).unregister();
    if (r === 0) this.#results.delete(device);
    return r;
  }

  /** Per device: the registered handler's result (absent: none) and the pending page requests. */
  saveState(): { results: Map<string, number>; pending: Map<string, readonly IommuFault[]> } {
    const pending = new Map<string, readonly IommuFault[]>();
    for (const [name, p] of this.#params) pending.set(name, p.saveState());
    return { results: this.#results, pending };
  }

  loadState(s: {
    results: ReadonlyMap<string, number>;
    pending: ReadonlyMap<string, readonly IommuFault[]>;
  }): void {
    for (const p of this.#params.values()) {
      p.loadState([]);
      p.unregister();
    }
    this.#results.clear();
    for (const [name, result] of s.results) this.register(name, result);
    for (const [name, p] of this.#params) p.loadState(s.pending.get(name) ?? []);
  }

  /** iommu_report_device_fault on behalf of (unit, sid). Undeliverable faults are recorded as dropped. */
  report(unitId: string, sid: number, fault: IommuFault): ErrnoCode {
    const device = this.#bySid.get(unitId)?.get(sid);
    const r: ErrnoCode = device ? this.#paramsOf(device.name).reportDeviceFault(fault) : 'ENODEV';
    if (r !== 0)
      this.#sim.emit('core.fault.dropped', { unit: unitId, sid, errno: r, fault: faultJson(fault) });
    return r;
  }

  /** iommu_page_response for `device`. */
  pageResponse(
    device: string,
    msg: IommuPageResponse,
    t: UapiTarget,
  ): UapiResult<{ matched: IommuFault; msg: IommuPageResponse }> {
    return this.#paramsOf(device).pageResponse(msg, t.ops, t.call);
  }

  /** Pending page requests per device, for snapshots. */
  pending(device: string): readonly IommuFault[] {
    return this.#paramsOf(device).pending;
  }

  #paramsOf(device: string): DeviceFaultParams {
    const p = this.#params.get(device);
    if (!p) throw new Error(`fault routing: unknown device "${device}"`);
    return p;
  }
}

function faultJson(fault: IommuFault): JsonObject {
  return toJson('iommu_fault', fault) as JsonObject;
}
