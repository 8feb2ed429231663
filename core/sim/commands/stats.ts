/** core.stats.sample { unit? }: records every (or one) unit's counters as an event. */
import { defineCommand } from '../../command/catalog.js';
import { str } from '../../command/field.js';
import type { JsonValue } from '../../plugin/contract.js';
import { ok } from '../../uapi/errno.js';
import type { Simulator } from '../simulator.js';

export const statsSample = defineCommand('core.stats.sample', {
  doc: "Records every unit's counters (or one unit's) as core.stats.sampled events.",
  result: '`null`; a `core.stats.sampled` event per unit sampled',
  fields: { unit: str().describe('only this unit').opt() },
  handler: (sim: Simulator, d) => {
    for (const unit of sim.units.values()) {
      if (d.unit !== undefined && d.unit !== unit.id) continue;
      sim.emit('core.stats.sampled', { unit: unit.id, stats: unit.stats() as unknown as JsonValue });
    }
    return ok(null);
  },
});
