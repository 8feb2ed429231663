/** core.stats.sample { unit? }: records every (or one) unit's counters as an event. */
import type { JsonValue } from '../../plugin/contract.js';
import { ok } from '../../uapi/errno.js';
import type { CommandHandler } from './index.js';

export const statsSample: CommandHandler = (sim, data) => {
  for (const unit of sim.units.values()) {
    if (typeof data.unit === 'string' && data.unit !== unit.id) continue;
    sim.emit('core.stats.sampled', { unit: unit.id, stats: unit.stats() as unknown as JsonValue });
  }
  return ok(null);
};
