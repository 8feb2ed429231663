import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AMDVI_CMD, type AmdviCommand, decodeCommand, encodeCommand } from './command.js';

const bool = fc.boolean();
const cmd: fc.Arbitrary<AmdviCommand> = fc.oneof(
  fc.record({
    op: fc.constant('COMPLETION_WAIT' as const),
    s: bool,
    i: bool,
    f: bool,
    storeAddr: fc.integer({ min: 0, max: 2 ** 49 - 1 }).map((x) => x * 8),
    data: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
  }),
  fc.record({
    op: fc.constant('INVALIDATE_DEVTAB_ENTRY' as const),
    deviceId: fc.integer({ min: 0, max: 0xffff }),
  }),
  fc.record({
    op: fc.constant('INVALIDATE_IOMMU_PAGES' as const),
    pasid: fc.integer({ min: 0, max: 0xfffff }),
    domainId: fc.integer({ min: 0, max: 0xffff }),
    s: bool,
    pde: bool,
    gn: bool,
    addrPfn: fc.integer({ min: 0, max: 2 ** 52 - 1 }),
  }),
  fc.record({
    op: fc.constant('INVALIDATE_INTERRUPT_TABLE' as const),
    deviceId: fc.integer({ min: 0, max: 0xffff }),
  }),
  fc.constant({ op: 'INVALIDATE_IOMMU_ALL' as const }),
);

describe('command encode/decode (B.5)', () => {
  it('decode(encode(c)) = c', () => {
    fc.assert(
      fc.property(cmd, (c) => {
        const [w0, w1, w2, w3] = encodeCommand(c);
        expect(decodeCommand(w0, w1, w2, w3)).toEqual({ ok: true, cmd: c });
      }),
    );
  });

  it('puts the opcode in dword1 bits 31:28 and the INVALIDATE_IOMMU_PAGES fields where Linux puts them', () => {
    const w = encodeCommand({
      op: 'INVALIDATE_IOMMU_PAGES',
      pasid: 0x12345,
      domainId: 0xabc,
      s: true,
      pde: true,
      gn: true,
      addrPfn: 0x1_2345_6789,
    });
    expect(w[1] >>> 28).toBe(AMDVI_CMD.INVALIDATE_IOMMU_PAGES);
    expect(w[0]).toBe(0x12345);
    expect(w[1] & 0xffff).toBe(0xabc);
    expect(w[2]).toBe(((0x4_5678_9 << 12) | 7) >>> 0);
    expect(w[3]).toBe(0x1234);
  });

  it('rejects unknown opcodes, reserved bits and opcodes the model lacks, saying which', () => {
    expect(decodeCommand(0, 0, 0, 0)).toEqual({ ok: false, opcode: 0, why: 'unknown-opcode' });
    expect(decodeCommand(0, 0x9000_0000, 0, 0)).toEqual({ ok: false, opcode: 9, why: 'unknown-opcode' });
    expect(decodeCommand(0x1_0000, 0x2000_0000, 0, 0)).toEqual({
      ok: false,
      opcode: 2,
      why: 'reserved-bits',
    });
    expect(decodeCommand(0, 0x3000_0000, 0x8, 0)).toEqual({ ok: false, opcode: 3, why: 'reserved-bits' });
    expect(decodeCommand(1, 0x8000_0000, 0, 0)).toEqual({ ok: false, opcode: 8, why: 'reserved-bits' });
    for (const op of [4, 6, 7]) {
      expect(decodeCommand(0, (op << 28) >>> 0, 0, 0)).toEqual({
        ok: false,
        opcode: op,
        why: 'not-modelled',
      });
    }
  });

  it('names the field that does not fit', () => {
    expect(() => encodeCommand({ op: 'INVALIDATE_DEVTAB_ENTRY', deviceId: 0x10000 })).toThrow(/deviceId/);
    expect(() =>
      encodeCommand({ op: 'COMPLETION_WAIT', s: true, i: false, f: false, storeAddr: 4, data: 0n }),
    ).toThrow(/storeAddr/);
  });
});
