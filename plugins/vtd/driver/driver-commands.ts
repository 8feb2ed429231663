/**
 * Driver commands a scenario can issue: the IOASID allocator (the host
 * allocates a PASID before binding it) and control of the PRQ thread, so that
 * requests can pile up in the ring and overflow it. Declared in the catalog
 * over the driver's context; the unit's command list runs them on its driver.
 */
import { defineCommand } from '../../../core/command/catalog.js';
import { int } from '../../../core/command/field.js';
import { fail, ok } from '../../../core/uapi/errno.js';
import type { DriverContext } from './driver-context.js';
import { runPrqThread } from './prq-thread.js';
import { PASID_MAX, PASID_MIN } from './uapi-constants.js';

const count = int(0, Number.MAX_SAFE_INTEGER);

export const ioasidAlloc = defineCommand('vtd.ioasid.alloc', {
  doc: 'ioasid_alloc: the host allocates a PASID in [min, max] (ENOSPC when none is free).',
  fields: { min: count.def(PASID_MIN), max: count.def(PASID_MAX - 1) },
  handler: (ctx: DriverContext, d) => {
    const r = ctx.ioasids.alloc(d.min, d.max);
    if (!r.ok)
      return fail(
        r.errno,
        r.errno === 'ENOSPC' ? `no free PASID in [${d.min}, ${d.max}]` : `bad range [${d.min}, ${d.max}]`,
      );
    ctx.emit('vtd.driver.ioasid.allocated', { pasid: r.pasid, min: d.min, max: d.max });
    return ok(r.pasid);
  },
});

export const ioasidFree = defineCommand('vtd.ioasid.free', {
  doc: 'ioasid_free: frees an allocated PASID (v5.10 frees it even while bound, and notes it).',
  fields: { pasid: count },
  handler: (ctx: DriverContext, d) => {
    const pasid = d.pasid;
    const svm = ctx.ioasids.find(pasid);
    if (svm === 'ENOENT' || svm === 'EINVAL') return fail('ENOENT', `PASID ${pasid} is not allocated`);
    if (svm !== null) {
      // v5.10 frees it anyway; the svm stays orphaned and a later unbind gets ENOENT.
      ctx.noted('vtd.ioasid.freed-while-bound', { pasid, devices: svm.devices.map((x) => x.sid) });
    }
    ctx.ioasids.free(pasid);
    ctx.emit('vtd.driver.ioasid.freed', { pasid, bound: svm !== null });
    return ok(null);
  },
});

export const prqHold = defineCommand('vtd.prq.hold', {
  doc: 'Stops the PRQ thread: page requests stay in the ring (and can overflow it).',
  fields: {},
  handler: (ctx: DriverContext) => {
    ctx.prqMode = 'held';
    return ok({ queued: ctx.prq.count });
  },
});

export const prqDrain = defineCommand('vtd.prq.drain', {
  doc: 'Runs the PRQ thread once over the ring; answers the requests handled.',
  fields: {},
  handler: (ctx: DriverContext) => ok({ handled: runPrqThread(ctx) }),
});

export const prqRelease = defineCommand('vtd.prq.release', {
  doc: 'Restarts the PRQ thread (requests handled as they come) after draining the ring.',
  fields: {},
  handler: (ctx: DriverContext) => {
    ctx.prqMode = 'immediate';
    return ok({ handled: runPrqThread(ctx) });
  },
});

export const DRIVER_COMMANDS = [ioasidAlloc, ioasidFree, prqHold, prqDrain, prqRelease] as const;
