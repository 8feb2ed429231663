import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../scenario/run-cli.js';

const FIXTURE = join(import.meta.dirname, '../../plugins/vtd/trace/fixtures/alias-7.2.trace.log');

/** The trace commands as `viommu` runs them, in process (the CLI's own test entry). */
const cli = (args: string[]) => runCli(args);

describe('viommu trace', () => {
  it('import writes the scenario and its steps file and reports unused lines', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'trace-cli-'));
    const r = await cli(['trace', 'import', FIXTURE, '--out', dir, '--format', 'qemu-vtd']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/8 lookups \(3 QEMU IOTLB hits\), 4 descriptors/);
    expect(r.stdout).toMatch(/unused: vtd_ir_remap_msi_req 1, vtd_switch_address_space 1/);
    expect(JSON.parse(readFileSync(join(dir, 'alias-7.2.scenario.json'), 'utf8')).stepsFile).toBe(
      'alias-7.2.steps.jsonl',
    );
  });

  it('compare --json: one object; repeated --iotlb gives one design each; exit 0 whatever the agreement', async () => {
    const r = await cli(['trace', 'compare', FIXTURE, '--iotlb', 'qemu', '--iotlb', 'qemu-7.2', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({
      lookups: 8,
      recordedHits: 3,
      simulatedHits: 4,
      agree: 7,
      translationsMatched: 8,
    });
    expect(j.disagreements).toHaveLength(1);
    expect(j.designs.map((d: { design: string; agree: number }) => [d.design, d.agree])).toEqual([
      ['qemu', 7],
      ['qemu-7.2', 8],
    ]);
  });

  it("compare prints a table beside QEMU and names each disagreement's invalidation", async () => {
    const r = await cli(['trace', 'compare', FIXTURE, '--iotlb', 'qemu', '--iotlb', 'lru:4']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/QEMU \(trace\)\s+37\.50 %/);
    expect(r.stdout).toMatch(
      /line 37 01:00\.0 did 7 iova 0xffffd002: QEMU miss 0x19dcb000, simulated hit 0x19dcb000; line 30: vtd_inv_desc_iotlb_pages did 7 addr 0xffec0000 am 6 \(QEMU 7\.2 8-bit mask alias/,
    );
  });

  it('exit 4 for an unreadable trace, 2 for a bad design', async () => {
    expect((await cli(['trace', 'compare', '/nonexistent.trace.log'])).code).toBe(4);
    expect((await cli(['trace', 'import', '/nonexistent.trace.log', '--json'])).code).toBe(4);
    const bad = await cli(['trace', 'compare', FIXTURE, '--iotlb', 'lru:100:3']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/WAYS must divide ENTRIES/);
  });

  it('--help labels qemu-7.2 as a bug reproduction', async () => {
    const r = await cli(['trace', 'compare', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/qemu-7\.2 \(REPRODUCES A BUG/);
  });
});
