/**
 * `random-access`: reads at random pages of a large mapped region (landscape.md §3.2 pattern 3,
 * the IOTLB wall of P8), with an optional hot set (`hotPages` pages receive `hotShare` of the
 * accesses) and an optional share of 2 MiB mappings (`hugeShare` of the 2 MiB regions are mapped
 * with the `map-huge` template: P8/P10's huge-page remedy). The region is mapped once, first.
 */
import { pageHex } from './arch-ops.js';
import type { GenContext } from './context.js';
import { READ } from './dma-issuer.js';
import { frac, int, pfnOf, str } from './params.js';

export function randomAccess(g: GenContext): void {
  const d = g.data;
  const dev = g.device(str(d, 'device'));
  const pasid = int(d, 'pasid', -1, -1, 0xfffff);
  const hugeShare = frac(d, 'hugeShare', 0);
  const base = pfnOf(d, 'iova', hugeShare > 0 ? 512 : 1);
  const paBase = pfnOf(d, 'pa', hugeShare > 0 ? 512 : 1);
  const pages = int(d, 'pages', 1 << 17, 1, 1 << 26);
  const count = int(d, 'count', 100_000);
  const hotPages = int(d, 'hotPages', 0, 0, pages);
  const hotShare = frac(d, 'hotShare', 0);
  g.ops.need('map');
  if (hugeShare > 0) g.ops.need('map-huge');
  for (let r = 0; r * 512 < pages; r++) {
    const first = base + r * 512;
    if (hugeShare > 0 && (r + 1) * 512 <= pages && g.rng.float() < hugeShare) {
      g.ops.run('map-huge', { iova: pageHex(first), pa: pageHex(paBase + r * 512) });
      continue;
    }
    for (let p = r * 512; p < Math.min(pages, (r + 1) * 512); p++)
      g.map(pageHex(base + p), pageHex(paBase + p));
  }
  for (let i = 0; i < count; i++) {
    const page = hotPages > 0 && g.rng.float() < hotShare ? g.rng.below(hotPages) : g.rng.below(pages);
    g.dma.access(dev.unit, dev.sid, pasid, base + page, g.rng.below(512) * 8, READ);
  }
}
