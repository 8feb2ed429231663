/** device.page.request: a device behind a unit issues a PRI page request. */
import { defineCommand } from '../../command/catalog.js';
import { bool, device, int, list, pasid, u64 } from '../../command/field.js';
import { ok } from '../../uapi/errno.js';
import type { Simulator } from '../simulator.js';

export const pageRequest = defineCommand('device.page.request', {
  doc: 'A device issues a PRI page request (the unit hands it to the fault path, or answers an errno).',
  result: "`null`, or the unit's errno",
  fields: {
    device: device().describe('the requesting device'),
    pasid: pasid().describe('the PASID, absent for a request without one').opt(),
    addr: u64().describe('the page address (bits 11:0 are dropped)'),
    read: bool().def(false),
    write: bool().def(false),
    exec: bool().def(false),
    priv: bool().describe('privileged (supervisor) request').def(false),
    grpid: int(0, 0x1ff).describe('page request group index'),
    last: bool().describe('last request in the group (LPIG)').def(false),
    privateData: list(u64(), { sizes: [2] })
      .describe('two 64-bit private data words echoed in the response')
      .opt(),
  },
  handler: (sim: Simulator, d) => {
    const dev = sim.device(d.device);
    const r = dev.unit.pageRequest(dev.config, {
      pasid: d.pasid ?? null,
      addr: d.addr & ~0xfffn,
      read: d.read,
      write: d.write,
      exec: d.exec,
      priv: d.priv,
      grpid: d.grpid,
      last: d.last,
      privateData: d.privateData ? [d.privateData[0]!, d.privateData[1]!] : null,
    });
    return r === 0
      ? ok(null)
      : { ok: false, errno: r, detail: `unit ${dev.unit.id} refused the page request` };
  },
});
