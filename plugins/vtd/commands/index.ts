/**
 * Every command a VT-d unit accepts: its own (set-up and registers), run on
 * the hardware model, and the driver's (vtd.ioasid.*, vtd.prq.*), run on its
 * driver. The plugin object hands this list to the catalog.
 */
import {
  type CommandSpec,
  type CommandsOf,
  type DataOf,
  defineCommand,
} from '../../../core/command/catalog.js';
import {
  type DRIVER_COMMANDS,
  ioasidAlloc,
  ioasidFree,
  prqDrain,
  prqHold,
  prqRelease,
} from '../driver/driver-commands.js';
import type { VtdUnit } from '../unit.js';
import { REGISTER_COMMANDS } from './register-commands.js';
import { SETUP_COMMANDS } from './setup-commands.js';

/** A driver command as a unit command: same type, fields and doc, run on the unit's driver. */
function onDriver<S extends (typeof DRIVER_COMMANDS)[number]>(
  spec: S,
): CommandSpec<VtdUnit, DataOf<S>, S['type']> {
  return defineCommand(spec.type, {
    doc: spec.doc,
    fields: spec.fields,
    handler: (u: VtdUnit, d) => u.driver.run(spec, d),
  }) as unknown as CommandSpec<VtdUnit, DataOf<S>, S['type']>;
}

export const VTD_COMMANDS = [
  ...SETUP_COMMANDS,
  ...REGISTER_COMMANDS,
  onDriver(ioasidAlloc),
  onDriver(ioasidFree),
  onDriver(prqHold),
  onDriver(prqDrain),
  onDriver(prqRelease),
] as const;

declare module '../../../core/command/catalog.js' {
  interface CommandMap extends CommandsOf<typeof VTD_COMMANDS> {}
}
