import { describe, expect, it } from 'vitest';
import type { DeviceConfig } from '../plugin/contract.js';
import { decode } from './codec.js';
import type { ErrnoCode } from './errno.js';
import { DeviceFaultParams } from './fault-params.js';
import type { IommuFault, IommuPageResponse } from './structs.js';
import type { VendorCall, VendorOps } from './vendor-ops.js';

const device: DeviceConfig = {
  name: 'dev0',
  unit: 'u0',
  sid: 1,
  pci: true,
  pasidBits: 20,
  ats: false,
  pri: true,
  auxDomain: false,
};
const call: VendorCall = { device, mm: 1 };
const LAST = 0x2;
const PASID_VALID = 0x1;
const NEEDS_PASID = 0x8;

function pageRequest(grpid: number, flags: number, pasid = 7): IommuFault {
  const f = decode('iommu_fault', new Uint8Array(64));
  return { ...f, type: 2, prm: { ...f.prm, flags, pasid, grpid, addr: 0x4000n } };
}
function unrecoverable(): IommuFault {
  const f = decode('iommu_fault', new Uint8Array(64));
  return { ...f, type: 1, event: { ...f.event, reason: 6, addr: 0x1000n } };
}
function response(grpid: number, flags = 0, pasid = 0, version = 1): IommuPageResponse {
  return { argsz: 0, version, flags, pasid, grpid, code: 0 };
}
function vendor(answer: ErrnoCode = 0) {
  const calls: { pending: IommuFault; msg: IommuPageResponse }[] = [];
  const ops: VendorOps = {
    pageResponse: (_c, pending, msg) => {
      calls.push({ pending, msg });
      return answer;
    },
  };
  return { ops, calls };
}
function withHandler(ret = 0): { p: DeviceFaultParams; seen: IommuFault[] } {
  const p = new DeviceFaultParams();
  const seen: IommuFault[] = [];
  expect(
    p.register((f) => {
      seen.push(f);
      return ret;
    }),
  ).toBe(0);
  return { p, seen };
}

describe('fault handler registration (§4.6)', () => {
  it('one handler per device: a second registration is EBUSY', () => {
    const { p } = withHandler();
    expect(p.register(() => 0)).toBe('EBUSY');
  });
  it('unregister: 0 without a handler, EBUSY while requests are pending, then 0', () => {
    const p = new DeviceFaultParams();
    expect(p.unregister()).toBe(0);
    const { p: q } = withHandler();
    q.reportDeviceFault(pageRequest(3, LAST));
    expect(q.unregister()).toBe('EBUSY');
    expect(q.pageResponse(response(3), vendor().ops, call).ok).toBe(true);
    expect(q.unregister()).toBe(0);
    expect(q.hasHandler).toBe(false);
  });
});

describe('iommu_report_device_fault (§4.7)', () => {
  it('EINVAL without a handler', () => {
    expect(new DeviceFaultParams().reportDeviceFault(unrecoverable())).toBe('EINVAL');
  });
  it('only LAST_PAGE page requests become pending; the handler sees every fault', () => {
    const { p, seen } = withHandler();
    expect(p.reportDeviceFault(unrecoverable())).toBe(0);
    expect(p.reportDeviceFault(pageRequest(1, 0))).toBe(0);
    expect(p.reportDeviceFault(pageRequest(2, LAST))).toBe(0);
    expect(seen).toHaveLength(3);
    expect(p.pending.map((f) => f.prm.grpid)).toEqual([2]);
  });
  it('a pending copy is dropped when the handler fails, and its errno returned', () => {
    const { p } = withHandler(-12);
    expect(p.reportDeviceFault(pageRequest(2, LAST))).toBe('ENOMEM');
    expect(p.pending).toHaveLength(0);
  });
  it('the pending copy is the core’s own: later changes to the reported object do not leak in', () => {
    const { p } = withHandler();
    const f = pageRequest(4, LAST);
    p.reportDeviceFault(f);
    f.prm.grpid = 99;
    expect(p.pending[0].prm.grpid).toBe(4);
  });
});

describe('iommu_page_response (§4.8)', () => {
  it('checks in order: op, handler, version, flags, empty list', () => {
    const p = new DeviceFaultParams();
    expect(p.pageResponse(response(1, 0, 0, 9), {}, call)).toMatchObject({ errno: 'ENODEV' });
    expect(p.pageResponse(response(1, 0, 0, 9), vendor().ops, call)).toMatchObject({
      errno: 'EINVAL',
      detail: /handler/,
    });
    const { p: q } = withHandler();
    expect(q.pageResponse(response(1, 0x2, 0, 9), vendor().ops, call)).toMatchObject({
      detail: /^version 9/,
    });
    expect(q.pageResponse(response(1, 0x2), vendor().ops, call)).toMatchObject({
      errno: 'EINVAL',
      detail: /^flags 0x2/,
    });
    expect(q.pageResponse(response(1), vendor().ops, call)).toMatchObject({
      errno: 'EINVAL',
      detail: 'no pending page request',
    });
  });

  it('argsz is never examined', () => {
    const { p } = withHandler();
    p.reportDeviceFault(pageRequest(1, LAST));
    expect(p.pageResponse({ ...response(1), argsz: 0xdead }, vendor().ops, call).ok).toBe(true);
  });

  it('matches by grpid, oldest first', () => {
    const { p } = withHandler();
    p.reportDeviceFault(pageRequest(1, LAST, 10));
    p.reportDeviceFault(pageRequest(2, LAST, 20));
    p.reportDeviceFault(pageRequest(2, LAST, 30));
    const v = vendor();
    const r = p.pageResponse(response(2), v.ops, call);
    expect(r.ok && r.value.matched.prm.pasid).toBe(20);
    expect(p.pending.map((f) => f.prm.pasid)).toEqual([10, 30]);
    expect(p.pageResponse(response(5), v.ops, call)).toMatchObject({ errno: 'EINVAL', detail: /grpid 5/ });
  });

  it('NEEDS_PASID: the response must carry PASID_VALID and the same PASID', () => {
    const { p } = withHandler();
    p.reportDeviceFault(pageRequest(3, LAST | PASID_VALID | NEEDS_PASID, 7));
    const v = vendor();
    expect(p.pageResponse(response(3), v.ops, call)).toMatchObject({ errno: 'EINVAL' });
    expect(p.pageResponse(response(3, PASID_VALID, 8), v.ops, call)).toMatchObject({ errno: 'EINVAL' });
    expect(v.calls).toHaveLength(0);
    const r = p.pageResponse(response(3, PASID_VALID, 7), v.ops, call);
    expect(r.ok && r.value.msg).toMatchObject({ flags: PASID_VALID, pasid: 7 });
  });

  it('without NEEDS_PASID a superfluous PASID is cleared from the message the vendor gets', () => {
    const { p } = withHandler();
    p.reportDeviceFault(pageRequest(3, LAST | PASID_VALID, 7));
    const v = vendor();
    const msg = response(3, PASID_VALID, 7);
    const r = p.pageResponse(msg, v.ops, call);
    expect(r.ok && r.value.msg).toMatchObject({ flags: 0, pasid: 0 });
    expect(v.calls[0].msg).toMatchObject({ flags: 0, pasid: 0 });
  });

  it('a NEEDS_PASID request is skipped in favour of a later one the message satisfies', () => {
    const { p } = withHandler();
    p.reportDeviceFault(pageRequest(3, LAST | PASID_VALID | NEEDS_PASID, 7));
    p.reportDeviceFault(pageRequest(3, LAST, 0));
    const r = p.pageResponse(response(3), vendor().ops, call);
    expect(r.ok && r.value.matched.prm.flags).toBe(LAST);
    expect(p.pending).toHaveLength(1);
  });

  it('the matched request is removed even when the vendor fails', () => {
    const { p } = withHandler();
    p.reportDeviceFault(pageRequest(3, LAST));
    expect(p.pageResponse(response(3), vendor('ENODEV').ops, call)).toEqual({
      ok: false,
      errno: 'ENODEV',
      detail: 'vendor page_response returned ENODEV',
    });
    expect(p.pending).toHaveLength(0);
  });
});
