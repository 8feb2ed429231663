/**
 * The driver's state: as JSON with a stable key order for the unit's digest (digestDriverState), and
 * whole for saved snapshots (saveDriverState / loadDriverState).
 */
import type { JsonValue } from '../../../core/plugin/contract.js';
import type { DriverContext } from './driver-context.js';
import type { Svm } from './svm-state.js';

/** An Svm with each bound device named by its source id (the devices come from the configuration). */
interface SavedSvm {
  readonly pasid: number;
  readonly gpasid: number | null;
  readonly mm: number;
  readonly guestMode: boolean;
  readonly devices: readonly { readonly sid: number; readonly users: number }[];
}

export interface DriverState {
  readonly ioasids: readonly (readonly [number, SavedSvm | null])[];
  readonly prq: ReturnType<DriverContext['prq']['saveState']>;
  readonly prqMode: DriverContext['prqMode'];
}

export function saveDriverState(ctx: DriverContext): DriverState {
  return {
    ioasids: ctx.ioasids.saveState(
      (svm): SavedSvm => ({
        pasid: svm.pasid,
        gpasid: svm.gpasid,
        mm: svm.mm,
        guestMode: svm.guestMode,
        devices: svm.devices.map((d) => ({ sid: d.sid, users: d.users })),
      }),
    ),
    prq: ctx.prq.saveState(),
    prqMode: ctx.prqMode,
  };
}

export function loadDriverState(ctx: DriverContext, s: DriverState): void {
  ctx.ioasids.loadState(
    s.ioasids,
    (saved): Svm => ({
      pasid: saved.pasid,
      gpasid: saved.gpasid,
      mm: saved.mm,
      guestMode: saved.guestMode,
      devices: saved.devices.map((d) => {
        const device = ctx.devices.get(d.sid);
        if (device === undefined)
          throw new RangeError(`snapshot: PASID ${saved.pasid} names unknown sid ${d.sid}`);
        return { device, sid: d.sid, users: d.users };
      }),
    }),
  );
  ctx.prq.loadState(s.prq);
  ctx.prqMode = s.prqMode;
}

export function digestDriverState(ctx: DriverContext): JsonValue {
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
    prq: { ...ctx.prq.digestState(), thread: ctx.prqMode },
  };
}
