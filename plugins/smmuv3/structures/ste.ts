/**
 * Stream Table Entry (SMMUv3 spec 5.2; reference A.2): 64 bytes, of which
 * dw0..dw3 carry what this model uses. Plus the level-1 stream-table
 * descriptor of a 2-level stream table (spec 5.1; reference A.1).
 */
import { type Decoded, decodeLayout, encodeLayout, type Layout } from '../../../core/bits/layout.js';

export const STE_BYTES = 64;
export const STE_WORDS = 16;

export const STE_LAYOUT = {
  V: { dw: 0, msb: 0, lsb: 0 },
  Config: { dw: 0, msb: 3, lsb: 1 },
  S1Fmt: { dw: 0, msb: 5, lsb: 4 },
  S1ContextPtr: { dw: 0, msb: 51, lsb: 6, addr: true },
  S1CDMax: { dw: 0, msb: 63, lsb: 59 },
  S1DSS: { dw: 1, msb: 1, lsb: 0 },
  S1CIR: { dw: 1, msb: 3, lsb: 2 },
  S1COR: { dw: 1, msb: 5, lsb: 4 },
  S1CSH: { dw: 1, msb: 7, lsb: 6 },
  S1STALLD: { dw: 1, msb: 27, lsb: 27 },
  EATS: { dw: 1, msb: 29, lsb: 28 },
  STRW: { dw: 1, msb: 31, lsb: 30 },
  SHCFG: { dw: 1, msb: 45, lsb: 44 },
  S2VMID: { dw: 2, msb: 15, lsb: 0 },
  S2T0SZ: { dw: 2, msb: 37, lsb: 32 },
  S2SL0: { dw: 2, msb: 39, lsb: 38 },
  S2IR0: { dw: 2, msb: 41, lsb: 40 },
  S2OR0: { dw: 2, msb: 43, lsb: 42 },
  S2SH0: { dw: 2, msb: 45, lsb: 44 },
  S2TG: { dw: 2, msb: 47, lsb: 46 },
  S2PS: { dw: 2, msb: 50, lsb: 48 },
  S2AA64: { dw: 2, msb: 51, lsb: 51 },
  S2ENDI: { dw: 2, msb: 52, lsb: 52 },
  S2AFFD: { dw: 2, msb: 53, lsb: 53 },
  S2PTW: { dw: 2, msb: 54, lsb: 54 },
  S2HD: { dw: 2, msb: 55, lsb: 55 },
  S2HA: { dw: 2, msb: 56, lsb: 56 },
  S2S: { dw: 2, msb: 57, lsb: 57 },
  S2R: { dw: 2, msb: 58, lsb: 58 },
  S2TTB: { dw: 3, msb: 51, lsb: 4, addr: true },
} as const satisfies Layout;

export type SteFields = Decoded<typeof STE_LAYOUT>;

/** STE.Config values (spec 5.2, reference A.2). */
export const STE_CONFIG = {
  ABORT: 0b000,
  BYPASS: 0b100,
  S1_TRANS: 0b101,
  S2_TRANS: 0b110,
  NESTED: 0b111,
} as const;

/** STE.S2TG encoding: note 64K is 1 and 16K is 2. */
export const S2TG_GRANULE_SHIFT: readonly number[] = [12, 16, 14, 0];

export function decodeSte(w: ArrayLike<number>): SteFields {
  return decodeLayout(STE_LAYOUT, w);
}

export function encodeSte(f: Partial<SteFields>): Uint32Array {
  return encodeLayout(STE_LAYOUT, f, STE_WORDS);
}

/** Level-1 stream table descriptor (8 bytes): Span 4:0 (0 = invalid), L2Ptr 51:6. */
export const L1STD_LAYOUT = {
  Span: { dw: 0, msb: 4, lsb: 0 },
  L2Ptr: { dw: 0, msb: 51, lsb: 6, addr: true },
} as const satisfies Layout;

export type L1StdFields = Decoded<typeof L1STD_LAYOUT>;

export function decodeL1Std(w: ArrayLike<number>): L1StdFields {
  return decodeLayout(L1STD_LAYOUT, w);
}

export function encodeL1Std(f: Partial<L1StdFields>): Uint32Array {
  return encodeLayout(L1STD_LAYOUT, f, 2);
}
