import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../../core/scenario/load.js';
import { importTrace } from './import-trace.js';
import { QemuVtdImporter } from './qemu-vtd-importer.js';
import { forEachLine, TraceInputError } from './trace-lines.js';

const FIXTURE = join(import.meta.dirname, 'fixtures', 'alias-7.2.trace.log');
/** The real trace of shared/data/qemu-vtd (1 MB, not in the repository). */
// The real sample lives in shared/, beside the repository (as CI lays it out).
const SAMPLE =
  process.env.VIOMMU_QEMU_VTD_SAMPLE ??
  join(import.meta.dirname, '../../../../shared/data/qemu-vtd/legacy-strict-cm0.trace.log.gz');

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'vtd-trace-'));
}

describe('QEMU VT-d trace import', () => {
  it('infers devices, domains, ATS and the mode, and writes the streamed step form', async () => {
    const dir = tmp();
    const r = await importTrace(FIXTURE, dir);
    const s = r.summary;
    expect(s.mode).toBe('legacy');
    expect(s.devices).toEqual([
      { name: '00:04.0', sid: 0x20, did: 5, ats: false, lookups: 2 },
      { name: '01:00.0', sid: 0x100, did: 7, ats: true, lookups: 6 },
    ]);
    expect(s.domains).toEqual([
      { did: 5, levels: 3 },
      { did: 7, levels: 3 },
    ]);
    expect(s.lookups).toBe(8);
    expect(s.hits).toBe(3);
    expect(s.descriptors).toBe(4);
    expect(s.unused).toEqual({ vtd_ir_remap_msi_req: 1, vtd_switch_address_space: 1 });
    const steps = readFileSync(r.steps, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(steps.length).toBe(r.stepCount);
    // Every queued descriptor verbatim, one submit per tail write.
    const submits = steps.filter((x) => x.type === 'vtd.qi.submit').map((x) => x.data.descriptors);
    expect(submits).toEqual([
      [
        ['0x11', '0x0'],
        ['0x200000025', '0x105202c'],
      ],
      [
        ['0x700f2', '0xffec0006'],
        ['0x200000025', '0x105210c'],
      ],
    ]);
    // The re-mapped IOVA is mapped again before the lookup that showed the new PTE; the page whose
    // PTE did not change is not.
    const maps = steps
      .filter((x) => x.type === 'vtd.pt.map')
      .map((x) => [x.data.iova, x.data.pa, x.data.perm]);
    expect(maps).toEqual([
      ['0x00000000ffffd000', '0x0000000019dcb000', 'rw'],
      ['0x00000000ffec0000', '0x0000000002c00000', 'r'],
      ['0x00000000fffff000', '0x000000001b7f2000', 'rw'],
      ['0x00000000ffec0000', '0x0000000003000000', 'rw'],
    ]);
    expect(steps.filter((x) => x.label !== undefined).map((x) => x.label)).toEqual(['modprobe', 'unmap']);
    expect(steps.at(-1)).toEqual({ type: 'vtd.translation.enable', data: { enable: false } });
    // The scenario header validates as a scenario once its steps file is set aside.
    const sc = JSON.parse(readFileSync(r.scenario, 'utf8'));
    expect(sc.stepsFile).toBe('alias-7.2.steps.jsonl');
    expect(sc.targets[0].options.caches.iotlb.policy).toBe('qemu-7.2');
    const { stepsFile: _, ...rest } = sc;
    expect(() =>
      parseScenario(JSON.stringify({ ...rest, steps: steps.slice(0, 40) }), r.scenario),
    ).not.toThrow();
  });

  it('reads gzip and plain text alike', async () => {
    const dir = tmp();
    const gz = join(dir, 'x.trace.log.gz');
    writeFileSync(gz, gzipSync(readFileSync(FIXTURE)));
    const plain = await importTrace(FIXTURE, dir, { console: null });
    const zipped = await importTrace(gz, dir, { console: null });
    expect(zipped.summary).toEqual(plain.summary);
    expect(readFileSync(zipped.steps, 'utf8')).toBe(readFileSync(plain.steps, 'utf8'));
  });

  it('reads the field names of later QEMU releases (pte for slpte, an ISO time prefix)', async () => {
    const dir = tmp();
    const f = join(dir, 'new.trace.log');
    const text = readFileSync(FIXTURE, 'latin1')
      .split('\n')
      .map((l) => (l === '' ? l : `2026-12-07T11:00:00.000000Z ${l.replace(' slpte ', ' pte ')}`))
      .join('\n');
    writeFileSync(f, text);
    const a = await importTrace(FIXTURE, dir, { console: null });
    const b = await importTrace(f, dir, { console: null });
    expect(b.summary.lookups).toBe(a.summary.lookups);
    expect(b.summary.records).toEqual(a.summary.records);
  });

  it('a malformed line of a used event is an input error naming the file and line', async () => {
    const dir = tmp();
    const f = join(dir, 'bad.trace.log');
    const lines = readFileSync(FIXTURE, 'latin1').split('\n');
    lines[15] = lines[15]!.replace('iova 0xffffd002', 'iova 0xzz');
    writeFileSync(f, lines.join('\n'));
    await expect(importTrace(f, dir)).rejects.toThrow(TraceInputError);
    await expect(importTrace(f, dir)).rejects.toThrow(
      /bad\.trace\.log line 16: vtd_iotlb_page_update: cannot read iova/,
    );
    // An unused event's text is never read.
    lines[15] = readFileSync(FIXTURE, 'latin1').split('\n')[15]!;
    lines[1] = '26245@1795537110.518235:vtd_switch_address_space garbage';
    writeFileSync(f, lines.join('\n'));
    await expect(importTrace(f, dir)).resolves.toBeDefined();
  });

  it('an unreadable trace is an input error', async () => {
    await expect(importTrace('/nonexistent/x.trace.log', tmp())).rejects.toThrow(/cannot read/);
  });

  // The whole real trace lives outside the repository (shared/data/qemu-vtd); skipped where absent.
  describe.skipIf(!existsSync(SAMPLE))('the real sample (legacy, strict, caching mode off)', () => {
    it('imports as many records of each event as the trace holds (shared/data/qemu-vtd/README.md)', async () => {
      const counts = new Map<string, number>();
      const imp = new QemuVtdImporter({ command() {}, lookup() {} }, { file: SAMPLE });
      await forEachLine(SAMPLE, (l, n) => imp.line(l, n));
      const s = imp.finish();
      for (const [k, v] of Object.entries(s.records)) counts.set(k, v);
      expect(Object.fromEntries(counts)).toMatchObject({
        vtd_dmar_translate: 25355,
        vtd_iotlb_page_hit: 12851,
        vtd_iotlb_page_update: 12504,
        vtd_iotlb_cc_hit: 12501,
        vtd_inv_desc: 22790,
        vtd_inv_desc_iotlb_pages: 5948,
        vtd_inv_desc_wait_sw: 11395,
        vtd_inv_desc_iotlb_global: 1,
        vtd_inv_desc_cc_global: 1,
        vtd_context_cache_reset: 5,
        vtd_iotlb_cc_update: 3,
        vtd_dmar_enable: 2,
      });
      expect(s.unused.vtd_switch_address_space).toBe(54);
      expect(s.lookups).toBe(25355);
      expect(s.hits).toBe(12851);
      expect(s.descriptors).toBe(22790);
      expect(s.faults).toBe(0);
      expect(s.devices.map((d) => [d.sid, d.did, d.ats])).toEqual([
        [0x20, 5, false],
        [0x100, 7, true],
        [0x200, 8, false],
      ]);
    });
  });
});
