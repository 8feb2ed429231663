/** device.page.request: a device behind a unit issues a PRI page request. */
import { ok } from '../../uapi/errno.js';
import { boolField, intField, u64Field } from './fields.js';
import type { CommandHandler } from './index.js';

export const pageRequest: CommandHandler = (sim, data) => {
  const dev = sim.device(data.device);
  const pasid = data.pasid === undefined || data.pasid === null ? null : intField(data, 'pasid', 0, 0xfffff);
  const pd = data.privateData;
  let privateData: [bigint, bigint] | null = null;
  if (pd !== undefined && pd !== null) {
    if (!Array.isArray(pd) || pd.length !== 2) {
      return {
        ok: false,
        errno: 'EINVAL',
        detail: 'privateData: expected two 64-bit values ["0x..", "0x.."]',
      };
    }
    privateData = [u64Field({ w: pd[0] }, 'w'), u64Field({ w: pd[1] }, 'w')];
  }
  const r = dev.unit.pageRequest(dev.config, {
    pasid,
    addr: u64Field(data, 'addr') & ~0xfffn,
    read: boolField(data, 'read', false),
    write: boolField(data, 'write', false),
    exec: boolField(data, 'exec', false),
    priv: boolField(data, 'priv', false),
    grpid: intField(data, 'grpid', 0, 0x1ff),
    last: boolField(data, 'last', false),
    privateData,
  });
  return r === 0 ? ok(null) : { ok: false, errno: r, detail: `unit ${dev.unit.id} refused the page request` };
};
