/**
 * An independent, uncached, deliberately plain v1 walker for tests: bigint
 * byte addresses, PhysMemory.read64, decoded PTE objects. It shares no code
 * with walk.ts (only the PTE decoder), so a property test comparing the two
 * checks the hot path against a second reading of the spec.
 */
import type { PhysMemory } from '../../core/memory/phys-memory.js';
import { decodePte } from './structures/pte.js';

export type RefOutcome =
  | { ok: true; pa: bigint; pageBytes: bigint; read: boolean; write: boolean }
  | {
      ok: false;
      why: 'not-present' | 'abort' | 'bad-next-level' | 'skipped-bits' | 'address-size' | 'nl7-size';
    };

/** Translates byte address `iova` through a v1 table of `mode` levels rooted at byte address `root`. */
export function referenceWalk(
  mem: PhysMemory,
  root: bigint,
  mode: number,
  iova: bigint,
  dteRead: boolean,
  dteWrite: boolean,
): RefOutcome {
  const inputBits = BigInt(12 + 9 * mode);
  if (inputBits < 64n && iova >> inputBits !== 0n) return { ok: false, why: 'address-size' };
  let read = dteRead;
  let write = dteWrite;
  let level = mode;
  let table = root;
  while (true) {
    const lowBit = BigInt(12 + 9 * (level - 1));
    const index = (iova >> lowBit) & 511n;
    const entryAddr = table + index * 8n;
    if (!mem.isBacked(Number(entryAddr), 8)) return { ok: false, why: 'abort' };
    const pte = decodePte(mem.read64(Number(entryAddr))!);
    if (!pte.pr) return { ok: false, why: 'not-present' };
    read = read && pte.ir;
    write = write && pte.iw;
    const address = BigInt(pte.addrPfn) << 12n;
    if (pte.nextLevel === 0 || pte.nextLevel === 7) {
      let pageBytes = 1n << lowBit;
      if (pte.nextLevel === 7) {
        // Lowest clear address bit n >= 12 gives a 2^(n+1)-byte page.
        let n = 12n;
        while ((address >> n) & 1n) n++;
        pageBytes = 1n << (n + 1n);
        if (pageBytes <= 1n << lowBit || pageBytes > 1n << (lowBit + 9n))
          return { ok: false, why: 'nl7-size' };
      }
      const mask = pageBytes - 1n;
      return { ok: true, pa: (address & ~mask) | (iova & mask), pageBytes, read, write };
    }
    if (pte.nextLevel >= level) return { ok: false, why: 'bad-next-level' };
    // Levels between this one and the next table's are skipped: their index bits must be zero.
    for (let skipped = level - 1; skipped > pte.nextLevel; skipped--) {
      if ((iova >> BigInt(12 + 9 * (skipped - 1))) & 511n) return { ok: false, why: 'skipped-bits' };
    }
    table = address;
    level = pte.nextLevel;
  }
}
