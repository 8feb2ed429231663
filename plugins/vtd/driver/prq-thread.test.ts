import { describe, expect, it } from 'vitest';
import type { PageRequestInput } from '../../../core/plugin/contract.js';
import { decodePageGroupResponse } from '../page-requests/page-group-response.js';
import { allocPasid, bindData, pciDevice, type Rig, rig } from './test-support.js';

function request(over: Partial<PageRequestInput> = {}): PageRequestInput {
  return {
    pasid: 1,
    addr: 0x7f00_1234_5000n,
    read: true,
    write: false,
    exec: false,
    priv: false,
    grpid: 0x42,
    last: true,
    privateData: null,
    ...over,
  };
}

/** A rig with the device bound (guest mode) to a freshly allocated PASID. */
function bound(o: Parameters<typeof rig>[0] = {}): Rig & { pasid: number } {
  const r = rig(o);
  const pasid = allocPasid(r.driver);
  expect(r.driver.ops.bindGpasid!({ device: r.device, mm: 0x77 }, bindData({ hpasid: BigInt(pasid) }))).toBe(
    0,
  );
  return { ...r, pasid };
}

/** Page group responses the driver sent, decoded from the descriptors it submitted. */
function responses(r: Rig) {
  return r.hw.descriptors.filter((d) => (d[0]! & 0xfn) === 9n).map((d) => decodePageGroupResponse(d));
}

describe('page request -> iommu_fault (uapi.md §5.5)', () => {
  it('reports a page-request fault with grpid, perm, flags and the byte address', () => {
    const r = bound();
    expect(
      r.driver.pageRequest(r.device, request({ pasid: r.pasid, write: true, exec: true, priv: true })),
    ).toBe(0);
    expect(r.faults.reports).toHaveLength(1);
    const { sid, fault } = r.faults.reports[0]!;
    expect(sid).toBe(0x108);
    expect(fault.type).toBe(2);
    expect(fault.prm).toEqual({
      flags: 0x2 | 0x1 | 0x8, // LAST_PAGE | PASID_VALID | NEEDS_PASID
      pasid: r.pasid,
      grpid: 0x42,
      perm: 0xf,
      addr: 0x7f00_1234_5000n, // field << 12, not the raw page frame
      private_data: [0n, 0n],
    });
    expect(responses(r)).toEqual([]); // the guest answers, not the driver
    expect(r.events.of('vtd.prq.queued')).toHaveLength(1);
    expect(r.events.of('vtd.driver.prq.reported')[0]).toMatchObject({ result: 0, flags: 0xb, perm: 0xf });
  });

  it('a request that is not last in its group has no LAST_PAGE', () => {
    const r = bound();
    r.driver.pageRequest(r.device, request({ pasid: r.pasid, last: false, grpid: 3 }));
    expect(r.faults.reports[0]!.fault.prm).toMatchObject({ flags: 0x9, grpid: 3, perm: 1 });
  });

  it('private data forces LAST_PAGE and PRIV_DATA and is copied', () => {
    const r = bound();
    r.driver.pageRequest(r.device, request({ pasid: r.pasid, last: false, privateData: [0xdeadn, 0xbeefn] }));
    expect(r.faults.reports[0]!.fault.prm).toMatchObject({
      flags: 0x2 | 0x4 | 0x1 | 0x8,
      private_data: [0xdeadn, 0xbeefn],
    });
  });

  it('a stop marker is consumed without report or response', () => {
    const r = bound();
    r.driver.pageRequest(r.device, request({ pasid: r.pasid, read: false, write: false, last: true }));
    expect(r.faults.reports).toEqual([]);
    expect(responses(r)).toEqual([]);
    expect(r.events.of('vtd.driver.prq.dropped')[0]).toMatchObject({ reason: 'stop-marker' });
  });

  it('non-canonical address (48-bit) -> Invalid response', () => {
    const r = bound();
    r.driver.pageRequest(r.device, request({ pasid: r.pasid, addr: 0x0000_8000_0000_0000n }));
    expect(r.faults.reports).toEqual([]);
    expect(responses(r)).toMatchObject([{ code: 1, lpig: true, prgIndex: 0x42, pasid: r.pasid, rid: 0x108 }]);
    // Canonical upper half and, with LA57, a 57-bit address are fine.
    r.driver.pageRequest(r.device, request({ pasid: r.pasid, addr: 0xffff_8000_0000_0000n }));
    expect(r.faults.reports).toHaveLength(1);
    const r57 = bound({ options: { cpu5LevelPaging: true } });
    r57.driver.pageRequest(r57.device, request({ pasid: r57.pasid, addr: 0x0000_8000_0000_0000n }));
    expect(r57.faults.reports).toHaveLength(1);
  });

  it('v5.13 answers Invalid to privileged R/W and to execute+read requests; v5.10 reports them', () => {
    const odd = [
      { priv: true, read: true },
      { priv: true, read: false, write: true },
      { exec: true, read: true },
    ];
    for (const over of odd) {
      const r13 = bound({ options: { kernel: 'v5.13' } });
      r13.driver.pageRequest(r13.device, request({ pasid: r13.pasid, ...over }));
      expect(r13.faults.reports).toEqual([]);
      expect(responses(r13)).toMatchObject([{ code: 1, lpig: true, prgIndex: 0x42, pasid: r13.pasid }]);
      const r10 = bound();
      r10.driver.pageRequest(r10.device, request({ pasid: r10.pasid, ...over }));
      expect(r10.faults.reports).toHaveLength(1);
      expect(responses(r10)).toEqual([]);
    }
    // Execute without read, privileged or not, still goes to the guest (not last in its group:
    // with LPIG and neither R nor W it would be a stop marker).
    const r = bound({ options: { kernel: 'v5.13' } });
    expect(
      r.driver.pageRequest(r.device, request({ pasid: r.pasid, read: false, exec: true, last: false })),
    ).toBe(0);
    expect(
      r.driver.pageRequest(
        r.device,
        request({ pasid: r.pasid, read: false, exec: true, priv: true, last: false }),
      ),
    ).toBe(0);
    expect(r.faults.reports).toHaveLength(2);
    expect(r.events.of('vtd.driver.prq.dropped')).toEqual([]);
  });

  it('request without PASID, or for an unbound PASID, gets Invalid only when a response is due', () => {
    const r = bound();
    r.driver.pageRequest(r.device, request({ pasid: null }));
    r.driver.pageRequest(r.device, request({ pasid: 0x999, last: false }));
    r.driver.pageRequest(r.device, request({ pasid: 0x999, last: true, grpid: 7 }));
    expect(r.faults.reports).toEqual([]);
    expect(responses(r)).toMatchObject([
      { code: 1, pasidPresent: false, prgIndex: 0x42 },
      { code: 1, pasidPresent: true, pasid: 0x999, prgIndex: 7 },
    ]);
    expect(r.events.noted()).toEqual([
      'vtd.prq.request-without-pasid',
      'vtd.prq.invalid-pasid',
      'vtd.prq.invalid-pasid',
    ]);
  });

  it('bad request with private data: v5.10 zeroes the private data in the response (noted)', () => {
    const r = bound();
    r.driver.pageRequest(r.device, request({ pasid: 0x999, last: false, privateData: [5n, 6n] }));
    expect(responses(r)).toMatchObject([
      { code: 1, privateDataPresent: true, lpig: false, privateData: [0n, 0n] },
    ]);
    expect(r.events.noted()).toContain('vtd.prq.private-data-not-echoed');
  });

  it('another device on the same PASID that is not bound -> Invalid', () => {
    const r = bound();
    const other = pciDevice({ name: 'other', sid: 0x200 });
    r.driver.addDevice(other);
    r.driver.pageRequest(other, request({ pasid: r.pasid }));
    expect(r.faults.reports).toEqual([]);
    expect(responses(r)).toMatchObject([{ rid: 0x200, code: 1 }]);
  });

  it('the core refusing the fault (no handler) makes it a bad request', () => {
    const r = bound();
    r.faults.result = 'EINVAL';
    r.driver.pageRequest(r.device, request({ pasid: r.pasid }));
    expect(r.faults.reports).toHaveLength(1);
    expect(responses(r)).toMatchObject([{ code: 1 }]);
  });

  it('rejects what hardware could not send: no PRS -> ENODEV, PRI off or bad fields -> EINVAL', () => {
    expect(rig({ caps: { prs: false } }).driver.pageRequest(pciDevice(), request())).toBe('ENODEV');
    const r = rig();
    expect(r.driver.pageRequest(pciDevice({ sid: 0x777, name: 'z' }), request())).toBe('ENODEV');
    expect(rig({ device: { pri: false } }).driver.pageRequest(pciDevice({ pri: false }), request())).toBe(
      'EINVAL',
    );
    expect(r.driver.pageRequest(r.device, request({ grpid: 512 }))).toBe('EINVAL');
    expect(r.driver.pageRequest(r.device, request({ pasid: 0x10_0000 }))).toBe('EINVAL');
    expect(r.driver.pageRequest(r.device, request({ addr: 0x1001n }))).toBe('EINVAL');
    expect(r.events.of('vtd.prq.queued')).toEqual([]);
  });
});

describe('PRQ overflow (PRS.PRO)', () => {
  it('a held thread lets the ring fill; the next request is dropped with PRO and a hardware Success', () => {
    const r = bound();
    expect(r.driver.command('vtd.prq.hold', {})).toEqual({ ok: true, value: { queued: 0 } });
    for (let i = 0; i < 127; i++) {
      expect(r.driver.pageRequest(r.device, request({ pasid: r.pasid, grpid: i, last: false }))).toBe(0);
    }
    expect(r.faults.reports).toEqual([]);
    expect(
      r.driver.pageRequest(r.device, request({ pasid: r.pasid, grpid: 300, privateData: [1n, 2n] })),
    ).toBe(0);
    expect(r.events.of('vtd.prq.overflowed')).toEqual([
      { unit: 'vtd0', sid: 0x108, pasid: r.pasid, grpid: 300, lpig: true, dropped: 1 },
    ]);
    const auto = r.events.of('vtd.driver.response.sent');
    expect(auto).toHaveLength(1);
    expect(auto[0]).toMatchObject({ source: 'overflow', code: 0, grpid: 300 });
    expect(decodePageGroupResponse((auto[0]!.descriptor as string[]).map((h) => BigInt(h)))).toMatchObject({
      code: 0,
      lpig: true,
      privateDataPresent: true,
      privateData: [1n, 2n],
    });
    // A dropped stop marker needs no answer at all.
    r.driver.pageRequest(r.device, request({ pasid: r.pasid, read: false, grpid: 301 }));
    expect(r.events.of('vtd.driver.response.sent')).toHaveLength(1);
    expect(r.driver.digestState()).toMatchObject({
      prq: { pro: true, head: 0, tail: 127, overflows: 2, thread: 'held' },
    });

    // Draining handles all 127 in order, then clears PRO.
    expect(r.driver.command('vtd.prq.drain', {})).toEqual({ ok: true, value: { handled: 127 } });
    expect(r.faults.reports.map((x) => x.fault.prm.grpid)).toEqual([...Array(127).keys()]);
    expect(r.events.of('vtd.prq.overflow-cleared')).toEqual([{ unit: 'vtd0', dropped: 2 }]);
    expect(r.driver.digestState()).toMatchObject({ prq: { pro: false, head: 127, tail: 127 } });
  });

  it('release returns to immediate handling', () => {
    const r = bound();
    r.driver.command('vtd.prq.hold', {});
    r.driver.pageRequest(r.device, request({ pasid: r.pasid }));
    expect(r.faults.reports).toHaveLength(0);
    expect(r.driver.command('vtd.prq.release', {})).toEqual({ ok: true, value: { handled: 1 } });
    r.driver.pageRequest(r.device, request({ pasid: r.pasid }));
    expect(r.faults.reports).toHaveLength(2);
  });

  it('unbind drains queued requests for the PASID; the device is already unlinked, so they get Invalid', () => {
    const r = bound();
    r.driver.command('vtd.prq.hold', {});
    r.driver.pageRequest(r.device, request({ pasid: r.pasid }));
    expect(r.driver.ops.unbindGpasid!({ device: r.device, mm: 0x77 }, r.pasid)).toBe(0);
    expect(r.faults.reports).toEqual([]);
    expect(responses(r)).toMatchObject([{ code: 1, pasid: r.pasid }]);
    expect(r.events.of('vtd.driver.prq.dropped')[0]).toMatchObject({ reason: 'device-not-bound' });
    expect(r.driver.digestState()).toMatchObject({ prq: { head: 1, tail: 1 } });
  });

  it('prqOrder sizes the ring', () => {
    const r = bound({ options: { prqOrder: 1, prqThread: 'held' } });
    for (let i = 0; i < 255; i++) r.driver.pageRequest(r.device, request({ pasid: r.pasid, last: false }));
    expect(r.events.of('vtd.prq.overflowed')).toEqual([]);
    r.driver.pageRequest(r.device, request({ pasid: r.pasid, last: false }));
    expect(r.events.of('vtd.prq.overflowed')).toHaveLength(1);
  });
});
