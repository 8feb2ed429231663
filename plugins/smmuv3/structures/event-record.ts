/**
 * Event queue record (SMMUv3 spec 7.3; reference A.6): 32 bytes = 8 words.
 * The input address is split into its two 32-bit halves so that a 64-bit
 * address stays exact; IPA and fetch address share dw3 with different low bits.
 */
import { type Decoded, decodeLayout, encodeLayout, type Layout } from '../../../core/bits/layout.js';

export const EVENT_BYTES = 32;
export const EVENT_WORDS = 8;

export const EVENT_LAYOUT = {
  Type: { dw: 0, msb: 7, lsb: 0 },
  SSV: { dw: 0, msb: 11, lsb: 11 },
  SSID: { dw: 0, msb: 31, lsb: 12 },
  SID: { dw: 0, msb: 63, lsb: 32 },
  STAG: { dw: 1, msb: 15, lsb: 0 },
  STALL: { dw: 1, msb: 31, lsb: 31 },
  PnU: { dw: 1, msb: 33, lsb: 33 },
  InD: { dw: 1, msb: 34, lsb: 34 },
  RnW: { dw: 1, msb: 35, lsb: 35 },
  S2: { dw: 1, msb: 39, lsb: 39 },
  CLASS: { dw: 1, msb: 41, lsb: 40 },
  TT_READ: { dw: 1, msb: 44, lsb: 44 },
  InputAddrLo: { dw: 2, msb: 31, lsb: 0 },
  InputAddrHi: { dw: 2, msb: 63, lsb: 32 },
  /** F_TRANSLATION..F_PERMISSION with S2 = 1: the IPA (bits 51:12). */
  IPA: { dw: 3, msb: 51, lsb: 12, addr: true },
} as const satisfies Layout;

/** dw3 as the fetch address (bits 51:3) of F_STE_FETCH, F_CD_FETCH and F_WALK_EABT. */
export const EVENT_FETCH_ADDR = { dw: 3, msb: 51, lsb: 3, addr: true } as const;

export type EventFields = Decoded<typeof EVENT_LAYOUT>;

export function decodeEvent(w: ArrayLike<number>): EventFields {
  return decodeLayout(EVENT_LAYOUT, w);
}

export function encodeEvent(f: Partial<EventFields>): Uint32Array {
  return encodeLayout(EVENT_LAYOUT, f, EVENT_WORDS);
}
