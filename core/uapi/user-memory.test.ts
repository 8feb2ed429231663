import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UserMemory } from './user-memory.js';

describe('UserMemory', () => {
  it('copies mapped bytes, including across adjacent ranges', () => {
    const m = new UserMemory();
    m.map(0x1000, Uint8Array.of(1, 2, 3, 4));
    m.map(0x1004, Uint8Array.of(5, 6));
    expect(m.copyFromUser(0x1002, 4)).toEqual(Uint8Array.of(3, 4, 5, 6));
    expect(m.copyFromUser(0x1000, 6)).toEqual(Uint8Array.of(1, 2, 3, 4, 5, 6));
  });

  it('faults when any byte is unmapped: past the end, before the start, or a hole', () => {
    const m = new UserMemory();
    m.map(0x1000, new Uint8Array(16));
    m.map(0x1014, new Uint8Array(4));
    expect(m.copyFromUser(0x1000, 17)).toBe('EFAULT');
    expect(m.copyFromUser(0xfff, 2)).toBe('EFAULT');
    expect(m.copyFromUser(0x100c, 10)).toBe('EFAULT'); // 0x1010..0x1013 is a hole
    expect(m.copyFromUser(0x1000, 16)).toHaveLength(16);
  });

  it('a zero-length copy always succeeds, even at an unmapped address', () => {
    const m = new UserMemory();
    expect(m.copyFromUser(0xdead, 0)).toEqual(new Uint8Array(0));
    expect(m.copyToUser(0xdead, new Uint8Array(0))).toBe(0);
  });

  it('rejects addresses that are negative, fractional or overflow 2^53 with EFAULT', () => {
    const m = new UserMemory();
    m.map(0, new Uint8Array(8));
    expect(m.copyFromUser(-1, 2)).toBe('EFAULT');
    expect(m.copyFromUser(0.5, 2)).toBe('EFAULT');
    expect(m.copyFromUser(Number.MAX_SAFE_INTEGER, 2)).toBe('EFAULT');
  });

  it('unmap splits a range; copyToUser is all-or-nothing', () => {
    const m = new UserMemory();
    m.map(0x2000, Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8));
    m.unmap(0x2002, 2);
    expect(m.ranges()).toEqual([
      [0x2000, 2],
      [0x2004, 4],
    ]);
    expect(m.copyToUser(0x2000, Uint8Array.of(9, 9, 9))).toBe('EFAULT');
    expect(m.copyFromUser(0x2000, 2)).toEqual(Uint8Array.of(1, 2)); // untouched
    expect(m.copyToUser(0x2004, Uint8Array.of(9, 9))).toBe(0);
    expect(m.copyFromUser(0x2004, 4)).toEqual(Uint8Array.of(9, 9, 7, 8));
  });

  it('map copies its input and replaces what was there', () => {
    const m = new UserMemory();
    const src = Uint8Array.of(1, 1, 1, 1);
    m.map(0x10, src);
    src[0] = 7;
    m.map(0x12, Uint8Array.of(2, 2, 2));
    expect(m.copyFromUser(0x10, 5)).toEqual(Uint8Array.of(1, 1, 2, 2, 2));
  });

  it('property: a copy succeeds exactly when the range lies within the mapped bytes', () => {
    fc.assert(
      fc.property(fc.nat(64), fc.nat(64), fc.nat(200), fc.nat(80), (start, len, uptr, n) => {
        const m = new UserMemory();
        m.map(
          start,
          new Uint8Array(len).map((_, i) => i),
        );
        const r = m.copyFromUser(uptr, n);
        const inside = n === 0 || (uptr >= start && uptr + n <= start + len);
        expect(r === 'EFAULT').toBe(!inside);
        if (r !== 'EFAULT' && n > 0) expect(r[0]).toBe(uptr - start);
      }),
    );
  });
});
