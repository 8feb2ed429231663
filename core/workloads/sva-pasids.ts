/**
 * `sva`: shared virtual addressing: one device works for several processes, each a PASID with
 * its own first-level tables over the same virtual range (landscape.md §3.2 pattern 5). The
 * target's `pasid-setup` template (if any) runs once per PASID, `map` (with `$pasid`) maps each
 * PASID's `pages` pages; accesses pick a PASID and a page at random.
 */
import { pageHex } from './arch-ops.js';
import type { GenContext } from './context.js';
import { READ } from './dma-issuer.js';
import { int, ints, pfnOf, str } from './params.js';

export function svaPasids(g: GenContext): void {
  const d = g.data;
  const dev = g.device(str(d, 'device'));
  const pasids = ints(d, 'pasids');
  const base = pfnOf(d, 'iova');
  const paBase = pfnOf(d, 'pa');
  const pages = int(d, 'pages', 256, 1, 1 << 20);
  const count = int(d, 'count', 50_000);
  g.ops.need('map');
  pasids.forEach((pasid, k) => {
    if (g.ops.has('pasid-setup')) g.ops.run('pasid-setup', { pasid });
    for (let p = 0; p < pages; p++) g.map(pageHex(base + p), pageHex(paBase + k * pages + p), { pasid });
  });
  for (let i = 0; i < count; i++) {
    const pasid = pasids[g.rng.below(pasids.length)]!;
    g.dma.access(dev.unit, dev.sid, pasid, base + g.rng.below(pages), g.rng.below(512) * 8, READ);
  }
}
