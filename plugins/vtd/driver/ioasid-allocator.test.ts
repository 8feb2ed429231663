import { describe, expect, it } from 'vitest';
import { IoasidAllocator } from './ioasid-allocator.js';

describe('IoasidAllocator', () => {
  it('hands out the lowest free id from 1 and reuses freed ids', () => {
    const a = new IoasidAllocator<string>();
    expect(a.alloc()).toEqual({ ok: true, pasid: 1 });
    expect(a.alloc()).toEqual({ ok: true, pasid: 2 });
    expect(a.alloc(10, 20)).toEqual({ ok: true, pasid: 10 });
    expect(a.free(1)).toBe(true);
    expect(a.alloc()).toEqual({ ok: true, pasid: 1 });
    expect(a.allocated()).toEqual([1, 2, 10]);
  });

  it('rejects bad ranges and reports exhaustion', () => {
    const a = new IoasidAllocator<string>(8);
    expect(a.alloc(5, 4)).toEqual({ ok: false, errno: 'EINVAL' });
    expect(a.alloc(1, 8)).toEqual({ ok: false, errno: 'EINVAL' });
    expect(a.alloc(6, 7)).toEqual({ ok: true, pasid: 6 });
    expect(a.alloc(6, 7)).toEqual({ ok: true, pasid: 7 });
    expect(a.alloc(6, 7)).toEqual({ ok: false, errno: 'ENOSPC' });
  });

  it('find: ENOENT when unallocated, EINVAL for INVALID_IOASID, null without data', () => {
    const a = new IoasidAllocator<string>();
    expect(a.find(3)).toBe('ENOENT');
    expect(a.find(0xffff_ffff)).toBe('EINVAL');
    a.alloc(3, 3);
    expect(a.find(3)).toBeNull();
    expect(a.setData(3, 'svm')).toBe(true);
    expect(a.find(3)).toBe('svm');
    expect(a.setData(4, 'x')).toBe(false);
    expect(a.free(4)).toBe(false);
  });
});
