/**
 * Maps a VT-d fault reason to the UAPI's enum iommu_fault_reason
 * (reference/uapi.md §2.1): what the host sees of an unrecoverable fault.
 */
const UAPI = {
  UNKNOWN: 0,
  PASID_FETCH: 1,
  BAD_PASID_ENTRY: 2,
  PASID_INVALID: 3,
  WALK_EABT: 4,
  PTE_FETCH: 5,
  PERMISSION: 6,
  ACCESS: 7,
  OOR_ADDRESS: 8,
} as const;

const TABLE = new Uint8Array(256);
for (const c of [0x50, 0x58]) TABLE[c] = UAPI.PASID_FETCH;
for (const c of [0x52, 0x5a, 0x5b]) TABLE[c] = UAPI.BAD_PASID_ENTRY;
for (const c of [0x45, 0x46, 0x51, 0x59]) TABLE[c] = UAPI.PASID_INVALID;
for (const c of [0x8, 0x9, 0x38, 0x40, 0x73]) TABLE[c] = UAPI.WALK_EABT;
for (const c of [0x7, 0x70, 0x78]) TABLE[c] = UAPI.PTE_FETCH;
for (const c of [0x5, 0x6, 0x5c, 0x5d, 0x75, 0x76, 0x77, 0x81, 0x82, 0x85, 0x86]) TABLE[c] = UAPI.PERMISSION;
for (const c of [0x7c, 0x90, 0x91]) TABLE[c] = UAPI.ACCESS;
for (const c of [0x4, 0x74, 0x80, 0x83, 0x84]) TABLE[c] = UAPI.OOR_ADDRESS;

export function uapiFaultReason(vtdReason: number): number {
  return TABLE[vtdReason & 0xff]!;
}
