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
export function parseVtdCaps(raw: JsonObject | undefined, what = 'caps'): VtdCaps {
  const out: Record<string, number | boolean> = { ...DEFAULT_VTD_CAPS };
  if (raw === undefined) return DEFAULT_VTD_CAPS;
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
