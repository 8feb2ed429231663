import { describe, expect, it } from 'vitest';
import type { IommuFault, IommuPageResponse } from '../../../core/uapi/structs.js';
import { decodePageGroupResponse } from '../page-requests/page-group-response.js';
import { allocPasid, bindData, bits, pciDevice, type Rig, rig } from './test-support.js';

function bound(o: Parameters<typeof rig>[0] = {}): Rig & { pasid: number } {
  const r = rig(o);
  const pasid = allocPasid(r.driver);
  expect(r.driver.ops.bindGpasid!({ device: r.device, mm: 0x77 }, bindData({ hpasid: BigInt(pasid) }))).toBe(
    0,
  );
  return { ...r, pasid };
}

function pending(pasid: number, over: Partial<IommuFault['prm']> = {}): IommuFault {
  return {
    type: 2,
    padding: 0,
    event: { reason: 0, flags: 0, pasid: 0, perm: 0, addr: 0n, fetch_addr: 0n },
    prm: { flags: 0xb, pasid, grpid: 0x1a, perm: 1, addr: 0x1000n, private_data: [0n, 0n], ...over },
  };
}

const msg = (code: number, over: Partial<IommuPageResponse> = {}): IommuPageResponse => ({
  argsz: 24,
  version: 1,
  flags: 1,
  pasid: 0,
  grpid: 0x1a,
  code,
  ...over,
});

function sent(r: Rig) {
  return r.hw.descriptors.filter((d) => bits(d[0]!, 0, 4) === 9);
}

describe('pageResponse checks (uapi.md §5.6)', () => {
  it('non-PCI or unknown device -> ENODEV', () => {
    const r = bound();
    expect(
      r.driver.ops.pageResponse!({ device: pciDevice({ pci: false }), mm: 0x77 }, pending(r.pasid), msg(0)),
    ).toBe('ENODEV');
    expect(
      r.driver.ops.pageResponse!(
        { device: pciDevice({ sid: 5, name: 'q' }), mm: 0x77 },
        pending(r.pasid),
        msg(0),
      ),
    ).toBe('ENODEV');
  });

  it('pending request without PASID -> EINVAL; PASID 0 or >= 2^20 -> EINVAL', () => {
    const r = bound();
    const c = { device: r.device, mm: 0x77 };
    expect(r.driver.ops.pageResponse!(c, pending(r.pasid, { flags: 0x2 }), msg(0))).toBe('EINVAL');
    expect(r.driver.ops.pageResponse!(c, pending(0), msg(0))).toBe('EINVAL');
    expect(r.driver.ops.pageResponse!(c, pending(0x10_0000), msg(0))).toBe('EINVAL');
  });

  it('PASID not allocated, not bound, or bound to another device -> ENODEV', () => {
    const r = bound();
    const c = { device: r.device, mm: 0x77 };
    expect(r.driver.ops.pageResponse!(c, pending(0x500), msg(0))).toBe('ENODEV');
    const free = allocPasid(r.driver);
    expect(r.driver.ops.pageResponse!(c, pending(free), msg(0))).toBe('ENODEV');
    const other = pciDevice({ name: 'other', sid: 0x200 });
    r.driver.addDevice(other);
    expect(r.driver.ops.pageResponse!({ device: other, mm: 0x77 }, pending(r.pasid), msg(0))).toBe('ENODEV');
  });

  it('guest mode: caller without mm -> EINVAL; another process -> ENODEV', () => {
    const r = bound();
    expect(r.driver.ops.pageResponse!({ device: r.device, mm: 0 }, pending(r.pasid), msg(0))).toBe('EINVAL');
    expect(r.driver.ops.pageResponse!({ device: r.device, mm: 0x78 }, pending(r.pasid), msg(0))).toBe(
      'ENODEV',
    );
    expect(sent(r)).toEqual([]);
  });
});

describe('page group response descriptor', () => {
  it('echoes RID, PASID, group index, LPIG with the code copied verbatim', () => {
    const r = bound();
    expect(r.driver.ops.pageResponse!({ device: r.device, mm: 0x77 }, pending(r.pasid), msg(0))).toBe(0);
    const [d] = sent(r);
    expect(d![0]).toBe((BigInt(r.pasid) << 32n) | 0x0108_0019n);
    expect(d![1]).toBe((0x1an << 3n) | 4n);
    expect(r.events.of('vtd.driver.response.sent')[0]).toMatchObject({
      source: 'page-response',
      code: 0,
      lpig: true,
    });
  });

  it('INVALID (1) is 1 and FAILURE (2) stays 2, not the architectural 0xF', () => {
    const r = bound();
    const c = { device: r.device, mm: 0x77 };
    r.driver.ops.pageResponse!(c, pending(r.pasid), msg(1));
    r.driver.ops.pageResponse!(c, pending(r.pasid), msg(2));
    expect(sent(r).map((d) => decodePageGroupResponse(d).code)).toEqual([1, 2]);
  });

  it('0xF only when asked for deliberately (responseCodes: architectural)', () => {
    const r = bound({ options: { responseCodes: 'architectural' } });
    const c = { device: r.device, mm: 0x77 };
    r.driver.ops.pageResponse!(c, pending(r.pasid), msg(2));
    r.driver.ops.pageResponse!(c, pending(r.pasid), msg(1));
    expect(sent(r).map((d) => decodePageGroupResponse(d).code)).toEqual([0xf, 1]);
  });

  it('a code above 0xF is not masked: it spills into the requester id (noted)', () => {
    const r = bound();
    r.driver.ops.pageResponse!({ device: r.device, mm: 0x77 }, pending(r.pasid), msg(0x10));
    expect(decodePageGroupResponse(sent(r)[0]!)).toMatchObject({ code: 0, rid: 0x109 });
    expect(r.events.noted()).toEqual(['vtd.page-response.code-overflows-field']);
  });

  it('private data is echoed with PDP (and the forced LAST_PAGE becomes LPIG)', () => {
    const r = bound();
    const p = pending(r.pasid, { flags: 0x1 | 0x2 | 0x4 | 0x8, private_data: [0x11n, 0x22n] });
    r.driver.ops.pageResponse!({ device: r.device, mm: 0x77 }, p, msg(0));
    expect(decodePageGroupResponse(sent(r)[0]!)).toMatchObject({
      privateDataPresent: true,
      privateData: [0x11n, 0x22n],
      lpig: true,
    });
  });

  it('no LAST_PAGE and no private data: nothing to send, still 0', () => {
    const r = bound();
    expect(
      r.driver.ops.pageResponse!({ device: r.device, mm: 0x77 }, pending(r.pasid, { flags: 0x9 }), msg(0)),
    ).toBe(0);
    expect(sent(r)).toEqual([]);
  });

  it('end to end: a reported request answered by the guest', () => {
    const r = bound();
    r.driver.pageRequest(r.device, {
      pasid: r.pasid,
      addr: 0x4000n,
      read: true,
      write: true,
      exec: false,
      priv: false,
      grpid: 0x1ff,
      last: true,
      privateData: null,
    });
    const { fault } = r.faults.reports[0]!;
    expect(r.driver.ops.pageResponse!({ device: r.device, mm: 0x77 }, fault, msg(0, { grpid: 0x1ff }))).toBe(
      0,
    );
    expect(decodePageGroupResponse(sent(r)[0]!)).toEqual({
      type: 9,
      rid: 0x108,
      pasidPresent: true,
      pasid: r.pasid,
      privateDataPresent: false,
      code: 0,
      lpig: true,
      prgIndex: 0x1ff,
      privateData: [0n, 0n],
    });
  });
});
