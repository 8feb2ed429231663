/**
 * The Linux intel-iommu driver side of a VT-d unit: the UAPI vendor ops
 * (cache_invalidate, sva_bind_gpasid, sva_unbind_gpasid, page_response), the
 * IOASID allocator, and the PRQ thread that turns hardware page requests into
 * iommu_fault events. The unit (vtd-hw) builds it with createIntelDriver.
 */
import './events.js';
import type { AnyCommandSpec } from '../../../core/command/catalog.js';
import type { EventSink } from '../../../core/events/event-map.js';
import type { DeviceConfig, JsonObject, JsonValue, PageRequestInput } from '../../../core/plugin/contract.js';
import type { FaultReporter } from '../../../core/plugin/tokens.js';
import type { SeededRng } from '../../../core/sim/rng.js';
import type { ErrnoCode, UapiResult } from '../../../core/uapi/errno.js';
import type { VendorOps } from '../../../core/uapi/vendor-ops.js';
import { intakePageRequest } from '../page-requests/page-request-intake.js';
import type { PageRequestQueue } from '../page-requests/page-request-queue.js';
import { bindGpasid, unbindGpasid } from './bind-gpasid.js';
import { DRIVER_COMMANDS } from './driver-commands.js';
import { DEFAULT_DRIVER_OPTIONS, DriverContext, type IntelDriverOptions } from './driver-context.js';
import type { DriverHardware } from './hardware-port.js';
import { cacheInvalidate } from './invalidate.js';
import { pageResponse } from './page-response.js';
import { runPrqThread } from './prq-thread.js';
import { descriptorHex } from './qi-descriptors.js';
import { type DriverState, digestDriverState, loadDriverState, saveDriverState } from './snapshot.js';

export type { IntelDriverOptions } from './driver-context.js';
export { DEFAULT_DRIVER_OPTIONS } from './driver-context.js';

export interface IntelDriver {
  readonly ops: VendorOps;
  /** The page request queue the hardware writes and the PRQ thread drains. */
  readonly prq: PageRequestQueue;
  /** A device behind the unit issues a page request (PRI). */
  pageRequest(device: DeviceConfig, req: PageRequestInput): ErrnoCode;
  /** Runs a driver command (DRIVER_COMMANDS: vtd.ioasid.*, vtd.prq.*) on already-decoded data. */
  run(spec: AnyCommandSpec<DriverContext>, data: unknown): UapiResult<JsonValue>;
  /** Decodes and runs a driver command (tests); undefined = not a driver command. */
  command(type: string, data: JsonObject): UapiResult<JsonValue> | undefined;
  digestState(): JsonValue;
  saveState(): DriverState;
  loadState(s: DriverState): void;
  addDevice(d: DeviceConfig): void;
}

export interface IntelDriverServices {
  readonly events: EventSink;
  readonly faults: FaultReporter;
  /** Accepted for the seam; the driver's behaviour is fully deterministic without it. */
  readonly rng?: SeededRng;
}

/** Builds the driver over a VT-d hardware model. Options default to mainline v5.10. */
export function createIntelDriver(
  hw: DriverHardware,
  services: IntelDriverServices,
  options: Partial<IntelDriverOptions> = {},
): IntelDriver {
  const ctx = new DriverContext(hw, services, {
    ...DEFAULT_DRIVER_OPTIONS,
    unit: hw.unitId ?? DEFAULT_DRIVER_OPTIONS.unit,
    ...options,
  });
  const ops: VendorOps = {
    cacheInvalidate: (call, info) => cacheInvalidate(ctx, call, info),
    bindGpasid: (call, data) => bindGpasid(ctx, call, data),
    unbindGpasid: (call, pasid) => unbindGpasid(ctx, call, pasid),
    pageResponse: (call, pending, msg) => pageResponse(ctx, call, pending, msg),
  };
  return {
    ops,
    prq: ctx.prq,
    pageRequest: (device, req) => pageRequest(ctx, device, req),
    run: (spec, data) => spec.handler(ctx, data),
    command: (type, data) => {
      const spec = (DRIVER_COMMANDS as readonly AnyCommandSpec<DriverContext>[]).find((c) => c.type === type);
      return spec === undefined ? undefined : spec.handler(ctx, spec.decode(data));
    },
    digestState: () => digestDriverState(ctx),
    saveState: () => saveDriverState(ctx),
    loadState: (s) => loadDriverState(ctx, s),
    addDevice: (d) => {
      ctx.devices.set(d.sid, d);
    },
  };
}

/**
 * ENODEV: the unit has no page request support (ECAP.PRS) or does not know
 * the device; EINVAL: the device has PRI disabled or the request's fields do
 * not fit the descriptor. 0 once hardware took the request (queued or dropped
 * on overflow: either way the device gets its answer later).
 */
function pageRequest(ctx: DriverContext, device: DeviceConfig, req: PageRequestInput): ErrnoCode {
  if (!ctx.hw.caps.prs) return 'ENODEV';
  if (ctx.knownDevice(device) === undefined) return 'ENODEV';
  if (!device.pri) return 'EINVAL';
  const r = intakePageRequest(ctx.prq, device, req);
  if (r.kind === 'invalid') {
    ctx.noted('vtd.prq.request-rejected', { sid: device.sid, detail: r.detail });
    return 'EINVAL';
  }
  if (r.kind === 'overflow') {
    ctx.emit('vtd.prq.overflowed', {
      sid: device.sid,
      pasid: req.pasid,
      grpid: req.grpid,
      lpig: req.last,
      dropped: ctx.prq.overflows,
    });
    if (r.autoResponse !== null) {
      ctx.emit('vtd.driver.response.sent', {
        source: 'overflow',
        sid: device.sid,
        pasid: req.pasid,
        grpid: req.grpid,
        code: 0,
        lpig: req.last,
        descriptor: descriptorHex(r.autoResponse),
      });
    }
    return 0;
  }
  ctx.emit('vtd.prq.queued', { sid: device.sid, slot: r.slot, descriptor: descriptorHex(r.descriptor) });
  if (ctx.prqMode === 'immediate') runPrqThread(ctx);
  return 0;
}
