/**
 * Command-buffer entries: 16 bytes as dwords w0..w3, opcode in w1 bits 31:28
 * (AMD IOMMU spec "Commands"; reference smmuv3-amdvi.md B.5). Reserved bits
 * listed per opcode make a command illegal (ILLEGAL_COMMAND_ERROR).
 */
export const AMDVI_CMD = {
  COMPLETION_WAIT: 0x1,
  INVALIDATE_DEVTAB_ENTRY: 0x2,
  INVALIDATE_IOMMU_PAGES: 0x3,
  INVALIDATE_IOTLB_PAGES: 0x4,
  INVALIDATE_INTERRUPT_TABLE: 0x5,
  PREFETCH_IOMMU_PAGES: 0x6,
  COMPLETE_PPR_REQUEST: 0x7,
  INVALIDATE_IOMMU_ALL: 0x8,
} as const;
export type AmdviCmdName = keyof typeof AMDVI_CMD;

const NAMES = new Map<number, AmdviCmdName>(
  (Object.entries(AMDVI_CMD) as [AmdviCmdName, number][]).map(([k, v]) => [v, k]),
);

export function commandName(opcode: number): string {
  return NAMES.get(opcode) ?? `OPCODE_0x${opcode.toString(16)}`;
}

export const CMD_BYTES = 16;

/** Decoded commands. Addresses travel as page frame numbers (< 2^52). */
export type AmdviCommand =
  | { op: 'COMPLETION_WAIT'; s: boolean; i: boolean; f: boolean; storeAddr: number; data: bigint }
  | { op: 'INVALIDATE_DEVTAB_ENTRY'; deviceId: number }
  | {
      op: 'INVALIDATE_IOMMU_PAGES';
      pasid: number;
      domainId: number;
      s: boolean;
      pde: boolean;
      gn: boolean;
      addrPfn: number;
    }
  | { op: 'INVALIDATE_INTERRUPT_TABLE'; deviceId: number }
  | { op: 'INVALIDATE_IOMMU_ALL' };

/** Reserved-bit masks per opcode, [w0, w1 (below the opcode), w2, w3]. */
const RESERVED: Readonly<Record<number, readonly [number, number, number, number]>> = {
  [AMDVI_CMD.COMPLETION_WAIT]: [0, 0x0ff0_0000, 0, 0],
  [AMDVI_CMD.INVALIDATE_DEVTAB_ENTRY]: [0xffff_0000, 0x0fff_ffff, 0xffff_ffff, 0xffff_ffff],
  [AMDVI_CMD.INVALIDATE_IOMMU_PAGES]: [0xfff0_0000, 0x0fff_0000, 0x0000_0ff8, 0],
  [AMDVI_CMD.INVALIDATE_INTERRUPT_TABLE]: [0xffff_0000, 0x0fff_ffff, 0xffff_ffff, 0xffff_ffff],
  [AMDVI_CMD.INVALIDATE_IOMMU_ALL]: [0xffff_ffff, 0x0fff_ffff, 0xffff_ffff, 0xffff_ffff],
};

export type DecodeResult =
  | { ok: true; cmd: AmdviCommand }
  | { ok: false; opcode: number; why: 'unknown-opcode' | 'reserved-bits' | 'not-modelled' };

/** Decodes one command from its four dwords. */
export function decodeCommand(w0: number, w1: number, w2: number, w3: number): DecodeResult {
  const opcode = w1 >>> 28;
  const rsvd = RESERVED[opcode];
  if (rsvd === undefined) {
    const known = NAMES.has(opcode);
    return { ok: false, opcode, why: known ? 'not-modelled' : 'unknown-opcode' };
  }
  if (w0 & rsvd[0] || w1 & rsvd[1] || w2 & rsvd[2] || w3 & rsvd[3])
    return { ok: false, opcode, why: 'reserved-bits' };
  switch (opcode) {
    case AMDVI_CMD.COMPLETION_WAIT:
      return {
        ok: true,
        cmd: {
          op: 'COMPLETION_WAIT',
          s: (w0 & 1) !== 0,
          i: (w0 & 2) !== 0,
          f: (w0 & 4) !== 0,
          // Store address bits 51:3: w0 31:3 and w1 19:0.
          storeAddr: (w1 & 0xf_ffff) * 2 ** 32 + ((w0 & ~7) >>> 0),
          data: (BigInt(w3 >>> 0) << 32n) | BigInt(w2 >>> 0),
        },
      };
    case AMDVI_CMD.INVALIDATE_DEVTAB_ENTRY:
      return { ok: true, cmd: { op: 'INVALIDATE_DEVTAB_ENTRY', deviceId: w0 & 0xffff } };
    case AMDVI_CMD.INVALIDATE_IOMMU_PAGES:
      return {
        ok: true,
        cmd: {
          op: 'INVALIDATE_IOMMU_PAGES',
          pasid: w0 & 0xf_ffff,
          domainId: w1 & 0xffff,
          s: (w2 & 1) !== 0,
          pde: (w2 & 2) !== 0,
          gn: (w2 & 4) !== 0,
          addrPfn: (w3 >>> 0) * 2 ** 20 + (w2 >>> 12),
        },
      };
    case AMDVI_CMD.INVALIDATE_INTERRUPT_TABLE:
      return { ok: true, cmd: { op: 'INVALIDATE_INTERRUPT_TABLE', deviceId: w0 & 0xffff } };
    default:
      return { ok: true, cmd: { op: 'INVALIDATE_IOMMU_ALL' } };
  }
}

/** Encodes a command into four dwords (unsigned). Throws RangeError naming the bad field. */
export function encodeCommand(c: AmdviCommand): [number, number, number, number] {
  const op = (n: number): number => (n << 28) >>> 0;
  switch (c.op) {
    case 'COMPLETION_WAIT': {
      if (c.storeAddr % 8 !== 0 || c.storeAddr < 0 || c.storeAddr >= 2 ** 52) {
        throw new RangeError(
          `COMPLETION_WAIT.storeAddr: 0x${c.storeAddr.toString(16)} must be 8-byte aligned below 2^52`,
        );
      }
      const lo = ((c.storeAddr >>> 0) & ~7) >>> 0;
      const hi = Math.floor(c.storeAddr / 2 ** 32);
      const w0 = (lo | (c.s ? 1 : 0) | (c.i ? 2 : 0) | (c.f ? 4 : 0)) >>> 0;
      const w2 = Number(c.data & 0xffff_ffffn);
      const w3 = Number((c.data >> 32n) & 0xffff_ffffn);
      return [w0, (op(AMDVI_CMD.COMPLETION_WAIT) | hi) >>> 0, w2, w3];
    }
    case 'INVALIDATE_DEVTAB_ENTRY':
      checkField(c.deviceId, 16, 'INVALIDATE_DEVTAB_ENTRY.deviceId');
      return [c.deviceId, op(AMDVI_CMD.INVALIDATE_DEVTAB_ENTRY), 0, 0];
    case 'INVALIDATE_IOMMU_PAGES': {
      checkField(c.pasid, 20, 'INVALIDATE_IOMMU_PAGES.pasid');
      checkField(c.domainId, 16, 'INVALIDATE_IOMMU_PAGES.domainId');
      if (!Number.isSafeInteger(c.addrPfn) || c.addrPfn < 0 || c.addrPfn >= 2 ** 52) {
        throw new RangeError(`INVALIDATE_IOMMU_PAGES.addrPfn: ${c.addrPfn} is not a 52-bit page number`);
      }
      const w2 =
        ((((c.addrPfn % 2 ** 20) << 12) >>> 0) | (c.s ? 1 : 0) | (c.pde ? 2 : 0) | (c.gn ? 4 : 0)) >>> 0;
      const w3 = Math.floor(c.addrPfn / 2 ** 20) >>> 0;
      return [c.pasid, (op(AMDVI_CMD.INVALIDATE_IOMMU_PAGES) | c.domainId) >>> 0, w2, w3];
    }
    case 'INVALIDATE_INTERRUPT_TABLE':
      checkField(c.deviceId, 16, 'INVALIDATE_INTERRUPT_TABLE.deviceId');
      return [c.deviceId, op(AMDVI_CMD.INVALIDATE_INTERRUPT_TABLE), 0, 0];
    case 'INVALIDATE_IOMMU_ALL':
      return [0, op(AMDVI_CMD.INVALIDATE_IOMMU_ALL), 0, 0];
  }
}

function checkField(v: number, bits: number, what: string): void {
  if (!Number.isInteger(v) || v < 0 || v >= 2 ** bits)
    throw new RangeError(`${what}: ${v} does not fit in ${bits} bits`);
}
