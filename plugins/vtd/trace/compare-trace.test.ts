import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareTrace } from './compare-trace.js';
import { parseIotlbDesign } from './iotlb-design.js';

const FIXTURE = join(import.meta.dirname, 'fixtures', 'alias-7.2.trace.log');
/** The real trace of shared/data/qemu-vtd (1 MB, not in the repository). */
// The real sample lives in shared/, beside the repository (as CI lays it out).
const SAMPLE =
  process.env.VIOMMU_QEMU_VTD_SAMPLE ??
  join(import.meta.dirname, '../../../../shared/data/qemu-vtd/legacy-strict-cm0.trace.log.gz');

const designs = (...s: string[]) => s.map((x) => parseIotlbDesign(x));

describe('trace compare', () => {
  it('qemu-7.2 agrees with QEMU 7.2 on every lookup; qemu keeps the page the 8-bit alias dropped', async () => {
    const r = await compareTrace(FIXTURE, designs('qemu-7.2', 'qemu'));
    expect(r.lookups).toBe(8);
    expect(r.recordedHits).toBe(3);
    const [q72, q] = r.designs;
    expect(q72).toMatchObject({ agree: 8, translationsMatched: 8, disagreementCount: 0, simulatedHits: 3 });
    expect(q72!.commandErrors).toBe(0);
    // The PSI of 2^6 pages at 0xffec0000 (line 30) also dropped 0xffffd000 in QEMU 7.2: bits 7:6
    // of both frame numbers are 0b11. QEMU >= 9.1 keeps it, so the next lookup hits.
    expect(q).toMatchObject({ agree: 7, translationsMatched: 8, disagreementCount: 1, simulatedHits: 4 });
    expect(q!.disagreements).toEqual([
      {
        line: 37,
        sid: '01:00.0',
        did: 7,
        iova: '0xffffd002',
        recorded: { hit: false, out: '0x19dcb000' },
        simulated: { hit: true, out: '0x19dcb000' },
        cause: {
          line: 30,
          event: 'vtd_inv_desc_iotlb_pages',
          did: 7,
          addr: '0xffec0000',
          am: 6,
          touch: 'alias-8bit',
        },
      },
    ]);
    expect(q!.causes).toEqual({ 'alias-8bit': 1 });
  });

  it('counts what QEMU counts: the context cache only on IOTLB misses, no device-TLB without ATS requests', async () => {
    const r = await compareTrace(FIXTURE, designs('qemu-7.2'));
    const c = r.designs[0]!.cacheCounters as {
      [k: string]: { lookups: number; hits: number; misses: number };
    };
    // The fixture's context-cache lines: 2 vtd_iotlb_cc_update, 3 vtd_iotlb_cc_hit.
    expect(c.context).toMatchObject({ lookups: 5, hits: 3, misses: 2 });
    expect(c.iotlb).toMatchObject({ lookups: 8, hits: 3, misses: 5 });
    // 01:00.0 is attached with TT = 01 (ATS allowed) but never sends a translation request.
    expect(c.devTlb).toMatchObject({ lookups: 0, misses: 0 });
  });

  it('the IOTLB key is separate from the policy', async () => {
    const r = await compareTrace(FIXTURE, [parseIotlbDesign('lru:64', 'sid'), parseIotlbDesign('lru:64')]);
    expect(r.designs.map((d) => d.iotlb.key)).toEqual(['sid', 'domain']);
    expect(r.designs[0]!.iotlb).toEqual({ policy: 'lru', entries: 64, ways: 'full', key: 'sid' });
  });

  it('rejects design specs it cannot build', () => {
    expect(() => parseIotlbDesign('lru:100:3')).toThrow(/WAYS must divide/);
    expect(() => parseIotlbDesign('qemu:1024:4')).toThrow(/fully associative/);
    expect(() => parseIotlbDesign('plru:64')).toThrow(/POLICY one of/);
    expect(parseIotlbDesign('fifo:256:8')).toEqual({
      label: 'fifo:256:8',
      policy: 'fifo',
      entries: 256,
      ways: 8,
    });
  });

  // Excerpts of traces captured with shared/data/qemu-vtd/capture-raw.sh (fixtures/README.md).
  const fx = (n: string) => join(import.meta.dirname, 'fixtures', `${n}.trace.log.gz`);
  it.each([
    ['legacy-strict-cm1-head', 'legacy', true],
    ['scalable-strict-cm1-head', 'scalable', true],
    ['scalable-lazy-cm0-head', 'scalable', false],
    ['legacy-lazy-cm0-flush', 'legacy', false],
  ] as const)(
    'captured %s: mode %s, caching mode %s from the console; qemu-7.2 agrees on every lookup',
    async (name, mode, cm) => {
      const r = await compareTrace(fx(name), designs('qemu-7.2'));
      expect(r.options).toMatchObject({ mode, qemu: { cachingMode: cm, scalableMode: mode === 'scalable' } });
      const d = r.designs[0]!;
      expect(r.lookups).toBeGreaterThan(400);
      expect(d).toMatchObject({
        agree: r.lookups,
        translationsMatched: r.lookups,
        disagreementCount: 0,
        commandErrors: 0,
      });
    },
  );

  it("lazy invalidation: QEMU's IOTLB fills and is flushed when full, and so is the model's", async () => {
    // The excerpt starts at QEMU's first flush (an empty IOTLB) and runs past its second.
    const r = await compareTrace(fx('legacy-lazy-cm0-flush'), designs('qemu', 'lru:1024'));
    expect(r.recordedIotlbResets).toBe(2);
    const [q, lru] = r.designs;
    expect(q!.evictions).toBe(1024);
    expect(q!.agree).toBe(r.lookups);
    // An LRU of the same size keeps the most recent entries where QEMU drops them all.
    expect(lru!.simulatedHits).toBeGreaterThan(q!.simulatedHits);
    expect(lru!.causes).toEqual({ eviction: lru!.disagreementCount });
  });

  // The whole real trace lives outside the repository (shared/data/qemu-vtd); skipped where absent.
  describe.skipIf(!existsSync(SAMPLE))('the real sample', () => {
    it('qemu-7.2: every lookup and translation agrees; qemu: every disagreement is an 8-bit alias', async () => {
      const r = await compareTrace(SAMPLE, designs('qemu-7.2', 'qemu'));
      expect(r.lookups).toBe(25355);
      const [q72, q] = r.designs;
      expect(q72).toMatchObject({
        agree: 25355,
        translationsMatched: 25355,
        disagreementCount: 0,
        commandErrors: 0,
      });
      expect(q!.translationsMatched).toBe(25355);
      expect(q!.disagreementCount).toBeGreaterThan(0);
      expect(q!.disagreementCount).toBe(25355 - q!.agree);
      // Correct invalidation keeps pages QEMU 7.2 dropped: QEMU missed where the model hits, never the reverse.
      expect(q!.simulatedHits - r.recordedHits).toBe(q!.disagreementCount);
      expect(q!.causes).toEqual({ 'alias-8bit': q!.disagreementCount });
      for (const d of q!.disagreements)
        expect(d).toMatchObject({ recorded: { hit: false }, simulated: { hit: true } });
    }, 60_000);
  });
});
