/**
 * The UAPI commands: a VMM calling the IOMMU core's entry points on behalf of
 * a device. The payload is either already in user memory (`uptr`) or given
 * as `hex`, which is placed at a scratch user address with only its first
 * `readable` bytes mapped (nothing after it), then unmapped again.
 */
import { defineCommand, fieldFault } from '../../command/catalog.js';
import { addr, bytes, device, errnoResult, int, u32 } from '../../command/field.js';
import type { JsonValue } from '../../plugin/contract.js';
import { toJson } from '../../uapi/codec.js';
import { fail, ok, type UapiResult } from '../../uapi/errno.js';
import {
  iommuSvaUnbindGpasid,
  iommuUapiCacheInvalidate,
  iommuUapiSvaBindGpasid,
  iommuUapiSvaUnbindGpasid,
  type UapiTarget,
} from '../../uapi/iommu-core.js';
import type { Simulator } from '../simulator.js';

/** Where `hex` payloads are placed in the simulated user address space. */
export const SCRATCH_UPTR = 0x7f00_0000_0000;

const callFields = {
  device: device().describe('the device the call is made for'),
  mm: u32().describe('the calling process (mm) id').def(1),
};

const payloadFields = {
  ...callFields,
  hex: bytes()
    .describe('the payload, placed at a scratch user address (a scenario may give `payload` instead)')
    .opt(),
  readable: int(0, 2 ** 32)
    .describe('bytes of `hex` mapped readable (default: all); nothing after them')
    .opt(),
  uptr: addr().describe('a user pointer to a payload already in user memory, instead of `hex`').opt(),
};

function payloadRule(d: { hex?: Uint8Array; uptr?: number; readable?: number }): void {
  if (d.hex === undefined && d.uptr === undefined)
    fieldFault(null, 'the payload is missing (give "payload", "hex" or "uptr")');
  if (d.hex !== undefined && d.uptr !== undefined)
    fieldFault('uptr', 'give either "hex" or "uptr", not both');
  if (d.readable !== undefined && (d.hex === undefined || d.readable > d.hex.length))
    fieldFault('readable', `expected at most the ${d.hex?.length ?? 0} bytes of "hex", got ${d.readable}`);
}

function target(sim: Simulator, d: { device: string; mm: number }): UapiTarget {
  const dev = sim.device(d.device);
  return { ops: dev.unit.ops, call: { device: dev.config, mm: d.mm } };
}

/** Runs `call` with the payload's user pointer, mapping a `hex` payload around it. */
function withPayload<T>(
  sim: Simulator,
  d: { hex?: Uint8Array | undefined; readable?: number | undefined; uptr?: number | undefined },
  call: (uptr: number) => UapiResult<T>,
): UapiResult<T> {
  if (d.hex === undefined) return call(d.uptr!);
  const readable = d.readable ?? d.hex.length;
  if (readable > 0) sim.user.map(SCRATCH_UPTR, d.hex.subarray(0, readable));
  try {
    return call(SCRATCH_UPTR);
  } finally {
    if (readable > 0) sim.user.unmap(SCRATCH_UPTR, readable);
  }
}

/** A UAPI entry point taking a user payload: the call, and its success value as JSON. */
function payloadCommand<const T extends string, V>(
  type: T,
  doc: string,
  result: string,
  entry: (sim: Simulator, uptr: number, t: UapiTarget) => UapiResult<V>,
  json: (v: V) => JsonValue,
) {
  return defineCommand(type, {
    doc,
    result,
    fields: payloadFields,
    refine: payloadRule,
    handler: (sim: Simulator, d) => {
      const t = target(sim, d);
      const r = withPayload(sim, d, (uptr) => entry(sim, uptr, t));
      return r.ok ? ok(json(r.value)) : r;
    },
  });
}

export const cacheInvalidate = payloadCommand(
  'uapi.cache.invalidate',
  'iommu_uapi_cache_invalidate with an iommu_cache_invalidate_info payload.',
  "`{ copied, info }`: bytes copied from user memory and the kernel's struct",
  (sim, uptr, t) => iommuUapiCacheInvalidate(sim.kernel, sim.user, uptr, t),
  (v) => ({ copied: v.copied, info: toJson('iommu_cache_invalidate_info', v.info) as JsonValue }),
);

export const bind = payloadCommand(
  'uapi.gpasid.bind',
  'iommu_uapi_sva_bind_gpasid with an iommu_gpasid_bind_data payload.',
  '`{ copied, data }`',
  (sim, uptr, t) => iommuUapiSvaBindGpasid(sim.kernel, sim.user, uptr, t),
  (v) => ({ copied: v.copied, data: toJson('iommu_gpasid_bind_data', v.data) as JsonValue }),
);

export const unbind = payloadCommand(
  'uapi.gpasid.unbind',
  'iommu_uapi_sva_unbind_gpasid with an iommu_gpasid_bind_data payload.',
  '`{ copied, pasid }`',
  (sim, uptr, t) => iommuUapiSvaUnbindGpasid(sim.kernel, sim.user, uptr, t),
  (v) => ({ copied: v.copied, pasid: v.pasid }),
);

export const unbindPasid = defineCommand('uapi.gpasid.unbind-pasid', {
  doc: 'iommu_sva_unbind_gpasid: the in-kernel unbind of one PASID (no payload).',
  result: '`{ pasid }`: the kernel-trusted entry, no copy',
  fields: { ...callFields, pasid: u32() },
  handler: (sim: Simulator, d) => {
    const r = iommuSvaUnbindGpasid(sim.kernel, d.pasid, target(sim, d));
    return r.ok ? ok({ pasid: r.value.pasid }) : r;
  },
});

export const userMap = defineCommand('uapi.user.map', {
  doc: "Maps bytes into the VMM's user address space (where UAPI payloads live).",
  fields: { addr: addr().describe('user address'), hex: bytes().describe('the bytes') },
  handler: (sim: Simulator, d) => {
    sim.user.map(d.addr, d.hex);
    return ok(null);
  },
});

export const userUnmap = defineCommand('uapi.user.unmap', {
  doc: "Unmaps a range of the VMM's user address space.",
  fields: { addr: addr().describe('user address'), len: int(1, 2 ** 32).describe('bytes') },
  handler: (sim: Simulator, d) => {
    sim.user.unmap(d.addr, d.len);
    return ok(null);
  },
});

export const faultRegister = defineCommand('uapi.fault.register', {
  doc: "iommu_register_device_fault_handler: the device's faults and page requests reach a handler.",
  fields: {
    device: device(),
    result: errnoResult().describe("the handler's return value for every fault").def(0),
  },
  handler: (sim: Simulator, d) => {
    const dev = sim.device(d.device);
    const r = sim.faults.register(dev.config.name, d.result);
    return r === 0 ? ok(null) : fail(r, `iommu_register_device_fault_handler(${dev.config.name})`);
  },
});

export const faultUnregister = defineCommand('uapi.fault.unregister', {
  doc: 'iommu_unregister_device_fault_handler.',
  fields: { device: device() },
  handler: (sim: Simulator, d) => {
    const dev = sim.device(d.device);
    const r = sim.faults.unregister(dev.config.name);
    return r === 0 ? ok(null) : fail(r, `iommu_unregister_device_fault_handler(${dev.config.name})`);
  },
});

export const pageRespond = defineCommand('uapi.page.respond', {
  doc: 'iommu_page_response: answers a pending page request group.',
  result: '`{ grpid, pasid, flags }` (a kernel struct: argsz is never examined)',
  fields: {
    ...callFields,
    argsz: u32().def(24),
    version: u32().def(1),
    flags: u32().def(0),
    pasid: u32().def(0),
    grpid: u32().describe('the page request group to answer'),
    code: u32().describe('IOMMU_PAGE_RESP_SUCCESS (0), INVALID (1) or FAILURE (2)').def(0),
  },
  handler: (sim: Simulator, d) => {
    const t = target(sim, d);
    const msg = {
      argsz: d.argsz,
      version: d.version,
      flags: d.flags,
      pasid: d.pasid,
      grpid: d.grpid,
      code: d.code,
    };
    const r = sim.faults.pageResponse(t.call.device.name, msg, t);
    return r.ok
      ? ok({ grpid: r.value.matched.prm.grpid, pasid: r.value.msg.pasid, flags: r.value.msg.flags })
      : r;
  },
});
