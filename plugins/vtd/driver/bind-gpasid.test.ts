import { describe, expect, it } from 'vitest';
import type { VendorCall } from '../../../core/uapi/vendor-ops.js';
import { decodePasidEntry, PGTT, readPasidEntryWords } from '../structures/pasid-entry.js';
import { allocPasid, bindData, bits, NESTING_DOMAIN, pciDevice, type Rig, rig } from './test-support.js';

const call = (r: Rig, mm = 0x77): VendorCall => ({ device: r.device, mm });

function entryOf(r: Rig, pasid: number) {
  const pa = r.hw.pasidEntryAddress(r.device.sid, pasid, false);
  if (pa === undefined) return undefined;
  return decodePasidEntry(readPasidEntryWords(r.hw.memory, pa)!);
}

describe('bindGpasid checks, in order (uapi.md §5.2-5.3)', () => {
  it('unknown device -> EINVAL (no IOMMU for it)', () => {
    const r = rig();
    expect(r.driver.ops.bindGpasid!({ device: pciDevice({ sid: 9, name: 'x' }), mm: 1 }, bindData())).toBe(
      'EINVAL',
    );
  });

  it('format other than INTEL_VTD (0 passes the core) -> EINVAL', () => {
    const r = rig();
    const p = allocPasid(r.driver);
    expect(r.driver.ops.bindGpasid!(call(r), bindData({ format: 0, hpasid: BigInt(p) }))).toBe('EINVAL');
  });

  it('argsz < 72 -> EINVAL; argsz above 72 is fine', () => {
    const r = rig();
    const p = allocPasid(r.driver);
    expect(r.driver.ops.bindGpasid!(call(r), bindData({ argsz: 71, hpasid: BigInt(p) }))).toBe('EINVAL');
    expect(r.driver.ops.bindGpasid!(call(r), bindData({ argsz: 4096, hpasid: BigInt(p) }))).toBe(0);
  });

  it('vendor flags: bit 6 (WPE) is undefined in v5.10, legal in v5.13; bit 7 never', () => {
    const r10 = rig();
    const p10 = BigInt(allocPasid(r10.driver));
    expect(r10.driver.ops.bindGpasid!(call(r10), bindData({ hpasid: p10, vtdFlags: 0x41n }))).toBe('EINVAL');
    expect(r10.driver.ops.bindGpasid!(call(r10), bindData({ hpasid: p10, vtdFlags: 1n << 40n }))).toBe(
      'EINVAL',
    );
    const r13 = rig({ options: { kernel: 'v5.13' } });
    const p13 = BigInt(allocPasid(r13.driver));
    expect(r13.driver.ops.bindGpasid!(call(r13), bindData({ hpasid: p13, vtdFlags: 0x80n }))).toBe('EINVAL');
    expect(r13.driver.ops.bindGpasid!(call(r13), bindData({ hpasid: p13, vtdFlags: 0x41n }))).toBe(0);
    const e = entryOf(r13, Number(p13))!;
    expect(e.SRE && e.WPE).toBe(true);
  });

  it('WPE without SRE is accepted but has no effect (v5.13)', () => {
    const r = rig({ options: { kernel: 'v5.13' } });
    const p = allocPasid(r.driver);
    expect(r.driver.ops.bindGpasid!(call(r), bindData({ hpasid: BigInt(p), vtdFlags: 0x40n }))).toBe(0);
    expect(entryOf(r, p)!.WPE).toBe(false);
  });

  it('non-PCI device -> ENOTSUPP (524), after the format/argsz/flags checks', () => {
    const r = rig({ device: { pci: false } });
    const p = BigInt(allocPasid(r.driver));
    expect(r.driver.ops.bindGpasid!(call(r), bindData({ hpasid: p }))).toBe('ENOTSUPP');
    expect(r.driver.ops.bindGpasid!(call(r), bindData({ hpasid: p, format: 2 }))).toBe('EINVAL');
  });

  it('device PASID width other than 20 bits -> EINVAL', () => {
    const r = rig({ device: { pasidBits: 16 } });
    expect(r.driver.ops.bindGpasid!(call(r), bindData({ hpasid: BigInt(allocPasid(r.driver)) }))).toBe(
      'EINVAL',
    );
  });

  it('hpasid 0 or >= 2^20 -> EINVAL; the guest PASID is not range-checked', () => {
    const r = rig();
    expect(r.driver.ops.bindGpasid!(call(r), bindData({ hpasid: 0n }))).toBe('EINVAL');
    expect(r.driver.ops.bindGpasid!(call(r), bindData({ hpasid: 0x10_0000n }))).toBe('EINVAL');
    const p = allocPasid(r.driver);
    expect(
      r.driver.ops.bindGpasid!(call(r), bindData({ hpasid: BigInt(p), gpasid: 0xffff_ffff_ffffn })),
    ).toBe(0);
  });

  it('no domain for the device -> EINVAL', () => {
    const r = rig();
    r.hw.domains.delete(r.device.sid);
    expect(r.driver.ops.bindGpasid!(call(r), bindData({ hpasid: BigInt(allocPasid(r.driver)) }))).toBe(
      'EINVAL',
    );
  });

  it('hpasid never allocated in the IOASID allocator -> ENOENT', () => {
    const r = rig();
    expect(r.driver.ops.bindGpasid!(call(r), bindData({ hpasid: 5n }))).toBe('ENOENT');
  });

  it('the same device bound twice to a PASID -> EBUSY', () => {
    const r = rig();
    const p = BigInt(allocPasid(r.driver));
    expect(r.driver.ops.bindGpasid!(call(r), bindData({ hpasid: p }))).toBe(0);
    expect(r.driver.ops.bindGpasid!(call(r), bindData({ hpasid: p }))).toBe('EBUSY');
  });

  it('no scalable mode (PASID cannot be enabled) -> EINVAL, svm detached again', () => {
    const r = rig({ caps: { smts: false } });
    const p = allocPasid(r.driver);
    expect(r.driver.ops.bindGpasid!(call(r), bindData({ hpasid: BigInt(p) }))).toBe('EINVAL');
    expect(r.driver.digestState()).toMatchObject({ ioasids: [{ pasid: p, svm: null }] });
  });

  const setupCases: [string, Parameters<typeof rig>[0], Parameters<typeof bindData>[0], string][] = [
    ['no ECAP.NEST', { caps: { nest: false } }, {}, 'EINVAL'],
    ['addr_width 39', {}, { addr_width: 39 }, 'EINVAL'],
    ['addr_width 57 without CPU LA57', {}, { addr_width: 57 }, 'EINVAL'],
    [
      'addr_width 57 without CAP.FL5LP',
      { caps: { fl5lp: false }, options: { cpu5LevelPaging: true } },
      { addr_width: 57 },
      'EINVAL',
    ],
    ['gpgd beyond the second-level range', {}, { gpgd: NESTING_DOMAIN.maxAddr + 1n }, 'EINVAL'],
    ['SRE without ECAP.SRS', { caps: { srs: false } }, { vtdFlags: 0x1n }, 'EINVAL'],
    ['EAFE without ECAP.EAFS', { caps: { eafs: false } }, { vtdFlags: 0x2n }, 'EINVAL'],
    ['PCD', {}, { vtdFlags: 0x4n }, 'EINVAL'],
    ['PWT', {}, { vtdFlags: 0x8n }, 'EINVAL'],
    ['EMTE', {}, { vtdFlags: 0x10n }, 'EINVAL'],
    ['CD', {}, { vtdFlags: 0x20n }, 'EINVAL'],
    ['second-level depth SAGAW does not allow', { caps: { sagaw: 0b0010 } }, {}, 'EINVAL'],
  ];
  for (const [name, rigOpts, over, errno] of setupCases) {
    it(`setup_nested: ${name} -> ${errno}, nothing bound`, () => {
      const r = rig(rigOpts);
      const p = allocPasid(r.driver);
      expect(r.driver.ops.bindGpasid!(call(r), bindData({ hpasid: BigInt(p), ...over }))).toBe(errno);
      expect(entryOf(r, p)?.P ?? false).toBe(false);
      expect(r.driver.digestState()).toMatchObject({ ioasids: [{ pasid: p, svm: null }] });
    });
  }

  it('gpgd equal to maxAddr is still accepted', () => {
    const r = rig();
    const p = BigInt(allocPasid(r.driver));
    expect(r.driver.ops.bindGpasid!(call(r), bindData({ hpasid: p, gpgd: NESTING_DOMAIN.maxAddr }))).toBe(0);
  });

  it('PASID-table entry unavailable -> EINVAL; already present -> EBUSY', () => {
    const r = rig();
    const far = allocPasid(r.driver, { min: 5000, max: 5000 });
    expect(r.driver.ops.bindGpasid!(call(r), bindData({ hpasid: BigInt(far) }))).toBe('EINVAL');
    const p = allocPasid(r.driver);
    const pa = r.hw.pasidEntryAddress(r.device.sid, p, true)!;
    r.hw.memory.write64(pa, 1n);
    expect(r.driver.ops.bindGpasid!(call(r), bindData({ hpasid: BigInt(p) }))).toBe('EBUSY');
  });
});

describe('bindGpasid programs a nested PASID entry', () => {
  it('writes PGTT=011, first level = gpgd (GPA), second level from the domain', () => {
    const r = rig({ caps: { smpwc: true }, options: { cpu5LevelPaging: true } });
    const p = allocPasid(r.driver);
    const data = bindData({
      hpasid: BigInt(p),
      gpasid: 0x99n,
      gpgd: 0x7_3000n,
      addr_width: 57,
      vtdFlags: 0x3n,
    });
    expect(r.driver.ops.bindGpasid!(call(r), data)).toBe(0);
    const e = entryOf(r, p)!;
    expect(e).toMatchObject({
      P: true,
      FPD: false,
      PGTT: PGTT.NESTED,
      AW: 2,
      DID: 0x2a,
      SLPTPTR: 0x20_0000n,
      FLPTPTR: 0x7_3000n,
      FLPM: 1,
      SRE: true,
      EAFE: true,
      PWSNP: true,
      WPE: false,
    });
    const ev = r.events.of('vtd.driver.gpasid.bound')[0]!;
    expect(ev).toMatchObject({ unit: 'vtd0', sid: 0x108, hpasid: p, gpasid: 0x99, mm: 0x77 });
    expect(r.driver.digestState()).toMatchObject({
      ioasids: [
        { pasid: p, svm: { gpasid: 0x99, mm: 0x77, guestMode: true, devices: [{ sid: 0x108, users: 0 }] } },
      ],
    });
  });

  it('gpasid is recorded only with IOMMU_SVA_GPASID_VAL', () => {
    const r = rig();
    const p = allocPasid(r.driver);
    r.driver.ops.bindGpasid!(call(r), bindData({ hpasid: BigInt(p), flags: 0n, gpasid: 5n }));
    expect(r.events.of('vtd.driver.gpasid.bound')[0]!.gpasid).toBeNull();
  });

  it('with caching mode the PASID cache and the PASID IOTLB are flushed; without, nothing is submitted', () => {
    const cm = rig({ caps: { cm: true } });
    const p = allocPasid(cm.driver);
    cm.driver.ops.bindGpasid!(call(cm), bindData({ hpasid: BigInt(p) }));
    expect(cm.hw.descriptors.map((d) => d[0])).toEqual([0x0000_0001_002a_0017n, 0x0000_0001_002a_0026n]);
    const plain = rig();
    plain.driver.ops.bindGpasid!(call(plain), bindData({ hpasid: BigInt(allocPasid(plain.driver)) }));
    expect(plain.hw.submitted).toEqual([]);
  });

  it('a failing check leaves the fields set so far in the (non-present) entry', () => {
    const r = rig({ caps: { eafs: false } });
    const p = allocPasid(r.driver);
    expect(
      r.driver.ops.bindGpasid!(call(r), bindData({ hpasid: BigInt(p), gpgd: 0x9000n, vtdFlags: 0x3n })),
    ).toBe('EINVAL');
    expect(entryOf(r, p)).toMatchObject({ P: false, FLPTPTR: 0x9000n, SRE: true, EAFE: false });
  });

  it('a second device joins the same svm; aux-domain devices count users', () => {
    const r = rig();
    const aux = pciDevice({ name: 'aux', sid: 0x300, auxDomain: true });
    r.driver.addDevice(aux);
    r.hw.domains.set(aux.sid, NESTING_DOMAIN);
    const p = allocPasid(r.driver);
    expect(r.driver.ops.bindGpasid!(call(r), bindData({ hpasid: BigInt(p) }))).toBe(0);
    expect(
      r.driver.ops.bindGpasid!({ device: aux, mm: 0x77 }, bindData({ hpasid: BigInt(p), gpasid: 1n })),
    ).toBe(0);
    expect(r.driver.digestState()).toMatchObject({
      ioasids: [
        {
          pasid: p,
          svm: {
            gpasid: 7,
            devices: [
              { sid: 0x108, users: 0 },
              { sid: 0x300, users: 1 },
            ],
          },
        },
      ],
    });
  });
});

describe('unbindGpasid (uapi.md §5.4)', () => {
  it('checks: unknown device, INVALID_IOASID, >= 2^20 -> EINVAL; unallocated -> ENOENT; not bound -> 0', () => {
    const r = rig();
    const unbind = r.driver.ops.unbindGpasid!;
    expect(unbind({ device: pciDevice({ sid: 1, name: 'x' }), mm: 1 }, 1)).toBe('EINVAL');
    expect(unbind(call(r), 0xffff_ffff)).toBe('EINVAL');
    expect(unbind(call(r), 0x10_0000)).toBe('EINVAL');
    expect(unbind(call(r), 0)).toBe('ENOENT');
    expect(unbind(call(r), 3)).toBe('ENOENT');
    const p = allocPasid(r.driver);
    expect(unbind(call(r), p)).toBe(0);
    expect(r.events.of('vtd.driver.gpasid.unbound')).toEqual([]);
  });

  it('tears down the entry, flushes PASID cache, IOTLB and device TLB, drains page requests, frees the svm', () => {
    const r = rig();
    const p = allocPasid(r.driver);
    r.driver.ops.bindGpasid!(call(r), bindData({ hpasid: BigInt(p) }));
    expect(r.driver.ops.unbindGpasid!(call(r), p)).toBe(0);
    const e = entryOf(r, p)!;
    expect(e.P).toBe(false);
    expect(e.FLPTPTR).toBe(0n);
    const whys = r.events.of('vtd.driver.descriptors.submitted').map((d) => d.why);
    expect(whys).toEqual(['pasid-teardown', 'prq-drain']);
    const [teardown, drain] = r.hw.submitted;
    expect(teardown!.map((d) => bits(d[0]!, 0, 4))).toEqual([7, 6, 8]);
    expect(teardown![2]![1]).toBe(0x7fff_ffff_ffff_f800n);
    expect(drain!.map((d) => bits(d[0]!, 0, 4))).toEqual([5, 6, 8, 5]);
    expect(bits(drain![0]![0]!, 6)).toBe(1); // fence
    expect(bits(drain![3]![0]!, 7)).toBe(1); // page-request drain
    expect(r.events.of('vtd.driver.gpasid.unbound')[0]).toMatchObject({ pasid: p, svmFreed: true });
    expect(r.driver.digestState()).toMatchObject({ ioasids: [{ pasid: p, svm: null }] });
    // The PASID stays allocated: bind works again.
    expect(r.driver.ops.bindGpasid!(call(r), bindData({ hpasid: BigInt(p) }))).toBe(0);
  });

  it('caching mode skips the device-TLB flush; no PRI skips the drain', () => {
    const r = rig({ caps: { cm: true }, device: { pri: false } });
    const p = allocPasid(r.driver);
    r.driver.ops.bindGpasid!(call(r), bindData({ hpasid: BigInt(p) }));
    r.driver.ops.unbindGpasid!(call(r), p);
    const whys = r.events.of('vtd.driver.descriptors.submitted').map((d) => d.why);
    expect(whys).toEqual(['pasid-setup', 'pasid-teardown']);
    expect(r.hw.submitted[1]!.map((d) => bits(d[0]!, 0, 4))).toEqual([7, 6]);
  });

  it('aux-domain device: users drop to 0 on the first unbind; others keep the svm alive', () => {
    const r = rig();
    const aux = pciDevice({ name: 'aux', sid: 0x300, auxDomain: true });
    r.driver.addDevice(aux);
    r.hw.domains.set(aux.sid, NESTING_DOMAIN);
    const p = allocPasid(r.driver);
    r.driver.ops.bindGpasid!(call(r), bindData({ hpasid: BigInt(p) }));
    r.driver.ops.bindGpasid!({ device: aux, mm: 0x77 }, bindData({ hpasid: BigInt(p) }));
    expect(r.driver.ops.unbindGpasid!({ device: aux, mm: 0x77 }, p)).toBe(0);
    expect(r.events.of('vtd.driver.gpasid.unbound')[0]).toMatchObject({
      sid: 0x300,
      users: 0,
      svmFreed: false,
    });
    expect(r.driver.digestState()).toMatchObject({
      ioasids: [{ pasid: p, svm: { devices: [{ sid: 0x108 }] } }],
    });
  });

  it('freeing a bound PASID orphans the binding: unbind then gets ENOENT', () => {
    const r = rig();
    const p = allocPasid(r.driver);
    r.driver.ops.bindGpasid!(call(r), bindData({ hpasid: BigInt(p) }));
    expect(r.driver.command('vtd.ioasid.free', { pasid: p })).toEqual({ ok: true, value: null });
    expect(r.events.noted()).toContain('vtd.ioasid.freed-while-bound');
    expect(r.driver.ops.unbindGpasid!(call(r), p)).toBe('ENOENT');
  });
});

describe('IOASID commands', () => {
  it('alloc honours min/max, free rejects unknown ids, other types are not driver commands', () => {
    const r = rig();
    expect(r.driver.command('vtd.ioasid.alloc', { min: 100, max: 101 })).toEqual({ ok: true, value: 100 });
    expect(r.driver.command('vtd.ioasid.alloc', { min: 100, max: 100 })).toMatchObject({
      ok: false,
      errno: 'ENOSPC',
    });
    // Bad data is the catalog's to refuse, before the driver sees it.
    expect(() => r.driver.command('vtd.ioasid.alloc', { min: -1 })).toThrow(
      'min: expected an integer in [0, 9007199254740991], got -1',
    );
    expect(r.driver.command('vtd.ioasid.free', { pasid: 55 })).toMatchObject({ ok: false, errno: 'ENOENT' });
    expect(() => r.driver.command('vtd.ioasid.free', {})).toThrow('pasid: missing');
    expect(r.driver.command('vtd.context.set', {})).toBeUndefined();
    expect(r.events.of('vtd.driver.ioasid.allocated')).toEqual([
      { unit: 'vtd0', pasid: 100, min: 100, max: 101 },
    ]);
  });
});
