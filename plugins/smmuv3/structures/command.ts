/**
 * Command queue entries (SMMUv3 spec 4; reference A.5): 16 bytes = 4 words.
 * One layout holds every operand at its bit position; each opcode uses a
 * subset. CMD_CFGI_ALL is CMD_CFGI_STE_RANGE with Range = 31.
 */
import { type Decoded, decodeLayout, encodeLayout, type Layout } from '../../../core/bits/layout.js';

export const CMD_BYTES = 16;
export const CMD_WORDS = 4;

export const CMD_OP = {
  CMD_PREFETCH_CONFIG: 0x01,
  CMD_PREFETCH_ADDR: 0x02,
  CMD_CFGI_STE: 0x03,
  CMD_CFGI_STE_RANGE: 0x04,
  CMD_CFGI_CD: 0x05,
  CMD_CFGI_CD_ALL: 0x06,
  CMD_TLBI_NH_ALL: 0x10,
  CMD_TLBI_NH_ASID: 0x11,
  CMD_TLBI_NH_VA: 0x12,
  CMD_TLBI_NH_VAA: 0x13,
  CMD_TLBI_EL3_ALL: 0x18,
  CMD_TLBI_EL3_VA: 0x1a,
  CMD_TLBI_EL2_ALL: 0x20,
  CMD_TLBI_EL2_ASID: 0x21,
  CMD_TLBI_EL2_VA: 0x22,
  CMD_TLBI_EL2_VAA: 0x23,
  CMD_TLBI_S12_VMALL: 0x28,
  CMD_TLBI_S2_IPA: 0x2a,
  CMD_TLBI_NSNH_ALL: 0x30,
  CMD_ATC_INV: 0x40,
  CMD_PRI_RESP: 0x41,
  CMD_RESUME: 0x44,
  CMD_STALL_TERM: 0x45,
  CMD_SYNC: 0x46,
} as const;
export type CmdOpName = keyof typeof CMD_OP;

export const CMD_OP_NAME: { readonly [op: number]: CmdOpName } = Object.fromEntries(
  Object.entries(CMD_OP).map(([k, v]) => [v, k]),
) as { [op: number]: CmdOpName };

/** Range field value that turns CMD_CFGI_STE_RANGE into CMD_CFGI_ALL. */
export const CFGI_ALL_RANGE = 31;

export const CMD_LAYOUT = {
  Op: { dw: 0, msb: 7, lsb: 0 },
  Global: { dw: 0, msb: 9, lsb: 9 },
  SSec: { dw: 0, msb: 10, lsb: 10 },
  SSV: { dw: 0, msb: 11, lsb: 11 },
  /** CMD_SYNC CS (13:12); CMD_RESUME Action (13:12). */
  CS: { dw: 0, msb: 13, lsb: 12 },
  /** TLBI range forms: NUM 16:12 (overlaps SSID's low bits, which those commands do not have). */
  NUM: { dw: 0, msb: 16, lsb: 12 },
  SCALE: { dw: 0, msb: 24, lsb: 20 },
  SSID: { dw: 0, msb: 31, lsb: 12 },
  MSH: { dw: 0, msb: 23, lsb: 22 },
  MSIAttr: { dw: 0, msb: 27, lsb: 24 },
  SID: { dw: 0, msb: 63, lsb: 32 },
  VMID: { dw: 0, msb: 47, lsb: 32 },
  ASID: { dw: 0, msb: 63, lsb: 48 },
  /** CMD_CFGI_STE/CD Leaf, TLBI Leaf: dw1 bit 0. */
  Leaf: { dw: 1, msb: 0, lsb: 0 },
  /** CMD_CFGI_STE_RANGE Range (dw1 4:0); CMD_PREFETCH_ADDR Size. */
  Range: { dw: 1, msb: 4, lsb: 0 },
  /** CMD_ATC_INV Size (dw1 5:0). */
  Size: { dw: 1, msb: 5, lsb: 0 },
  TTL: { dw: 1, msb: 9, lsb: 8 },
  TG: { dw: 1, msb: 11, lsb: 10 },
  /** CMD_PRI_RESP PRG index (dw1 8:0) and Resp (13:12). */
  PRGI: { dw: 1, msb: 8, lsb: 0 },
  Resp: { dw: 1, msb: 13, lsb: 12 },
  STAG: { dw: 1, msb: 15, lsb: 0 },
  /** TLBI VA / ATC_INV / PREFETCH address bits 31:12 (dw1 31:12), i.e. page number bits 19:0. */
  AddrLo: { dw: 1, msb: 31, lsb: 12 },
  /** Address bits 63:32 (dw1 63:32), i.e. page number bits 51:20. Split so a 64-bit VA stays exact. */
  AddrHi: { dw: 1, msb: 63, lsb: 32 },
  /** CMD_TLBI_S2_IPA: IPA dw1 51:12. */
  IPA: { dw: 1, msb: 51, lsb: 12, addr: true },
  /** CMD_SYNC MSIAddr dw1 51:2. */
  MSIAddr: { dw: 1, msb: 51, lsb: 2, addr: true },
} as const satisfies Layout;

export type CmdFields = Decoded<typeof CMD_LAYOUT>;

/** The page number (address >> 12) of a command's VA field. */
export function cmdAddrPfn(f: CmdFields): number {
  return f.AddrHi * 2 ** 20 + f.AddrLo;
}

/** AddrLo/AddrHi field values for a page number. */
export function cmdAddrFields(pfn: number): { AddrLo: number; AddrHi: number } {
  return { AddrLo: pfn % 2 ** 20, AddrHi: Math.floor(pfn / 2 ** 20) };
}

export function decodeCmd(w: ArrayLike<number>): CmdFields {
  return decodeLayout(CMD_LAYOUT, w);
}

export function encodeCmd(f: Partial<CmdFields>): Uint32Array {
  return encodeLayout(CMD_LAYOUT, f, CMD_WORDS);
}
