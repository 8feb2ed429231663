/**
 * CAP and ECAP as data (reference/vtd.md §0). A configuration names the
 * fields it wants; everything else takes the default below. The model reads
 * these fields, never the raw registers; capRegister()/ecapRegister() encode
 * them for snapshots and register reads.
 */
import type { JsonObject } from '../../core/plugin/contract.js';

export interface VtdCaps {
  /** CAP.SAGAW bitmask: bit1 = 3-level (39-bit), bit2 = 4-level (48-bit), bit3 = 5-level (57-bit). */
  readonly sagaw: number;
  /** CAP.MGAW + 1: maximum guest address width in bits; also the host address width of output. */
  readonly mgaw: number;
  /** CAP.ND: 2^(4+2·ND) domain ids. */
  readonly nd: number;
  /** CAP.NFR + 1: number of fault recording registers. */
  readonly nfr: number;
  /** CAP.MAMV: largest address mask in page-selective invalidations. */
  readonly mamv: number;
  /** CAP.CM: caching mode (not-present and erroneous entries may be cached). */
  readonly cm: boolean;
  /** CAP.PSI: page-selective invalidation. */
  readonly psi: boolean;
  /** CAP.SLLPS bitmask: bit0 = 2 MiB, bit1 = 1 GiB second-level pages. */
  readonly sllps: number;
  /** CAP.FL1GP: 1 GiB first-level pages. */
  readonly fl1gp: boolean;
  /** CAP.FL5LP: 5-level first-level paging. */
  readonly fl5lp: boolean;
  /** CAP.DRD / CAP.DWD: read / write draining. */
  readonly drd: boolean;
  readonly dwd: boolean;
  /** ECAP.QI: queued invalidation. */
  readonly qi: boolean;
  /** ECAP.DT: device-TLB (ATS). */
  readonly dt: boolean;
  /** ECAP.PT: pass-through. */
  readonly pt: boolean;
  /** ECAP.SC: snoop control. */
  readonly sc: boolean;
  /** ECAP.NEST: nested translation. */
  readonly nest: boolean;
  /** ECAP.PRS: page requests. */
  readonly prs: boolean;
  /** ECAP.ERS: execute requests. */
  readonly ers: boolean;
  /** ECAP.SRS: supervisor requests. */
  readonly srs: boolean;
  /** ECAP.EAFS: extended access flag. */
  readonly eafs: boolean;
  /** ECAP.PSS + 1: PASID width in bits (0 = no PASID support, ECAP.PASID clear). */
  readonly pasidBits: number;
  /** ECAP.DIT: device-TLB invalidation throttling (PFSID fields meaningful). */
  readonly dit: boolean;
  /** ECAP.SMTS: scalable-mode translation. */
  readonly smts: boolean;
  /** ECAP.SLADS: second-level accessed/dirty. */
  readonly slads: boolean;
  /** ECAP.SLTS / ECAP.FLTS: second- and first-level translation in scalable mode. */
  readonly slts: boolean;
  readonly flts: boolean;
  /** ECAP.SMPWC: scalable-mode page-walk coherency (the driver sets PASID-entry PWSNP from it). */
  readonly smpwc: boolean;
}

export const DEFAULT_VTD_CAPS: VtdCaps = Object.freeze({
  sagaw: 0b1110,
  mgaw: 57,
  nd: 6,
  nfr: 8,
  mamv: 18,
  cm: false,
  psi: true,
  sllps: 0b11,
  fl1gp: true,
  fl5lp: true,
  drd: true,
  dwd: true,
  qi: true,
  dt: true,
  pt: true,
  sc: true,
  nest: true,
  prs: true,
  ers: true,
  srs: true,
  eafs: true,
  pasidBits: 20,
  dit: false,
  smts: true,
  slads: true,
  slts: true,
  flts: true,
  smpwc: true,
});

const INT_RANGES = {
  sagaw: [1, 0b11110],
  mgaw: [39, 57],
  nd: [0, 6],
  nfr: [1, 256],
  mamv: [0, 63],
  sllps: [0, 3],
  pasidBits: [0, 20],
} as const satisfies Partial<Record<keyof VtdCaps, readonly [number, number]>>;

/**
 * Parses CAP/ECAP fields from a configuration, filling defaults. Throws a
 * TypeError or RangeError that names the field (`caps.sagaw`).
 */
export function parseVtdCaps(
  raw: JsonObject | undefined,
  what = 'caps',
  base: VtdCaps = DEFAULT_VTD_CAPS,
): VtdCaps {
  const out: Record<string, number | boolean> = { ...base };
  if (raw === undefined) return base;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new TypeError(`${what}: expected an object of CAP/ECAP fields`);
  }
  for (const [k, v] of Object.entries(raw)) {
    if (!Object.hasOwn(DEFAULT_VTD_CAPS, k)) {
      throw new RangeError(
        `${what}.${k}: unknown CAP/ECAP field (known: ${Object.keys(DEFAULT_VTD_CAPS).join(', ')})`,
      );
    }
    const def = (DEFAULT_VTD_CAPS as unknown as Record<string, number | boolean>)[k];
    if (typeof def === 'boolean') {
      if (typeof v !== 'boolean')
        throw new TypeError(`${what}.${k}: expected true or false, got ${JSON.stringify(v)}`);
      out[k] = v;
    } else {
      const [min, max] = (INT_RANGES as Record<string, readonly [number, number]>)[k]!;
      if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
        throw new RangeError(
          `${what}.${k}: expected an integer in [${min}, ${max}], got ${JSON.stringify(v)}`,
        );
      }
      out[k] = v;
    }
  }
  const caps = Object.freeze(out) as unknown as VtdCaps;
  if ((caps.sagaw & 0b1110) === 0)
    throw new RangeError(`${what}.sagaw: must enable 3-, 4- or 5-level tables (bits 1..3)`);
  return caps;
}

/** Largest AGAW (address bits) enabled in a SAGAW mask. */
export function maxAgawBits(sagaw: number): number {
  return sagaw & 8 ? 57 : sagaw & 4 ? 48 : 39;
}

/** Number of domain ids CAP.ND allows. */
export function domainCount(caps: VtdCaps): number {
  return 2 ** (4 + 2 * caps.nd);
}

/** Whether the second-level table depth (3, 4, 5) is enabled by SAGAW. */
export function sagawAllows(caps: VtdCaps, levels: number): boolean {
  return levels >= 3 && levels <= 5 && (caps.sagaw & (1 << (levels - 2))) !== 0;
}

const b = (x: boolean): bigint => (x ? 1n : 0n);

/** CAP register value (reference/vtd.md §0 "CAP register"). FRO is fixed at 0x220/16. */
export function capRegister(c: VtdCaps): bigint {
  return (
    BigInt(c.nd) |
    (b(c.cm) << 7n) |
    (BigInt(c.sagaw & 0x1f) << 8n) |
    (BigInt(c.mgaw - 1) << 16n) |
    (0x22n << 24n) |
    (BigInt(c.sllps) << 34n) |
    (b(c.psi) << 39n) |
    (BigInt(c.nfr - 1) << 40n) |
    (BigInt(c.mamv) << 48n) |
    (b(c.dwd) << 54n) |
    (b(c.drd) << 55n) |
    (b(c.fl1gp) << 56n) |
    (b(c.fl5lp) << 60n)
  );
}

/** ECAP register value (reference/vtd.md §0 "ECAP register"). IRO is fixed at 0xF0/16. */
export function ecapRegister(c: VtdCaps): bigint {
  return (
    1n |
    (b(c.qi) << 1n) |
    (b(c.dt) << 2n) |
    (b(c.pt) << 6n) |
    (b(c.sc) << 7n) |
    (0xfn << 8n) |
    (b(c.nest) << 26n) |
    (b(c.prs) << 29n) |
    (b(c.ers) << 30n) |
    (b(c.srs) << 31n) |
    (b(c.eafs) << 34n) |
    (BigInt(Math.max(0, c.pasidBits - 1)) << 35n) |
    (b(c.pasidBits > 0) << 40n) |
    (b(c.dit) << 41n) |
    (b(c.smts) << 43n) |
    (b(c.slads) << 45n) |
    (b(c.slts) << 46n) |
    (b(c.flts) << 47n) |
    (b(c.smpwc) << 48n)
  );
}

const bit = (v: bigint, n: number): boolean => ((v >> BigInt(n)) & 1n) === 1n;
const field = (v: bigint, lo: number, width: number): number =>
  Number((v >> BigInt(lo)) & ((1n << BigInt(width)) - 1n));

/**
 * The named CAP/ECAP fields of raw register values (the inverse of capRegister/ecapRegister for
 * the fields the model reads), e.g. from a guest's `DMAR: dmar0: ... cap X ecap Y` line.
 */
export function capsFromRegisters(cap: bigint, ecap: bigint): { [K in keyof VtdCaps]: VtdCaps[K] } {
  const pasid = bit(ecap, 40);
  return {
    sagaw: field(cap, 8, 5),
    mgaw: field(cap, 16, 6) + 1,
    nd: field(cap, 0, 3),
    nfr: field(cap, 40, 8) + 1,
    mamv: field(cap, 48, 6),
    cm: bit(cap, 7),
    psi: bit(cap, 39),
    sllps: field(cap, 34, 2),
    fl1gp: bit(cap, 56),
    fl5lp: bit(cap, 60),
    drd: bit(cap, 55),
    dwd: bit(cap, 54),
    qi: bit(ecap, 1),
    dt: bit(ecap, 2),
    pt: bit(ecap, 6),
    sc: bit(ecap, 7),
    nest: bit(ecap, 26),
    prs: bit(ecap, 29),
    ers: bit(ecap, 30),
    srs: bit(ecap, 31),
    eafs: bit(ecap, 34),
    pasidBits: pasid ? field(ecap, 35, 5) + 1 : 0,
    dit: bit(ecap, 41),
    smts: bit(ecap, 43),
    slads: bit(ecap, 45),
    slts: bit(ecap, 46),
    flts: bit(ecap, 47),
    smpwc: bit(ecap, 48),
  };
}

/** QEMU `intel-iommu` device properties that decide what it advertises. */
export interface QemuIommuConfig {
  /** QEMU release, "major.minor" (7.2, 8.2, 9.1, 10.0 ...). */
  readonly version: string;
  /** `aw-bits`: 39 or 48 (default 39 before QEMU 9.2, 48 from 9.2). */
  readonly awBits?: 39 | 48;
  readonly cachingMode?: boolean;
  readonly scalableMode?: boolean;
  readonly deviceIotlb?: boolean;
  /** `x-pasid-mode` (QEMU 7.2 and later). */
  readonly pasid?: boolean;
  /** `x-flts` (QEMU 10.1 and later): first-stage translation in scalable mode. */
  readonly flts?: boolean;
  /** `pt` (default on). */
  readonly pt?: boolean;
  /** `dma-drain` (default on). */
  readonly dmaDrain?: boolean;
}

/** [major, minor] of a "major.minor[.patch]" version; throws a RangeError naming it otherwise. */
export function qemuVersion(v: string): readonly [number, number] {
  const m = /^(\d+)\.(\d+)(?:\.\d+)?$/.exec(v);
  if (m === null) throw new RangeError(`qemu.version: expected "major.minor", got ${JSON.stringify(v)}`);
  return [Number(m[1]), Number(m[2])];
}

/** Whether `v` is at least major.minor. */
export function qemuAtLeast(v: string, major: number, minor: number): boolean {
  const [a, b2] = qemuVersion(v);
  return a > major || (a === major && b2 >= minor);
}

/**
 * The capabilities QEMU's `intel-iommu` advertises for a release and its properties
 * (reference/vtd.md §0, QEMU `vtd_cap_init`): ND 16-bit DIDs, NFR 1, MAMV 18, PSI, 2 MiB and
 * 1 GiB second-level pages, SAGAW/MGAW from aw-bits, DRD/DWD with dma-drain, CM on request;
 * ECAP QI, PT, DT with device-iotlb, SMTS+SRS+SLTS in scalable mode, PASID (20 bits) and FLTS
 * when asked. No PRS, nesting, ERS, EAFS or SLADS; no paging-structure caches.
 */
export function qemuCaps(q: QemuIommuConfig): VtdCaps {
  const aw = q.awBits ?? (qemuAtLeast(q.version, 9, 2) ? 48 : 39);
  const sm = q.scalableMode ?? false;
  const flts = q.flts ?? false;
  const drain = q.dmaDrain ?? true;
  return Object.freeze({
    sagaw: aw === 48 ? 0b0110 : 0b0010,
    mgaw: aw,
    nd: 6,
    nfr: 1,
    mamv: 18,
    cm: q.cachingMode ?? false,
    psi: true,
    sllps: 0b11,
    fl1gp: flts,
    fl5lp: false,
    drd: drain,
    dwd: drain,
    qi: true,
    dt: q.deviceIotlb ?? false,
    pt: q.pt ?? true,
    sc: false,
    nest: false,
    prs: false,
    ers: false,
    srs: sm,
    eafs: false,
    pasidBits: q.pasid ? 20 : 0,
    dit: false,
    smts: sm || flts,
    slads: false,
    slts: sm,
    flts,
    smpwc: false,
  });
}
