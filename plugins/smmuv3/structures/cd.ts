/**
 * Context Descriptor (SMMUv3 spec 5.4; reference A.3): 64 bytes, the stage-1
 * translation regime of one substream. Only dw0..dw2 affect address
 * translation; MAIR/AMAIR in dw3.. are memory attributes, not modelled.
 */
import { type Decoded, decodeLayout, encodeLayout, type Layout } from '../../../core/bits/layout.js';

export const CD_BYTES = 64;
export const CD_WORDS = 16;

export const CD_LAYOUT = {
  T0SZ: { dw: 0, msb: 5, lsb: 0 },
  TG0: { dw: 0, msb: 7, lsb: 6 },
  IRGN0: { dw: 0, msb: 9, lsb: 8 },
  ORGN0: { dw: 0, msb: 11, lsb: 10 },
  SH0: { dw: 0, msb: 13, lsb: 12 },
  EPD0: { dw: 0, msb: 14, lsb: 14 },
  ENDI: { dw: 0, msb: 15, lsb: 15 },
  T1SZ: { dw: 0, msb: 21, lsb: 16 },
  TG1: { dw: 0, msb: 23, lsb: 22 },
  IRGN1: { dw: 0, msb: 25, lsb: 24 },
  ORGN1: { dw: 0, msb: 27, lsb: 26 },
  SH1: { dw: 0, msb: 29, lsb: 28 },
  EPD1: { dw: 0, msb: 30, lsb: 30 },
  V: { dw: 0, msb: 31, lsb: 31 },
  IPS: { dw: 0, msb: 34, lsb: 32 },
  AFFD: { dw: 0, msb: 35, lsb: 35 },
  WXN: { dw: 0, msb: 36, lsb: 36 },
  UWXN: { dw: 0, msb: 37, lsb: 37 },
  TBI: { dw: 0, msb: 39, lsb: 38 },
  PAN: { dw: 0, msb: 40, lsb: 40 },
  AA64: { dw: 0, msb: 41, lsb: 41 },
  HD: { dw: 0, msb: 42, lsb: 42 },
  HA: { dw: 0, msb: 43, lsb: 43 },
  S: { dw: 0, msb: 44, lsb: 44 },
  R: { dw: 0, msb: 45, lsb: 45 },
  A: { dw: 0, msb: 46, lsb: 46 },
  ASET: { dw: 0, msb: 47, lsb: 47 },
  ASID: { dw: 0, msb: 63, lsb: 48 },
  NSCFG0: { dw: 1, msb: 0, lsb: 0 },
  HAD0: { dw: 1, msb: 1, lsb: 1 },
  TTB0: { dw: 1, msb: 51, lsb: 4, addr: true },
  NSCFG1: { dw: 2, msb: 0, lsb: 0 },
  HAD1: { dw: 2, msb: 1, lsb: 1 },
  TTB1: { dw: 2, msb: 51, lsb: 4, addr: true },
} as const satisfies Layout;

export type CdFields = Decoded<typeof CD_LAYOUT>;

/** CD.TG0 encoding (same as the stage-2 one): 0 = 4K, 1 = 64K, 2 = 16K, 3 reserved. */
export const TG0_GRANULE_SHIFT: readonly number[] = [12, 16, 14, 0];
/** CD.TG1 uses a different encoding: 1 = 16K, 2 = 4K, 3 = 64K, 0 reserved. */
export const TG1_GRANULE_SHIFT: readonly number[] = [0, 14, 12, 16];

/** IPS / PS / OAS encoding to address bits (reference A.1 IDR5.OAS). 7 is reserved. */
export const PS_BITS: readonly number[] = [32, 36, 40, 42, 44, 48, 52, 0];

export function decodeCd(w: ArrayLike<number>): CdFields {
  return decodeLayout(CD_LAYOUT, w);
}

export function encodeCd(f: Partial<CdFields>): Uint32Array {
  return encodeLayout(CD_LAYOUT, f, CD_WORDS);
}
