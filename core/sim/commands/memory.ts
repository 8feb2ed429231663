/** Commands that edit simulated physical memory (guest page-table edits) and time. */
import type { JsonValue } from '../../plugin/contract.js';
import { ok, type UapiResult } from '../../uapi/errno.js';
import { bytesField, intField, safeField, u64Field } from './fields.js';
import type { CommandHandler } from './index.js';

/** core.memory.write { addr, hex }: raw bytes at a physical address. */
export const memoryWrite: CommandHandler = (sim, data): UapiResult<JsonValue> => {
  const addr = safeField(data, 'addr');
  const bytes = bytesField(data, 'hex');
  if (!sim.memory.isBacked(addr, bytes.length)) {
    return {
      ok: false,
      errno: 'EFAULT',
      detail: `addr: [0x${addr.toString(16)}, +${bytes.length}) is outside memory`,
    };
  }
  sim.memory.writeBytes(addr, bytes);
  return ok(null);
};

/** core.memory.write64 { addr, value }: one aligned 64-bit word, e.g. a page-table entry. */
export const memoryWrite64: CommandHandler = (sim, data) => {
  const addr = safeField(data, 'addr');
  const value = u64Field(data, 'value');
  if (addr % 8 !== 0 || !sim.memory.isBacked(addr, 8)) {
    return {
      ok: false,
      errno: 'EFAULT',
      detail: `addr: 0x${addr.toString(16)} is unaligned or outside memory`,
    };
  }
  sim.memory.write64(addr, value);
  return ok(null);
};

/** core.clock.advance { ns }. */
export const clockAdvance: CommandHandler = (sim, data) => {
  sim.clock.advance(intField(data, 'ns', 0, Number.MAX_SAFE_INTEGER));
  return ok(sim.clock.now());
};
