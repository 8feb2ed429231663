/**
 * Primary fault logging (VT-d 7.2, reference/vtd.md §6.1) driven by real
 * translations: NFR recording registers used round robin, compression of a
 * second fault from a source-id with one pending, overflow (PFO), the fault
 * event interrupt and its mask, FPD suppressing qualified faults only, and a
 * recorded fault reaching the host's handler as an unrecoverable iommu_fault.
 */
import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import type { LogRecord } from '../../../core/events/log/records.js';
import { ACCESS, NO_PASID, TranslationRequest, TranslationResult } from '../../../core/model/translation.js';
import type { JsonObject } from '../../../core/plugin/contract.js';
import { PluginHost } from '../../../core/plugin/host.js';
import { Simulator } from '../../../core/sim/simulator.js';
import { readRegisters } from '../commands/register-commands.js';
import { VTD_FAULT as F, isQualified } from '../fault-reasons.js';
import vtd from '../index.js';
import { attachDevice, createDomain, initRootTable, setPasidTableEntry } from '../setup.js';
import { EMPTY_PASID_ENTRY } from '../structures/pasid-entry.js';
import { type Fixture, makeFixture } from '../testing/test-unit.js';
import { uapiFaultReason } from './uapi-reason.js';

const BUS = 0x0300;

/** Legacy root table with one attached device (devfn 0x10); other devfns of the bus have no context entry. */
function legacy(nfr: number, fpd = false): Fixture {
  const f = makeFixture({ caps: { nfr } });
  initRootTable(f.hw, false);
  createDomain(f.hw, 1, 4, false);
  attachDevice(f.hw, BUS | 0x10, 1, 'sl', { fpd });
  return f;
}

const req = new TranslationRequest();
const out = new TranslationResult();

function dma(f: Fixture, sid: number, vpn: number, o: { pasid?: number; access?: number } = {}): number {
  req.sid = sid;
  req.pasid = o.pasid ?? NO_PASID;
  req.iovaPfn = vpn;
  req.access = o.access ?? ACCESS.READ;
  req.ats = false;
  f.hw.translate(req, out);
  return out.archCode;
}

const dropped = (f: Fixture) =>
  f.events.filter((e) => e.type === 'vtd.fault.dropped').map((e) => (e.data as { why: string }).why);

describe('fault recording registers', () => {
  it('fills NFR registers round robin, then overflows (PFO) and drops until PFO is cleared', () => {
    const f = legacy(3);
    const rec = f.hw.faultRecorder;
    for (const devfn of [0x11, 0x12, 0x13]) expect(dma(f, BUS | devfn, 5)).toBe(F.CONTEXT_ENTRY_NOT_PRESENT);
    expect(rec.records.map((r) => [r.F, r.sid, r.reason])).toEqual([
      [true, BUS | 0x11, 2],
      [true, BUS | 0x12, 2],
      [true, BUS | 0x13, 2],
    ]);
    expect(rec.fri).toBe(0);
    expect([rec.ppf, rec.pfo]).toEqual([true, false]);
    // The register at FRI still holds a fault: overflow.
    dma(f, BUS | 0x14, 5);
    expect(rec.pfo).toBe(true);
    expect(dropped(f)).toEqual(['overflow']);
    // Software frees register 0, but PFO stays set: still dropped.
    rec.clear(0);
    dma(f, BUS | 0x15, 5);
    expect(dropped(f)).toEqual(['overflow', 'overflow']);
    expect(rec.records[0]!.F).toBe(false);
    // PFO cleared: the next fault lands in register 0 (FRI).
    rec.clearOverflow();
    dma(f, BUS | 0x15, 6);
    expect(rec.records[0]).toMatchObject({ F: true, sid: BUS | 0x15, pfn: 6 });
    expect(f.reported.map((r) => r.sid)).toEqual([BUS | 0x11, BUS | 0x12, BUS | 0x13, BUS | 0x15]);
  });

  it('compresses a second fault from a source-id whose fault is still pending', () => {
    const f = legacy(4);
    expect(dma(f, BUS | 0x10, 0x40)).toBe(F.READ_NOT_PERMITTED);
    expect(dma(f, BUS | 0x10, 0x41, { access: ACCESS.WRITE })).toBe(F.WRITE_NOT_PERMITTED);
    expect(dropped(f)).toEqual(['compressed']);
    expect(f.hw.faultRecorder.records.filter((r) => r.F)).toHaveLength(1);
    expect(f.reported).toHaveLength(1);
    // Another source-id is not compressed.
    dma(f, BUS | 0x11, 0x41);
    expect(f.hw.faultRecorder.records.filter((r) => r.F)).toHaveLength(2);
    // Once software clears the pending record, the source-id records again (in the next register).
    f.hw.faultRecorder.clear(0);
    dma(f, BUS | 0x10, 0x42, { access: ACCESS.WRITE });
    expect(f.hw.faultRecorder.records[2]).toMatchObject({
      F: true,
      reason: F.WRITE_NOT_PERMITTED,
      pfn: 0x42,
    });
  });

  it('raises the fault event only when no fault was pending, and sets IP instead while masked', () => {
    const f = legacy(4);
    const rec = f.hw.faultRecorder;
    dma(f, BUS | 0x11, 1);
    dma(f, BUS | 0x12, 1);
    expect(rec.interrupts).toBe(1);
    rec.clear(0);
    rec.clear(1);
    rec.setMask(true);
    dma(f, BUS | 0x13, 1);
    expect([rec.interrupts, rec.ip]).toEqual([1, true]);
    // Unmasking delivers the pending interrupt and clears IP.
    rec.setMask(false);
    expect([rec.interrupts, rec.ip]).toEqual([2, false]);
    rec.setMask(false);
    expect(rec.interrupts).toBe(2);
  });

  it('raises no interrupt on overflow: the fault that fills the register still holds PPF', () => {
    const f = legacy(1);
    const rec = f.hw.faultRecorder;
    dma(f, BUS | 0x11, 1);
    expect(rec.interrupts).toBe(1);
    dma(f, BUS | 0x12, 1);
    expect([rec.pfo, rec.interrupts]).toEqual([true, 1]);
    rec.clearOverflow();
    rec.setMask(true);
    dma(f, BUS | 0x13, 1);
    expect([rec.pfo, rec.interrupts, rec.ip]).toEqual([true, 1, false]);
  });

  it('FSTS.FRI names the register of the first pending fault, where software starts reading', () => {
    const f = legacy(3);
    const rec = f.hw.faultRecorder;
    const fri = () => (readRegisters(f.hw).FSTS >>> 8) & 0xff;
    dma(f, BUS | 0x11, 1);
    expect([rec.records[0]!.F, fri()]).toEqual([true, 0]);
    dma(f, BUS | 0x12, 1);
    expect(fri()).toBe(0); // latched while PPF stays set
    rec.clear(0);
    rec.clear(1);
    dma(f, BUS | 0x13, 1); // PPF was clear: this fault, in register 2, is the first pending
    expect([rec.records[2]!.F, fri()]).toEqual([true, 2]);
    dma(f, BUS | 0x14, 1); // wraps to register 0
    expect([rec.records[0]!.sid, fri()]).toEqual([BUS | 0x14, 2]);
  });
});

describe('FPD and qualified faults', () => {
  it('drops a qualified fault of a device whose context entry has FPD, but the request still fails', () => {
    const f = legacy(4, true);
    expect(isQualified(F.READ_NOT_PERMITTED)).toBe(true);
    expect(dma(f, BUS | 0x10, 0x40)).toBe(F.READ_NOT_PERMITTED);
    expect(dropped(f)).toEqual(['fpd']);
    expect(f.hw.faultRecorder.ppf).toBe(false);
    expect(f.reported).toEqual([]);
    // The same fault from a device without FPD is recorded.
    const g = legacy(4, false);
    dma(g, BUS | 0x10, 0x40);
    expect(g.hw.faultRecorder.ppf).toBe(true);
  });

  it('records an unqualified fault even under FPD (PASID-table read error)', () => {
    const f = makeFixture();
    initRootTable(f.hw, true);
    createDomain(f.hw, 1, 4, false);
    const sid = BUS | 0x10;
    attachDevice(f.hw, sid, 1, 'sl', { fpd: true });
    // Point the directory entry of PASID 0 at memory that cannot be read.
    const ctp = Number((f.memory.read64(f.hw.rootTable + 16 * 3) ?? 0n) & ~0xfffn);
    const dirPtr = Number((f.memory.read64(ctp + 32 * 0x10) ?? 0n) & ~0xfffn);
    f.memory.write64(dirPtr, BigInt(2 ** 32) | 1n);
    expect(isQualified(F.SM_PASID_ENTRY_READ_ERROR)).toBe(false);
    expect(dma(f, sid, 5)).toBe(F.SM_PASID_ENTRY_READ_ERROR);
    expect(f.hw.faultRecorder.records[0]).toMatchObject({ F: true, reason: F.SM_PASID_ENTRY_READ_ERROR });
    expect(dropped(f)).toEqual([]);
  });

  it('honours FPD in a PASID entry and a directory entry that are not present', () => {
    const f = makeFixture();
    initRootTable(f.hw, true);
    createDomain(f.hw, 1, 4, false);
    const sid = BUS | 0x10;
    attachDevice(f.hw, sid, 1, 'sl');
    setPasidTableEntry(f.hw, sid, 1, { ...EMPTY_PASID_ENTRY, P: false, FPD: true });
    expect(dma(f, sid, 5, { pasid: 1 })).toBe(F.SM_PASID_ENTRY_NOT_PRESENT);
    // Directory entry of PASIDs 64..127: not present, FPD set.
    const ctp = Number((f.memory.read64(f.hw.rootTable + 16 * 3) ?? 0n) & ~0xfffn);
    const dirPtr = Number((f.memory.read64(ctp + 32 * 0x10) ?? 0n) & ~0xfffn);
    f.memory.write64(dirPtr + 8, 2n);
    expect(dma(f, sid, 5, { pasid: 64 })).toBe(F.SM_PASID_DIR_ENTRY_NOT_PRESENT);
    expect(dropped(f)).toEqual(['fpd', 'fpd']);
    // Without FPD the same not-present PASID is recorded.
    expect(dma(f, sid, 5, { pasid: 2 })).toBe(F.SM_PASID_ENTRY_NOT_PRESENT);
    expect(f.hw.faultRecorder.records[0]).toMatchObject({
      F: true,
      reason: F.SM_PASID_ENTRY_NOT_PRESENT,
      pasid: 2,
    });
  });

  it('treats the structure read and reserved-bit faults of reference/vtd.md §6.1 as unqualified', () => {
    const unqualified = [0x1, 0x8, 0x9, 0xa, 0xb, 0x38, 0x39, 0x3a, 0x40, 0x42, 0x50, 0x52, 0x58, 0x5a];
    for (const c of unqualified) expect(isQualified(c), `0x${c.toString(16)}`).toBe(false);
    const qualified = [0x2, 0x3, 0x4, 0x5, 0x6, 0x7, 0xc, 0xd, 0xe, 0x51, 0x59, 0x5b, 0x71, 0x85, 0x87];
    for (const c of qualified) expect(isQualified(c), `0x${c.toString(16)}`).toBe(true);
  });
});

describe('a recorded fault reaches the host', () => {
  it('as an unrecoverable iommu_fault with the reason, address, PASID and access', () => {
    const f = makeFixture();
    initRootTable(f.hw, true);
    createDomain(f.hw, 1, 4, false);
    attachDevice(f.hw, BUS | 0x10, 1, 'sl', { sre: true });
    dma(f, BUS | 0x10, 0x1234, { pasid: 0, access: ACCESS.WRITE | ACCESS.PRIV });
    expect(f.reported).toHaveLength(1);
    const { sid, fault } = f.reported[0]!;
    expect(sid).toBe(BUS | 0x10);
    expect(fault.type).toBe(1); // IOMMU_FAULT_DMA_UNRECOV
    expect(fault.event).toMatchObject({
      reason: uapiFaultReason(F.SM_SL_PTE_NOT_PRESENT),
      flags: 3, // PASID_VALID | ADDR_VALID
      pasid: 0,
      perm: 2 | 8, // write | privileged
      addr: 0x1234000n,
    });
    // A permission fault maps to IOMMU_FAULT_REASON_PERMISSION (6).
    expect(uapiFaultReason(F.SM_WRITE_DENIED)).toBe(6);
  });

  it('through the simulator: delivered to the registered handler, dropped without one', () => {
    const records: LogRecord[] = [];
    const sim = new Simulator(
      new PluginHost().use(vtd),
      {
        seed: 1,
        kernel: 'v5.10',
        memoryBytes: 64 * 1024 * 1024,
        units: [{ id: 'u0', plugin: 'vtd', options: { mode: 'legacy' } }],
        devices: [{ name: 'dev0', unit: 'u0', sid: 0x10 }],
      },
      [{ append: (r) => records.push(r) }],
    );
    const run = (type: string, data: JsonObject) => {
      const r = sim.execute({ type, data });
      if (!r.ok) throw new Error(`${type}: ${r.errno} ${r.detail}`);
      return r.value as JsonObject;
    };
    run('vtd.root.set', { unit: 'u0' });
    run('vtd.domain.create', { unit: 'u0', did: 1, levels: 4 });
    run('vtd.device.attach', { unit: 'u0', device: 'dev0', did: 1, mode: 'sl' });
    const events = (type: string) => records.filter((r) => r.kind === 'event' && r.type === type);

    expect(run('device.dma.access', { device: 'dev0', iova: '0x5000', access: 'r' }).code).toBe(
      F.READ_NOT_PERMITTED,
    );
    expect(events('core.fault.dropped')).toHaveLength(1);

    run('vtd.fault.clear', { unit: 'u0', index: 0 });
    run('uapi.fault.register', { device: 'dev0' });
    expect(run('device.dma.access', { device: 'dev0', iova: '0x7000', access: 'w' }).code).toBe(
      F.WRITE_NOT_PERMITTED,
    );
    const delivered = events('core.fault.delivered');
    expect(delivered).toHaveLength(1);
    const fault = delivered[0]!.data.fault as JsonObject;
    expect(fault.type).toBe(1);
    expect(fault.event).toMatchObject({ reason: uapiFaultReason(F.WRITE_NOT_PERMITTED), pasid: 0 });
    expect(JSON.stringify(fault.event)).toContain('7000');
    const regs = run('vtd.regs.read', { unit: 'u0' });
    expect((regs.FSTS as number) & 2, 'FSTS.PPF').toBe(2);
  });
});
