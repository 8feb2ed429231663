/**
 * VT-d fault reasons (reference/vtd.md §6.2), spelled as the spec names the
 * conditions, with the cross-architecture FAULT_KIND each maps to and whether
 * it is a "qualified" fault (suppressed by FPD, reference/vtd.md §6.1).
 */
import { FAULT_KIND, type FaultKind } from '../../core/model/translation.js';

export const VTD_FAULT = {
  // Legacy DMA remapping (VT-d 7.1.3, table "unrecoverable fault conditions").
  ROOT_ENTRY_NOT_PRESENT: 0x1,
  CONTEXT_ENTRY_NOT_PRESENT: 0x2,
  CONTEXT_ENTRY_INVALID: 0x3,
  ADDRESS_BEYOND_MGAW: 0x4,
  WRITE_NOT_PERMITTED: 0x5,
  READ_NOT_PERMITTED: 0x6,
  SL_PTE_READ_ERROR: 0x7,
  ROOT_ENTRY_READ_ERROR: 0x8,
  CONTEXT_ENTRY_READ_ERROR: 0x9,
  ROOT_ENTRY_RESERVED: 0xa,
  CONTEXT_ENTRY_RESERVED: 0xb,
  SL_PTE_RESERVED: 0xc,
  TRANSLATION_TYPE_BLOCKED: 0xd,
  OUTPUT_IN_INTERRUPT_RANGE: 0xe,
  // Scalable mode.
  SM_INVALID_ROOT_TABLE_ADDRESS: 0x30,
  SM_TTM_LEGACY_PASID_REQUEST: 0x31,
  SM_TTM_LEGACY_PAGE_REQUEST: 0x32,
  SM_ROOT_ENTRY_READ_ERROR: 0x38,
  SM_ROOT_ENTRY_NOT_PRESENT: 0x39,
  SM_ROOT_ENTRY_RESERVED: 0x3a,
  SM_CONTEXT_ENTRY_READ_ERROR: 0x40,
  SM_CONTEXT_ENTRY_NOT_PRESENT: 0x41,
  SM_CONTEXT_ENTRY_RESERVED: 0x42,
  SM_CONTEXT_ENTRY_INVALID: 0x43,
  SM_DTE_CLEAR: 0x44,
  SM_PASIDE_CLEAR: 0x45,
  SM_PASID_BEYOND_DIRECTORY: 0x46,
  SM_PRE_CLEAR: 0x47,
  SM_RID_PASID_ERROR: 0x48,
  SM_PASID_DIR_ENTRY_READ_ERROR: 0x50,
  SM_PASID_DIR_ENTRY_NOT_PRESENT: 0x51,
  SM_PASID_DIR_ENTRY_RESERVED: 0x52,
  SM_PASID_ENTRY_READ_ERROR: 0x58,
  SM_PASID_ENTRY_NOT_PRESENT: 0x59,
  SM_PASID_ENTRY_RESERVED: 0x5a,
  SM_PASID_ENTRY_INVALID: 0x5b,
  SM_ERE_CLEAR: 0x5c,
  SM_SRE_CLEAR: 0x5d,
  SM_FL_PTE_READ_ERROR: 0x70,
  SM_FL_PTE_NOT_PRESENT: 0x71,
  SM_FL_PTE_RESERVED: 0x72,
  SM_FL_ROOT_READ_ERROR: 0x73,
  SM_NESTED_FL_TABLE_BEYOND_SL: 0x74,
  SM_NESTED_SL_READ_DENIED_FL_ROOT: 0x75,
  SM_NESTED_SL_READ_DENIED_FL_PTE: 0x76,
  SM_NESTED_SL_WRITE_DENIED_FL_PTE: 0x77,
  SM_SL_PTE_READ_ERROR: 0x78,
  SM_SL_PTE_NOT_PRESENT: 0x79,
  SM_SL_PTE_RESERVED: 0x7a,
  SM_SL_ROOT_INVALID: 0x7b,
  SM_SL_AD_NO_SNOOP: 0x7c,
  SM_NON_CANONICAL: 0x80,
  SM_US_CLEAR_USER_REQUEST: 0x81,
  SM_EXECUTE_DENIED: 0x82,
  SM_ADDRESS_BEYOND_MAX: 0x83,
  SM_SL_ADDRESS_BEYOND_MAX: 0x84,
  SM_WRITE_DENIED: 0x85,
  SM_READ_DENIED: 0x86,
  SM_OUTPUT_IN_INTERRUPT_RANGE: 0x87,
  SM_FL_AD_NO_SNOOP: 0x90,
  SM_FL_AD_UPDATE_FAILED: 0x91,
} as const;

export type VtdFaultReason = (typeof VTD_FAULT)[keyof typeof VTD_FAULT];

/** Name of a reason code, by code. */
export const VTD_FAULT_NAME: ReadonlyMap<number, string> = new Map(
  Object.entries(VTD_FAULT).map(([name, code]) => [code as number, name]),
);

/** Not qualified (always recorded, FPD does not suppress): reference/vtd.md §6.1. */
const UNQUALIFIED: ReadonlySet<number> = new Set([
  0x1, 0x8, 0x9, 0xa, 0xb, 0x30, 0x38, 0x39, 0x3a, 0x40, 0x42, 0x50, 0x52, 0x58, 0x5a,
]);

/** Per-code FAULT_KIND, indexed by the reason (0..0xff). */
export const VTD_FAULT_KIND: Uint8Array = (() => {
  const k = new Uint8Array(256).fill(FAULT_KIND.TRANSLATION);
  const set = (kind: FaultKind, ...codes: number[]): void => {
    for (const c of codes) k[c] = kind;
  };
  set(
    FAULT_KIND.BAD_CONFIG,
    0x1,
    0x2,
    0x3,
    0xa,
    0xb,
    0x30,
    0x31,
    0x32,
    0x39,
    0x3a,
    0x41,
    0x42,
    0x43,
    0x48,
    0x7b,
  );
  set(FAULT_KIND.BLOCKED, 0xd, 0xe, 0x44, 0x47, 0x87);
  set(FAULT_KIND.ADDRESS_SIZE, 0x4, 0x74, 0x80, 0x83, 0x84);
  set(FAULT_KIND.PERMISSION, 0x5, 0x6, 0x5c, 0x5d, 0x75, 0x76, 0x77, 0x81, 0x82, 0x85, 0x86);
  set(FAULT_KIND.WALK_ABORT, 0x7, 0x8, 0x9, 0x38, 0x40, 0x50, 0x58, 0x70, 0x73, 0x78, 0x7c, 0x90, 0x91);
  set(FAULT_KIND.RESERVED_BITS, 0xc, 0x72, 0x7a);
  set(FAULT_KIND.BAD_PASID, 0x45, 0x46, 0x51, 0x52, 0x59, 0x5a, 0x5b);
  set(FAULT_KIND.TRANSLATION, 0x71, 0x79);
  return k;
})();

/** True when FPD suppresses recording of this reason. */
export function isQualified(reason: number): boolean {
  return !UNQUALIFIED.has(reason);
}
