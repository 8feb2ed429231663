import { describe, expect, it } from 'vitest';
import { capRegister, capsFromRegisters, qemuCaps } from '../capabilities.js';
import { parseVtdOptions } from '../options.js';

// What a Linux 6.1 guest printed for QEMU 7.2's intel-iommu (legacy, device-iotlb=on, aw-bits 39):
// "DMAR: dmar0: reg_base_addr fed90000 ver 1:0 cap d2008c22260206 ecap f00f4e".
const CAP_72 = 0xd2008c22260206n;
const ECAP_72 = 0xf00f4en;

describe('profile qemu with a QEMU version: the capabilities QEMU advertises', () => {
  it('QEMU 7.2 legacy with device-iotlb: the fields the guest read', () => {
    const caps = qemuCaps({ version: '7.2', deviceIotlb: true });
    expect(capsFromRegisters(CAP_72, ECAP_72)).toEqual(caps);
    expect(capRegister(caps)).toBe(CAP_72);
    expect(caps).toMatchObject({
      mgaw: 39,
      sagaw: 0b10,
      nd: 6,
      nfr: 1,
      mamv: 18,
      psi: true,
      sllps: 3,
      dt: true,
    });
  });

  it('options: version and intel-iommu properties, then caps override single fields', () => {
    const o = parseVtdOptions({
      profile: 'qemu',
      qemu: { version: '9.2', scalableMode: true, cachingMode: true },
    });
    expect(o.caps).toMatchObject({
      mgaw: 48,
      sagaw: 0b110,
      smts: true,
      slts: true,
      flts: false,
      cm: true,
      dt: false,
    });
    expect(o.mode).toBe('scalable');
    expect(o.profile).toBe('qemu');
    const p = parseVtdOptions({ profile: 'qemu', qemu: { version: '7.2', awBits: 48 }, caps: { nfr: 4 } });
    expect(p.caps).toMatchObject({ mgaw: 48, nfr: 4, smts: false });
    expect(() => parseVtdOptions({ qemu: { version: '7.2' } })).toThrow(/needs profile "qemu"/);
    expect(() => parseVtdOptions({ profile: 'qemu', qemu: { version: 'seven' } })).toThrow(/qemu.version/);
    expect(() => parseVtdOptions({ profile: 'qemu', qemu: { version: '7.2', awBits: 57 } })).toThrow(
      /qemu.awBits/,
    );
  });
});
