/**
 * The S-bit size encoding of INVALIDATE_IOMMU_PAGES / INVALIDATE_IOTLB_PAGES
 * (reference smmuv3-amdvi.md B.5): S=0 names one 4 KiB page; S=1 names a
 * naturally aligned 2^(n+1)-byte range where n is the lowest clear address
 * bit at or above bit 12; a first clear bit at 51 or above means everything.
 */

/** Decoded range in 4 KiB pages; `all` covers the whole address space. */
export interface InvRange {
  all: boolean;
  basePfn: number;
  pages: number;
}

export function decodeInvRange(s: boolean, addrPfn: number): InvRange {
  if (!s) return { all: false, basePfn: addrPfn, pages: 1 };
  let b = 0;
  let x = addrPfn;
  while (x % 2 === 1) {
    x = (x - 1) / 2;
    b++;
  }
  // b is the lowest clear bit of the page number, i.e. address bit 12 + b.
  if (12 + b >= 51) return { all: true, basePfn: 0, pages: 2 ** 52 };
  const pages = 2 ** (b + 1);
  return { all: false, basePfn: Math.floor(addrPfn / pages) * pages, pages };
}

/**
 * Encodes the smallest naturally aligned range covering [startPfn, startPfn+pages)
 * the way Linux builds it: from the highest bit that differs between the first
 * and last page, all lower bits set, S=1 (one page: S=0). Beyond bit 51: everything.
 */
export function encodeInvRange(startPfn: number, pages: number): { s: boolean; addrPfn: number } {
  if (pages <= 0) throw new RangeError(`invalidation range of ${pages} pages is empty`);
  if (pages === 1) return { s: false, addrPfn: startPfn };
  const last = startPfn + pages - 1;
  // Highest differing bit between start and last page numbers (both < 2^53).
  let msb = -1;
  for (let bit = 52; bit >= 0; bit--) {
    const p = 2 ** bit;
    if (Math.floor(startPfn / p) % 2 !== Math.floor(last / p) % 2) {
      msb = bit;
      break;
    }
  }
  if (12 + msb >= 51) return { s: true, addrPfn: 2 ** 52 - 1 };
  const below = 2 ** msb;
  // Set all bits below msb, clear bit msb (it is clear in the start already, since start < last there).
  const addrPfn = Math.floor(startPfn / (below * 2)) * (below * 2) + (below - 1);
  return { s: true, addrPfn };
}
