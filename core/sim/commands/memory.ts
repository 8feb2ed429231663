/** Commands that edit simulated physical memory (guest page-table edits) and time. */
import { defineCommand } from '../../command/catalog.js';
import { addr, bytes, int, u64 } from '../../command/field.js';
import { ok } from '../../uapi/errno.js';
import type { Simulator } from '../simulator.js';

export const memoryWrite = defineCommand('core.memory.write', {
  doc: 'Writes raw bytes at a physical address (EFAULT outside memory).',
  fields: { addr: addr().describe('physical address'), hex: bytes().describe('the bytes') },
  handler: (sim: Simulator, d) => {
    if (!sim.memory.isBacked(d.addr, d.hex.length)) {
      return {
        ok: false,
        errno: 'EFAULT',
        detail: `addr: [0x${d.addr.toString(16)}, +${d.hex.length}) is outside memory`,
      };
    }
    sim.memory.writeBytes(d.addr, d.hex);
    return ok(null);
  },
});

export const memoryWrite64 = defineCommand('core.memory.write64', {
  doc: 'Writes one aligned 64-bit word, e.g. a page-table entry (EFAULT unaligned or outside memory).',
  fields: { addr: addr().describe('physical address, 8-byte aligned'), value: u64() },
  handler: (sim: Simulator, d) => {
    if (d.addr % 8 !== 0 || !sim.memory.isBacked(d.addr, 8)) {
      return {
        ok: false,
        errno: 'EFAULT',
        detail: `addr: 0x${d.addr.toString(16)} is unaligned or outside memory`,
      };
    }
    sim.memory.write64(d.addr, d.value);
    return ok(null);
  },
});

export const clockAdvance = defineCommand('core.clock.advance', {
  doc: 'Moves the virtual clock forward; answers the new time.',
  result:
    'the virtual time after the advance, in ns: more than the sum of the `ns` given, since every command takes 10 ns and every translation 5 ns plus 80 per memory read',
  fields: { ns: int(0, Number.MAX_SAFE_INTEGER).describe('nanoseconds') },
  handler: (sim: Simulator, d) => {
    sim.clock.advance(d.ns);
    return ok(sim.clock.now());
  },
});
