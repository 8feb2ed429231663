/** The driver's state as JSON with a stable key order, for the unit's snapshot. */
import type { JsonValue } from '../../../core/plugin/contract.js';
import type { DriverContext } from './driver-context.js';

export function snapshotDriver(ctx: DriverContext): JsonValue {
  const pasids = ctx.ioasids.allocated().map((pasid) => {
    const svm = ctx.ioasids.find(pasid);
    return {
      pasid,
      svm:
        svm === null || typeof svm === 'string'
          ? null
          : {
              gpasid: svm.gpasid,
              mm: svm.mm,
              guestMode: svm.guestMode,
              devices: svm.devices.map((d) => ({ sid: d.sid, users: d.users })),
            },
    };
  });
  return {
    devices: [...ctx.devices.keys()].sort((a, b) => a - b),
    ioasids: pasids,
    prq: { ...ctx.prq.snapshot(), thread: ctx.prqMode },
  };
}
