/**
 * `nic-ring`: a NIC's receive (or transmit) ring with per-packet map/unmap (landscape.md §3.2
 * pattern 1, the strict-protection setting of P2/P3). The descriptor ring (16-byte descriptors)
 * stays mapped; each of its `ring` slots holds a `bufPages`-page buffer. Per packet the device
 * reads the slot's descriptor and writes (rx) or reads (tx) the buffer; the driver then unmaps
 * the buffer, applies the invalidation strategy, and maps a fresh buffer at a newly allocated
 * IOVA into the slot. `packetNs` of simulated time separate packets.
 */
import { pageHex } from './arch-ops.js';
import type { GenContext } from './context.js';
import { READ, WRITE } from './dma-issuer.js';
import { IovaAllocator } from './iova-allocator.js';
import { int, pfnOf, str } from './params.js';

/** Buffer IOVAs are cut from the 4 GiB above the descriptor ring. */
const IOVA_SPAN_PAGES = 1 << 20;

export function nicRing(g: GenContext): void {
  const d = g.data;
  const dev = g.device(str(d, 'device'));
  const pasid = int(d, 'pasid', -1, -1, 0xfffff);
  const base = pfnOf(d, 'iova');
  const paBase = pfnOf(d, 'pa');
  const ring = int(d, 'ring', 256, 1, 1 << 16);
  const packets = int(d, 'packets', 4096);
  const bufPages = int(d, 'bufPages', 1, 1, 64);
  const packetNs = int(d, 'packetNs', 1000);
  const access = str(d, 'direction', 'rx') === 'tx' ? READ : WRITE;
  g.ops.need('map', 'unmap');
  const descPages = Math.ceil((ring * 16) / 4096);
  for (let p = 0; p < descPages; p++) g.map(pageHex(base + p), pageHex(paBase + p));
  const iovas = new IovaAllocator(base + descPages + IOVA_SPAN_PAGES, base + descPages);
  const strategy = g.strategy(iovas);
  // Buffers come from a pool of 4 buffers per slot, as a driver's page pool recycles pages.
  const pool = ring * 4;
  let nextBuf = 0;
  const slots = new Array<number>(ring);
  const mapBuffer = (): number => {
    const iova = iovas.alloc(bufPages);
    const pa = paBase + descPages + (nextBuf++ % pool) * bufPages;
    for (let p = 0; p < bufPages; p++) g.map(pageHex(iova + p), pageHex(pa + p));
    return iova;
  };
  for (let s = 0; s < ring; s++) slots[s] = mapBuffer();
  for (let i = 0; i < packets; i++) {
    const s = i % ring;
    g.dma.access(dev.unit, dev.sid, pasid, base + Math.floor((s * 16) / 4096), (s * 16) % 4096, READ);
    const buf = slots[s]!;
    for (let p = 0; p < bufPages; p++) g.dma.access(dev.unit, dev.sid, pasid, buf + p, 0, access);
    for (let p = 0; p < bufPages; p++) g.ops.run('unmap', { iova: pageHex(buf + p) });
    strategy.unmapped(buf, bufPages);
    slots[s] = mapBuffer();
    g.sim.clock.advance(packetNs);
    strategy.tick();
  }
  strategy.drain();
}
