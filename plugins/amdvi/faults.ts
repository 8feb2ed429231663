/**
 * AMD-Vi event-log codes and flags (AMD IOMMU spec #48882, "Event Log";
 * reference smmuv3-amdvi.md B.6). Names keep the spec's spelling so the code
 * greps against the spec. The event code is dword1 bits 31:28 of an entry.
 */
import { FAULT_KIND } from '../../core/model/translation.js';

export const AMDVI_EVENT = {
  ILLEGAL_DEV_TABLE_ENTRY: 0x1,
  IO_PAGE_FAULT: 0x2,
  DEV_TAB_HARDWARE_ERROR: 0x3,
  PAGE_TAB_HARDWARE_ERROR: 0x4,
  ILLEGAL_COMMAND_ERROR: 0x5,
  COMMAND_HARDWARE_ERROR: 0x6,
  IOTLB_INV_TIMEOUT: 0x7,
  INVALID_DEVICE_REQUEST: 0x8,
  INVALID_PPR_REQUEST: 0x9,
  RMP_PAGE_FAULT: 0xd,
  RMP_HW_ERROR: 0xe,
} as const;
export type AmdviEventCode = (typeof AMDVI_EVENT)[keyof typeof AMDVI_EVENT];

/** Codes this model can produce (the rest need ATS, PPR or SEV-SNP, which it does not model). */
export const PRODUCED_EVENTS: readonly AmdviEventCode[] = [
  AMDVI_EVENT.ILLEGAL_DEV_TABLE_ENTRY,
  AMDVI_EVENT.IO_PAGE_FAULT,
  AMDVI_EVENT.DEV_TAB_HARDWARE_ERROR,
  AMDVI_EVENT.PAGE_TAB_HARDWARE_ERROR,
  AMDVI_EVENT.ILLEGAL_COMMAND_ERROR,
  AMDVI_EVENT.COMMAND_HARDWARE_ERROR,
  AMDVI_EVENT.INVALID_DEVICE_REQUEST,
];

const NAMES = new Map<number, string>(Object.entries(AMDVI_EVENT).map(([k, v]) => [v, k]));

export function eventName(code: number): string {
  return NAMES.get(code) ?? `UNKNOWN_0x${code.toString(16)}`;
}

/**
 * Event flags, dword1 bits 27:16 (value given relative to bit 16). Linux names
 * RW (0x020) and I (0x008); the other positions (GN, NX, US, PR, PE, RZ, TR)
 * are the spec's order as recalled, not confirmed in a source [S].
 */
export const AMDVI_EVENT_FLAG = {
  GN: 0x001,
  NX: 0x002,
  US: 0x004,
  /** Interrupt request rather than a memory transaction. */
  I: 0x008,
  /** The faulting entry was present (a permission fault). */
  PR: 0x010,
  /** The access was a write. */
  RW: 0x020,
  /** Permission error. */
  PE: 0x040,
  /** Reserved bit non-zero. */
  RZ: 0x080,
  /** The request was an ATS translation request. */
  TR: 0x100,
} as const;

/** The cross-architecture kind a translation fault of this code and flags reports. */
export function faultKindOf(code: number, flags: number): number {
  switch (code) {
    case AMDVI_EVENT.IO_PAGE_FAULT:
      if (flags & AMDVI_EVENT_FLAG.RZ) return FAULT_KIND.RESERVED_BITS;
      return flags & AMDVI_EVENT_FLAG.PR ? FAULT_KIND.PERMISSION : FAULT_KIND.TRANSLATION;
    case AMDVI_EVENT.ILLEGAL_DEV_TABLE_ENTRY:
    case AMDVI_EVENT.INVALID_DEVICE_REQUEST:
      return FAULT_KIND.BAD_CONFIG;
    case AMDVI_EVENT.DEV_TAB_HARDWARE_ERROR:
    case AMDVI_EVENT.PAGE_TAB_HARDWARE_ERROR:
      return FAULT_KIND.WALK_ABORT;
    default:
      return FAULT_KIND.NOT_MODELLED;
  }
}
