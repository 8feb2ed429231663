/**
 * Driver commands a scenario can issue: the IOASID allocator (the host
 * allocates a PASID before binding it) and control of the PRQ thread, so that
 * requests can pile up in the ring and overflow it.
 */
import type { JsonObject, JsonValue } from '../../../core/plugin/contract.js';
import { fail, ok, type UapiResult } from '../../../core/uapi/errno.js';
import type { DriverContext } from './driver-context.js';
import { runPrqThread } from './prq-thread.js';
import { PASID_MAX, PASID_MIN } from './uapi-constants.js';

export const DRIVER_COMMANDS = [
  'vtd.ioasid.alloc',
  'vtd.ioasid.free',
  'vtd.prq.hold',
  'vtd.prq.drain',
  'vtd.prq.release',
];

/** Runs a driver command, or returns undefined when the type is not a driver command. */
export function driverCommand(
  ctx: DriverContext,
  type: string,
  data: JsonObject,
): UapiResult<JsonValue> | undefined {
  switch (type) {
    case 'vtd.ioasid.alloc': {
      const min = intField(data, 'min', PASID_MIN);
      const max = intField(data, 'max', PASID_MAX - 1);
      if (typeof min === 'string') return fail('EINVAL', min);
      if (typeof max === 'string') return fail('EINVAL', max);
      const r = ctx.ioasids.alloc(min, max);
      if (!r.ok)
        return fail(
          r.errno,
          r.errno === 'ENOSPC' ? `no free PASID in [${min}, ${max}]` : `bad range [${min}, ${max}]`,
        );
      ctx.emit('vtd.driver.ioasid.allocated', { pasid: r.pasid, min, max });
      return ok(r.pasid);
    }
    case 'vtd.ioasid.free': {
      const pasid = intField(data, 'pasid', undefined);
      if (typeof pasid === 'string') return fail('EINVAL', pasid);
      const svm = ctx.ioasids.find(pasid);
      if (svm === 'ENOENT' || svm === 'EINVAL') return fail('ENOENT', `PASID ${pasid} is not allocated`);
      if (svm !== null) {
        // v5.10 frees it anyway; the svm stays orphaned and a later unbind gets ENOENT.
        ctx.noted('vtd.ioasid.freed-while-bound', { pasid, devices: svm.devices.map((d) => d.sid) });
      }
      ctx.ioasids.free(pasid);
      ctx.emit('vtd.driver.ioasid.freed', { pasid, bound: svm !== null });
      return ok(null);
    }
    case 'vtd.prq.hold':
      ctx.prqMode = 'held';
      return ok({ queued: ctx.prq.count });
    case 'vtd.prq.drain':
      return ok({ handled: runPrqThread(ctx) });
    case 'vtd.prq.release':
      ctx.prqMode = 'immediate';
      return ok({ handled: runPrqThread(ctx) });
    default:
      return undefined;
  }
}

/** An integer field (default when absent and a default is given), or an error string naming it. */
function intField(data: JsonObject, name: string, dflt: number | undefined): number | string {
  const v = data[name];
  if (v === undefined && dflt !== undefined) return dflt;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    return `${name}: expected a non-negative integer, got ${JSON.stringify(v ?? null)}`;
  }
  return v;
}
