/**
 * Every command a VT-d unit accepts: its own (set-up and registers), run on
 * the hardware model, and the driver's (vtd.ioasid.*, vtd.prq.*), run on its
 * driver. The plugin object hands this list to the catalog.
 */
import { type AnyCommandSpec, type DataOf, defineCommand } from '../../../core/command/catalog.js';
import {
  DRIVER_COMMANDS,
  type ioasidAlloc,
  type ioasidFree,
  type prqDrain,
  type prqHold,
  type prqRelease,
} from '../driver/driver-commands.js';
import type { VtdUnit } from '../unit.js';
import {
  type faultClear,
  type faultMask,
  type qiSubmit,
  REGISTER_COMMANDS,
  type regsRead,
} from './register-commands.js';
import {
  type contextSet,
  type deviceAttach,
  type domainCreate,
  type pasidSet,
  type ptMap,
  type ptUnmap,
  type rootSet,
  SETUP_COMMANDS,
  type translationEnable,
} from './setup-commands.js';

/** A driver command as a unit command: same fields and doc, run on the unit's driver. */
function onDriver(spec: (typeof DRIVER_COMMANDS)[number]): AnyCommandSpec<VtdUnit> {
  return defineCommand(spec.type, {
    doc: spec.doc,
    fields: spec.fields,
    handler: (u: VtdUnit, d) => u.driver.run(spec, d),
  });
}

export const VTD_COMMANDS: readonly AnyCommandSpec<VtdUnit>[] = [
  ...SETUP_COMMANDS,
  ...REGISTER_COMMANDS,
  ...DRIVER_COMMANDS.map(onDriver),
];

declare module '../../../core/command/catalog.js' {
  interface CommandMap {
    'vtd.root.set': DataOf<typeof rootSet>;
    'vtd.translation.enable': DataOf<typeof translationEnable>;
    'vtd.context.set': DataOf<typeof contextSet>;
    'vtd.pasid.set': DataOf<typeof pasidSet>;
    'vtd.domain.create': DataOf<typeof domainCreate>;
    'vtd.device.attach': DataOf<typeof deviceAttach>;
    'vtd.pt.map': DataOf<typeof ptMap>;
    'vtd.pt.unmap': DataOf<typeof ptUnmap>;
    'vtd.qi.submit': DataOf<typeof qiSubmit>;
    'vtd.fault.clear': DataOf<typeof faultClear>;
    'vtd.fault.mask': DataOf<typeof faultMask>;
    'vtd.regs.read': DataOf<typeof regsRead>;
    'vtd.ioasid.alloc': DataOf<typeof ioasidAlloc>;
    'vtd.ioasid.free': DataOf<typeof ioasidFree>;
    'vtd.prq.hold': DataOf<typeof prqHold>;
    'vtd.prq.drain': DataOf<typeof prqDrain>;
    'vtd.prq.release': DataOf<typeof prqRelease>;
  }
}
