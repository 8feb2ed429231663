import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeEventEntry, encodeEventEntry } from './event-entry.js';

describe('event-log entry (B.6)', () => {
  it('round-trips and puts the code in dword1 31:28, flags in 27:16', () => {
    const e = fc.record({
      code: fc.integer({ min: 0, max: 15 }),
      deviceId: fc.integer({ min: 0, max: 0xffff }),
      tag: fc.integer({ min: 0, max: 0xffff }),
      pasidHi: fc.integer({ min: 0, max: 15 }),
      flags: fc.integer({ min: 0, max: 0xfff }),
      address: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
    });
    fc.assert(
      fc.property(e, (x) => {
        expect(decodeEventEntry(...encodeEventEntry(x))).toEqual(x);
      }),
    );
    const w = encodeEventEntry({
      code: 2,
      deviceId: 0x1234,
      tag: 7,
      pasidHi: 0,
      flags: 0x20,
      address: 0xdead_b000n,
    });
    expect(w).toEqual([0x1234, (0x2 << 28) | (0x20 << 16) | 7, 0xdead_b000, 0]);
  });
});
