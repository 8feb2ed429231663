/**
 * `nvme`: NVMe queue pairs with PRP lists (landscape.md §3.2 pattern 2). Each queue's submission
 * and completion queue stays mapped (one page each). An I/O of `ioPages` pages maps its data
 * pages (scattered physical pages, as a page cache's) at one IOVA range and, above two pages,
 * a PRP list page; the device reads the command, the PRP list, moves the data and writes the
 * completion. Up to `depth` I/Os per queue are in flight; completing one unmaps its pages under
 * the invalidation strategy.
 */
import { pageHex } from './arch-ops.js';
import type { GenContext } from './context.js';
import { READ, WRITE } from './dma-issuer.js';
import { IovaAllocator } from './iova-allocator.js';
import { int, pfnOf, str } from './params.js';

const IOVA_SPAN_PAGES = 1 << 22;
/** Physical pages the data buffers are drawn from (a 1 GiB page cache). */
const POOL_PAGES = 1 << 18;

export function nvmeQueues(g: GenContext): void {
  const d = g.data;
  const dev = g.device(str(d, 'device'));
  const pasid = int(d, 'pasid', -1, -1, 0xfffff);
  const base = pfnOf(d, 'iova');
  const paBase = pfnOf(d, 'pa');
  const queues = int(d, 'queues', 4, 1, 1024);
  const depth = int(d, 'depth', 32, 1, 65536);
  const ios = int(d, 'ios', 2048);
  const ioPages = int(d, 'ioPages', 8, 1, 512);
  const ioNs = int(d, 'ioNs', 2000);
  const access = str(d, 'direction', 'read') === 'write' ? READ : WRITE; // a disk read writes memory
  g.ops.need('map', 'unmap');
  for (let p = 0; p < 2 * queues; p++) g.map(pageHex(base + p), pageHex(paBase + p));
  const iovas = new IovaAllocator(base + 2 * queues + IOVA_SPAN_PAGES, base + 2 * queues);
  const strategy = g.strategy(iovas);
  const prp = ioPages > 2;
  /** In flight, oldest first: [data IOVA, PRP list IOVA or -1]. */
  const inflight: [number, number][] = [];
  const complete = (): void => {
    const [data, list] = inflight.shift()!;
    for (let p = 0; p < ioPages; p++) g.ops.run('unmap', { iova: pageHex(data + p) });
    strategy.unmapped(data, ioPages);
    if (list >= 0) {
      g.ops.run('unmap', { iova: pageHex(list) });
      strategy.unmapped(list, 1);
    }
  };
  for (let i = 0; i < ios; i++) {
    const q = i % queues;
    const slot = Math.floor(i / queues) % depth;
    const data = iovas.alloc(ioPages);
    for (let p = 0; p < ioPages; p++)
      g.map(pageHex(data + p), pageHex(paBase + 2 * queues + g.rng.below(POOL_PAGES)));
    let list = -1;
    if (prp) {
      list = iovas.alloc(1);
      g.map(pageHex(list), pageHex(paBase + 2 * queues + POOL_PAGES + (i % (queues * depth))));
    }
    // Submission entries are 64 bytes, completion entries 16.
    g.dma.access(dev.unit, dev.sid, pasid, base + 2 * q, (slot * 64) % 4096, READ);
    if (list >= 0) g.dma.access(dev.unit, dev.sid, pasid, list, 0, READ);
    for (let p = 0; p < ioPages; p++) g.dma.access(dev.unit, dev.sid, pasid, data + p, 0, access);
    g.dma.access(dev.unit, dev.sid, pasid, base + 2 * q + 1, (slot * 16) % 4096, WRITE);
    inflight.push([data, list]);
    if (inflight.length > queues * depth) complete();
    g.sim.clock.advance(ioNs);
    strategy.tick();
  }
  while (inflight.length > 0) complete();
  strategy.drain();
}
