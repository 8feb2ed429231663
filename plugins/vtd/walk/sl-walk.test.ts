import { describe, expect, it } from 'vitest';
import { FrameAllocator } from '../../../core/memory/frame-allocator.js';
import { PhysMemory } from '../../../core/memory/phys-memory.js';
import { hostSpace, slMap } from '../structures/page-table-builder.js';
import { hawHiMask, walkSl } from './sl-walk.js';
import { PERM_RWX, SLF, WALK, WalkState } from './walk-state.js';

/** A 4-level second-level table mapping page 0x12345 to 0x777, and a way to poke its entries. */
function table() {
  const memory = new PhysMemory(2 ** 30);
  const frames = new FrameAllocator(memory);
  const space = hostSpace(frames);
  const root = space.alloc();
  const vpn = 0x12345;
  slMap(memory, space, root, 4, vpn, 0x777, 12, { r: true, w: true });
  const st = new WalkState();
  const walk = (flags: number) => {
    st.reset();
    return walkSl(memory, root, 4, vpn, flags, hawHiMask(48), false, st, 4, PERM_RWX);
  };
  expect(walk(SLF.SNP_OK)).toBe(WALK.OK);
  /** OR `bits` into the low word of the entry the walk read at `level`. */
  const poke = (level: number, bits: number) => {
    const tablePfn = level === 4 ? root : st.nextTable[level + 1]!;
    const index = (vpn / 2 ** (9 * (level - 1))) & 511;
    memory.pageForWrite(tablePfn)[2 * index] |= bits;
  };
  return { walk, poke, st };
}

describe('walkSl reserved bits', () => {
  it('PS = 1 in a 4 KiB leaf is ignored, as in the reference walker', () => {
    const t = table();
    t.poke(1, 0x80);
    expect(t.walk(SLF.SNP_OK)).toBe(WALK.OK);
    expect(t.st.outPfn).toBe(0x777);
  });

  it('PS = 1 in a level-4 entry is reserved', () => {
    const t = table();
    t.poke(4, 0x80);
    expect(t.walk(SLF.SNP_OK | SLF.LP_2M | SLF.LP_1G)).toBe(WALK.RESERVED);
    expect(t.st.failLevel).toBe(4);
  });

  it('SNP is reserved unless the walk allows it', () => {
    const t = table();
    t.poke(2, 1 << 11);
    expect(t.walk(SLF.SNP_OK)).toBe(WALK.OK);
    expect(t.walk(0)).toBe(WALK.RESERVED);
    expect(t.st.failLevel).toBe(2);
  });
});
