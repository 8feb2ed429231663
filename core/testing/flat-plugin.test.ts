import { describe, expect, it } from 'vitest';
import { runIommuContract } from './contract.js';
import { flatPlugin } from './flat-plugin.js';

describe('flat options', () => {
  it('default to a 64-entry cache with the UAPI vendor ops', () => {
    expect(flatPlugin.parseOptions(undefined)).toEqual({ cacheEntries: 64, noUapi: false });
  });

  it('take the options a scenario sets', () => {
    expect(flatPlugin.parseOptions({ cacheEntries: 16, noUapi: true })).toEqual({
      cacheEntries: 16,
      noUapi: true,
    });
  });

  it.each([
    [{ cacheEntriez: 64 }, /flat options: unknown option "cacheEntriez" \(known: cacheEntries, noUapi\)/],
    [{ cacheEntries: 48 }, /flat options\.cacheEntries: expected a power of two, got 48/],
    [{ noUapi: 'yes' }, /flat options\.noUapi: expected a boolean, got "yes"/],
  ])('reject %j naming the field', (raw, message) => {
    expect(() => flatPlugin.parseOptions(raw)).toThrow(message);
  });
});

runIommuContract({
  plugin: flatPlugin,
  fixture: {
    // Without the vendor ops, as the contract's ENODEV case expects of a unit that has none.
    options: { noUapi: true },
    setup: () => [],
    map: (iova, pa, write) => [
      {
        type: 'flat.map',
        data: { iova: `0x${iova.toString(16)}`, pa: `0x${pa.toString(16)}`, perm: write ? 3 : 1 },
      },
    ],
    unmap: (iova) => [{ type: 'flat.unmap', data: { iova: `0x${iova.toString(16)}` } }],
    invalidate: () => [{ type: 'flat.tlb.flush', data: {} }],
  },
});
