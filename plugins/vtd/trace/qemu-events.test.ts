import { describe, expect, it } from 'vitest';
import { bdfField, bdfName, hexField, hexWord, type LineParts, splitLine } from './qemu-events.js';

describe('reading QEMU trace fields in place', () => {
  const T =
    '26245@1795537115.559941:vtd_dmar_translate dev 01:00.00 iova 0xffffd000 -> gpa 0x19dcb000 mask 0xfff';
  const parts: LineParts = { nameStart: 0, nameEnd: 0, argsStart: 0, timeAt: -1 };

  it('splits the log prefix, the event name and its arguments', () => {
    expect(splitLine(T, parts)).toBe(true);
    expect(T.slice(parts.nameStart, parts.nameEnd)).toBe('vtd_dmar_translate');
    expect(T.slice(parts.argsStart, parts.argsStart + 3)).toBe('dev');
    expect(splitLine('qemu-system-x86_64: warning: something', parts)).toBe(false);
    expect(splitLine('vtd_inv_qi_fetch ', parts)).toBe(true); // no -msg timestamp=on
  });

  it('reads hex fields, keeping the low 52 bits of longer values', () => {
    splitLine(T, parts);
    expect(hexField(T, 'gpa', parts.argsStart)).toBe(0x19dcb000);
    expect(hexField(T, 'mask', parts.argsStart)).toBe(0xfff);
    expect(hexField(T, 'sid', parts.argsStart)).toBeNaN();
    expect(hexField(' pte 0xc000000012345003', 'pte', 1)).toBe(0x12345003);
    expect(hexField(' iova 0xzz', 'iova', 1)).toBeNaN();
    expect(hexField(' iova 0x', 'iova', 1)).toBeNaN();
  });

  it('reads a 64-bit descriptor word whole, and nothing that is not one', () => {
    const D = 'vtd_inv_desc invalidate desc type iotlb high 0xffffffff12345000 low 0x10012';
    expect(hexWord(D, 'high', 13)).toBe(0xffffffff12345000n);
    expect(hexWord(D, 'low', 13)).toBe(0x10012n);
    expect(hexWord(D, 'type', 13)).toBeNull(); // not hex
    expect(hexWord(' high 0x1ffffffffffffffff', 'high', 1)).toBeNull(); // 17 digits
    expect(hexWord(' high 0x', 'high', 1)).toBeNull();
    expect(hexWord(' high 12', 'high', 1)).toBeNull(); // no 0x
    expect(hexWord(' low 0x1', 'high', 1)).toBeNull(); // absent
  });

  it('reads a BB:DD.FF device as a source-id and prints it back', () => {
    splitLine(T, parts);
    expect(bdfField(T, parts.argsStart)).toBe(0x100);
    expect(bdfField(' dev 00:1f.03 iova', 1)).toBe(0xfb);
    expect(bdfField(' dev 00:04.0', 1)).toBe(0x20);
    expect(bdfField(' dev 00:20.00 iova', 1)).toBeNaN(); // device 0x20 > 31
    expect(bdfField(' dev 00:04.08 iova', 1)).toBeNaN(); // function 8
    expect(bdfField(' dev 0004.00 iova', 1)).toBeNaN();
    expect(bdfName(0xfb)).toBe('00:1f.3');
  });
});
