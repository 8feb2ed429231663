/**
 * How a VT-d unit command is declared: its fields go to the catalog, its
 * handler runs on the unit's hardware model and answers a JSON value. A value
 * that only the unit's state can refuse (no such domain, an unaligned page)
 * throws a RangeError, answered as EINVAL naming the field, as before the catalog.
 */
import { defineCommand } from '../../../core/command/catalog.js';
import type { Decoded, FieldMap } from '../../../core/command/field.js';
import type { JsonValue } from '../../../core/plugin/contract.js';
import type { UnitIdentity } from '../../../core/plugin/tokens.js';
import { fail, ok } from '../../../core/uapi/errno.js';
import type { VtdHardware } from '../hardware.js';
import type { VtdUnit } from '../unit.js';

export function vtdCommand<const F extends FieldMap, const T extends string>(
  type: T,
  doc: string,
  fields: F,
  handler: (hw: VtdHardware, identity: UnitIdentity, data: Decoded<F>) => JsonValue,
  refine?: (data: Decoded<F>) => void,
) {
  return defineCommand(type, {
    doc,
    fields,
    ...(refine ? { refine } : {}),
    handler: (u: VtdUnit, d: Decoded<F>) => {
      try {
        return ok(handler(u.hw, u.identity, d));
      } catch (e) {
        if (e instanceof RangeError || e instanceof TypeError) return fail('EINVAL', `${type}: ${e.message}`);
        throw e;
      }
    },
  });
}

/** The requester id from `sid` or from the `device` name (one of them is given: the catalog checks). */
export function sidOf(
  d: { device?: string | undefined; sid?: number | undefined },
  identity: UnitIdentity,
): number {
  if (d.device !== undefined) {
    for (const dev of identity.devices.values()) if (dev.name === d.device) return dev.sid;
    throw new RangeError(
      `device: expected a device behind unit ${identity.id}, got ${JSON.stringify(d.device)}`,
    );
  }
  return d.sid!;
}
