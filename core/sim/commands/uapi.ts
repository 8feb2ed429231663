/**
 * The UAPI commands: a VMM calling the IOMMU core's entry points on behalf of
 * a device. The payload is either already in user memory (`uptr`) or given
 * as `hex`, which is placed at a scratch user address with only its first
 * `readable` bytes mapped (nothing after it), then unmapped again.
 */
import type { JsonObject, JsonValue } from '../../plugin/contract.js';
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
import { bytesField, errnoResultField, intField, safeField } from './fields.js';
import type { CommandHandler } from './index.js';

/** Where `hex` payloads are placed in the simulated user address space. */
export const SCRATCH_UPTR = 0x7f00_0000_0000;

function target(sim: Simulator, data: JsonObject): UapiTarget {
  const dev = sim.device(data.device);
  return { ops: dev.unit.ops, call: { device: dev.config, mm: intField(data, 'mm', 0, 0xffff_ffff, 1) } };
}

/** Runs `call` with the payload's user pointer, mapping a `hex` payload around it. */
function withPayload<T>(
  sim: Simulator,
  data: JsonObject,
  call: (uptr: number) => UapiResult<T>,
): UapiResult<T> {
  if (data.hex === undefined) return call(safeField(data, 'uptr'));
  const bytes = bytesField(data, 'hex');
  const readable = intField(data, 'readable', 0, bytes.length, bytes.length);
  if (readable > 0) sim.user.map(SCRATCH_UPTR, bytes.subarray(0, readable));
  try {
    return call(SCRATCH_UPTR);
  } finally {
    if (readable > 0) sim.user.unmap(SCRATCH_UPTR, readable);
  }
}

const cacheInvalidate: CommandHandler = (sim, data) => {
  const t = target(sim, data);
  const r = withPayload(sim, data, (uptr) => iommuUapiCacheInvalidate(sim.kernel, sim.user, uptr, t));
  return r.ok
    ? ok({ copied: r.value.copied, info: toJson('iommu_cache_invalidate_info', r.value.info) as JsonValue })
    : r;
};

const bind: CommandHandler = (sim, data) => {
  const t = target(sim, data);
  const r = withPayload(sim, data, (uptr) => iommuUapiSvaBindGpasid(sim.kernel, sim.user, uptr, t));
  return r.ok
    ? ok({ copied: r.value.copied, data: toJson('iommu_gpasid_bind_data', r.value.data) as JsonValue })
    : r;
};

const unbind: CommandHandler = (sim, data) => {
  const t = target(sim, data);
  const r = withPayload(sim, data, (uptr) => iommuUapiSvaUnbindGpasid(sim.kernel, sim.user, uptr, t));
  return r.ok ? ok({ copied: r.value.copied, pasid: r.value.pasid }) : r;
};

const unbindPasid: CommandHandler = (sim, data) => {
  const t = target(sim, data);
  const r = iommuSvaUnbindGpasid(sim.kernel, intField(data, 'pasid', 0, 0xffff_ffff), t);
  return r.ok ? ok({ pasid: r.value.pasid }) : r;
};

const userMap: CommandHandler = (sim, data) => {
  sim.user.map(safeField(data, 'addr'), bytesField(data, 'hex'));
  return ok(null);
};

const userUnmap: CommandHandler = (sim, data) => {
  sim.user.unmap(safeField(data, 'addr'), intField(data, 'len', 1, 2 ** 32));
  return ok(null);
};

const faultRegister: CommandHandler = (sim, data) => {
  const dev = sim.device(data.device);
  const result = errnoResultField(data, 'result');
  const r = sim.faults.register(dev.config.name, result);
  return r === 0 ? ok(null) : fail(r, `iommu_register_device_fault_handler(${dev.config.name})`);
};

const faultUnregister: CommandHandler = (sim, data) => {
  const dev = sim.device(data.device);
  const r = sim.faults.unregister(dev.config.name);
  return r === 0 ? ok(null) : fail(r, `iommu_unregister_device_fault_handler(${dev.config.name})`);
};

const pageRespond: CommandHandler = (sim, data) => {
  const t = target(sim, data);
  const msg = {
    argsz: intField(data, 'argsz', 0, 0xffff_ffff, 24),
    version: intField(data, 'version', 0, 0xffff_ffff, 1),
    flags: intField(data, 'flags', 0, 0xffff_ffff, 0),
    pasid: intField(data, 'pasid', 0, 0xffff_ffff, 0),
    grpid: intField(data, 'grpid', 0, 0xffff_ffff),
    code: intField(data, 'code', 0, 0xffff_ffff, 0),
  };
  const r = sim.faults.pageResponse(t.call.device.name, msg, t);
  return r.ok
    ? ok({ grpid: r.value.matched.prm.grpid, pasid: r.value.msg.pasid, flags: r.value.msg.flags })
    : r;
};

export const UAPI_COMMANDS: readonly (readonly [string, CommandHandler])[] = [
  ['uapi.cache.invalidate', cacheInvalidate],
  ['uapi.gpasid.bind', bind],
  ['uapi.gpasid.unbind', unbind],
  ['uapi.gpasid.unbind-pasid', unbindPasid],
  ['uapi.user.map', userMap],
  ['uapi.user.unmap', userUnmap],
  ['uapi.fault.register', faultRegister],
  ['uapi.fault.unregister', faultUnregister],
  ['uapi.page.respond', pageRespond],
];
