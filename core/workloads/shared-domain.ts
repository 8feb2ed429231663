/**
 * `shared-domain`: several devices in one domain over one shared buffer pool (landscape.md §3.2
 * pattern 5: a multi-queue NIC's functions, or devices behind one VM's domain). Devices take
 * turns in bursts of `burst` accesses at random pages of the pool. A cache tagged by domain
 * shares one entry per page among them; one tagged by requester id keeps a copy per device.
 */
import { pageHex } from './arch-ops.js';
import type { GenContext } from './context.js';
import { READ } from './dma-issuer.js';
import { int, pfnOf, strings } from './params.js';

export function sharedDomain(g: GenContext): void {
  const d = g.data;
  const devices = strings(d, 'devices').map((n) => g.device(n));
  const base = pfnOf(d, 'iova');
  const paBase = pfnOf(d, 'pa');
  const pages = int(d, 'pages', 1024, 1, 1 << 22);
  const count = int(d, 'count', 50_000);
  const burst = int(d, 'burst', 16, 1);
  g.ops.need('map');
  for (let p = 0; p < pages; p++) g.map(pageHex(base + p), pageHex(paBase + p));
  for (let i = 0; i < count; i++) {
    const dev = devices[Math.floor(i / burst) % devices.length]!;
    g.dma.access(dev.unit, dev.sid, -1, base + g.rng.below(pages), g.rng.below(512) * 8, READ);
  }
}
