/**
 * Every fault reason the model can produce (issue 3, must-show 3), one case
 * each: the test builds the condition in simulated memory, translates, and
 * checks the reason the result carries and the reason recorded in the fault
 * recording register. A second test reads the sources that emit reasons and
 * fails when one of them has no case here.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  ACCESS,
  FAULT_KIND,
  NO_PASID,
  TranslationRequest,
  TranslationResult,
} from '../../../core/model/translation.js';
import type { VtdCaps } from '../capabilities.js';
import { VTD_FAULT as F, VTD_FAULT_KIND, VTD_FAULT_NAME } from '../fault-reasons.js';
import type { HostDomain, VtdHardware } from '../hardware.js';
import { type AttachMode, attachDevice, createDomain, initRootTable, nestedSpace } from '../setup.js';
import { flMap, hostSpace, slMap } from '../structures/page-table-builder.js';
import { rootEntryAddress } from '../structures/root-entry.js';
import { type Fixture, makeFixture } from '../testing/test-unit.js';

const SID = 0x0310;
const DID = 1;
/** The page every case translates unless it names another; V + 1.. carry other permissions. */
const V = 0x100;
/** A byte address beyond the fixture's 128 MiB of simulated memory: reads there fail. */
const UNBACKED = 2 ** 32;
const INTR = 0xfee00;

interface Env {
  readonly f: Fixture;
  readonly hw: VtdHardware;
  readonly d: HostDomain;
  /** First-level root (byte address; a GPA for nested) or null. */
  readonly flptptr: number | null;
}

interface Req {
  sid?: number;
  pasid?: number;
  vpn?: number;
  access?: number;
  ats?: boolean;
}

interface Case {
  readonly code: number;
  readonly what: string;
  readonly mode: 'legacy' | AttachMode;
  readonly caps?: Partial<VtdCaps>;
  readonly levels?: 3 | 4 | 5;
  readonly attach?: { ats?: boolean; ere?: boolean };
  readonly arrange?: (e: Env) => void;
  readonly req?: Req;
  /** The FAULT_KIND when it is not the reason's usual one (legacy R=W=0 is a missing translation). */
  readonly kind?: number;
}

// ---- poking structures in memory ----

function setBits(e: Env, pa: number, set: bigint, clear = 0n): void {
  const m = e.f.memory;
  m.write64(pa, ((m.read64(pa) ?? 0n) & ~clear) | set);
}

function rootPa(e: Env): number {
  return rootEntryAddress(e.hw.rootTable, SID >>> 8) + (e.hw.scalable && (SID & 0x80) !== 0 ? 8 : 0);
}

function ctxPa(e: Env): number {
  const ctp = Number((e.f.memory.read64(rootPa(e)) ?? 0n) & ~0xfffn);
  return e.hw.scalable ? ctp + 32 * (SID & 0x7f) : ctp + 16 * (SID & 0xff);
}

function dirPa(e: Env, pasid = 0): number {
  return Number((e.f.memory.read64(ctxPa(e)) ?? 0n) & ~0xfffn) + 8 * (pasid >>> 6);
}

function pasidPa(e: Env, pasid = 0): number {
  return e.hw.pasidEntryAddress(SID, pasid, false)!;
}

/** Byte address of the entry for `vpn` at `level` in the host table rooted at `rootPa`. */
function entryPa(e: Env, root: number, levels: number, vpn: number, level: number): number {
  let table = root;
  for (let l = levels; l > level; l--) {
    const v = e.f.memory.read64(table + 8 * (Math.floor(vpn / 2 ** (9 * (l - 1))) % 512)) ?? 0n;
    table = Number((v >> 12n) & 0xff_ffff_ffffn) * 4096;
  }
  return table + 8 * (Math.floor(vpn / 2 ** (9 * (level - 1))) % 512);
}

const slEntry = (e: Env, level: number, vpn = V): number => entryPa(e, e.d.slptptr, e.d.levels, vpn, level);
const flEntry = (e: Env, level: number, vpn = V): number => entryPa(e, e.flptptr!, 4, vpn, level);
/** Replaces an entry's address field, keeping its flag bits. */
const point = (e: Env, pa: number, to: number): void => setBits(e, pa, BigInt(to), 0x000f_ffff_ffff_f000n);

// ---- the environment every case starts from ----

function build(c: Case): Env {
  const f = makeFixture({ caps: c.caps });
  const { hw, memory, frames } = f;
  initRootTable(hw, c.mode !== 'legacy');
  const levels = c.levels ?? 4;
  const d = createDomain(hw, DID, levels, c.mode === 'nested');
  const mode: AttachMode = c.mode === 'legacy' ? 'sl' : c.mode;
  const { flptptr } = attachDevice(hw, SID, DID, mode, { ...c.attach });
  const host = hostSpace(frames);
  const sl = (vpn: number, pfn: number, r: boolean, w: boolean) =>
    slMap(memory, host, d.slptptr / 4096, levels, vpn, pfn, 12, { r, w, x: r });
  if (mode === 'sl') {
    sl(V, 0x500, true, true);
    sl(V + 1, 0x501, true, false);
    sl(V + 2, 0x502, false, true);
    sl(V + 4, INTR, true, true);
  } else if (mode === 'fl' || mode === 'nested') {
    const space = mode === 'nested' ? nestedSpace(hw, d) : host;
    const fl = (vpn: number, pfn: number, w: boolean, u: boolean, xd: boolean) =>
      flMap(memory, space, flptptr! / 4096, 4, vpn, pfn, 12, { w, u, xd });
    fl(V, 0x500, true, true, false);
    fl(V + 1, 0x501, false, true, false);
    fl(V + 2, 0x502, true, false, false);
    fl(V + 3, 0x503, true, true, true);
    fl(V + 4, INTR, true, true, false);
    if (mode === 'nested') {
      // Output GPAs 0x500.. map to HPAs 0x700.. in the second level; the interrupt page maps to itself.
      for (let i = 0; i < 4; i++) sl(0x500 + i, 0x700 + i, true, true);
      sl(INTR, INTR, true, true);
    }
  }
  return { f, hw, d, flptptr };
}

const R = ACCESS.READ;
const W = ACCESS.WRITE;

const CASES: readonly Case[] = [
  // ---- legacy mode ----
  { code: F.ROOT_ENTRY_NOT_PRESENT, what: 'no root entry for the bus', mode: 'legacy', req: { sid: 0x0510 } },
  {
    code: F.CONTEXT_ENTRY_NOT_PRESENT,
    what: 'no context entry for the devfn',
    mode: 'legacy',
    req: { sid: 0x0311 },
  },
  {
    code: F.CONTEXT_ENTRY_INVALID,
    what: 'TT = 11b',
    mode: 'legacy',
    arrange: (e) => setBits(e, ctxPa(e), 0xcn),
  },
  {
    code: F.CONTEXT_ENTRY_INVALID,
    what: 'SLPTPTR not readable',
    mode: 'legacy',
    arrange: (e) => point(e, ctxPa(e), UNBACKED),
  },
  {
    code: F.ADDRESS_BEYOND_MGAW,
    what: 'input beyond the 48-bit AGAW',
    mode: 'legacy',
    req: { vpn: 2 ** 36 },
  },
  {
    code: F.WRITE_NOT_PERMITTED,
    what: 'write to a read-only page',
    mode: 'legacy',
    req: { vpn: V + 1, access: W },
  },
  { code: F.READ_NOT_PERMITTED, what: 'read of a write-only page', mode: 'legacy', req: { vpn: V + 2 } },
  {
    code: F.READ_NOT_PERMITTED,
    what: 'read of a page not mapped',
    mode: 'legacy',
    req: { vpn: V + 9 },
    kind: FAULT_KIND.TRANSLATION,
  },
  {
    code: F.SL_PTE_READ_ERROR,
    what: 'level-4 entry points to unreadable memory',
    mode: 'legacy',
    arrange: (e) => point(e, slEntry(e, 4), UNBACKED),
  },
  {
    code: F.ROOT_ENTRY_READ_ERROR,
    what: 'root table not readable',
    mode: 'legacy',
    arrange: (e) => e.hw.setRootTable(UNBACKED, false),
  },
  {
    code: F.CONTEXT_ENTRY_READ_ERROR,
    what: 'context table not readable',
    mode: 'legacy',
    arrange: (e) => point(e, rootPa(e), UNBACKED),
  },
  {
    code: F.ROOT_ENTRY_RESERVED,
    what: 'root entry bit 1',
    mode: 'legacy',
    arrange: (e) => setBits(e, rootPa(e), 2n),
  },
  {
    code: F.CONTEXT_ENTRY_RESERVED,
    what: 'context entry bit 4',
    mode: 'legacy',
    arrange: (e) => setBits(e, ctxPa(e), 0x10n),
  },
  {
    code: F.SL_PTE_RESERVED,
    what: 'PS in a level-4 entry',
    mode: 'legacy',
    arrange: (e) => setBits(e, slEntry(e, 4), 0x80n),
  },
  {
    code: F.SL_PTE_RESERVED,
    what: 'SNP without ECAP.SC',
    mode: 'legacy',
    caps: { sc: false },
    arrange: (e) => setBits(e, slEntry(e, 1), 0x800n),
  },
  { code: F.TRANSLATION_TYPE_BLOCKED, what: 'ATS request, TT = 00b', mode: 'legacy', req: { ats: true } },
  {
    code: F.OUTPUT_IN_INTERRUPT_RANGE,
    what: 'leaf points into 0xFEEx_xxxx',
    mode: 'legacy',
    req: { vpn: V + 4 },
  },
  {
    code: F.SM_TTM_LEGACY_PASID_REQUEST,
    what: 'request with PASID, legacy root table',
    mode: 'legacy',
    req: { pasid: 1 },
  },
  // ---- scalable mode: root, context, PASID structures ----
  {
    code: F.SM_ROOT_ENTRY_READ_ERROR,
    what: 'root table not readable',
    mode: 'sl',
    arrange: (e) => e.hw.setRootTable(UNBACKED, true),
  },
  { code: F.SM_ROOT_ENTRY_NOT_PRESENT, what: 'no root entry for the bus', mode: 'sl', req: { sid: 0x0510 } },
  {
    code: F.SM_ROOT_ENTRY_RESERVED,
    what: 'root entry bit 1',
    mode: 'sl',
    arrange: (e) => setBits(e, rootPa(e), 2n),
  },
  {
    code: F.SM_ROOT_ENTRY_RESERVED,
    what: 'root entry: context-table pointer bit above HAW (MGAW 48)',
    mode: 'sl',
    caps: { mgaw: 48 },
    arrange: (e) => setBits(e, rootPa(e), 1n << 50n),
  },
  {
    code: F.SM_CONTEXT_ENTRY_READ_ERROR,
    what: 'context table not readable',
    mode: 'sl',
    arrange: (e) => point(e, rootPa(e), UNBACKED),
  },
  { code: F.SM_CONTEXT_ENTRY_NOT_PRESENT, what: 'no context entry', mode: 'sl', req: { sid: 0x0311 } },
  {
    code: F.SM_CONTEXT_ENTRY_RESERVED,
    what: 'context entry bit 5',
    mode: 'sl',
    arrange: (e) => setBits(e, ctxPa(e), 0x20n),
  },
  {
    code: F.SM_CONTEXT_ENTRY_INVALID,
    what: 'DTE without ECAP.DT',
    mode: 'sl',
    caps: { dt: false },
    arrange: (e) => setBits(e, ctxPa(e), 0x4n),
  },
  { code: F.SM_DTE_CLEAR, what: 'ATS request, DTE = 0', mode: 'sl', req: { ats: true } },
  {
    code: F.SM_PASIDE_CLEAR,
    what: 'request with PASID, PASIDE = 0',
    mode: 'sl',
    arrange: (e) => setBits(e, ctxPa(e), 0n, 0x8n),
    req: { pasid: 0 },
  },
  {
    code: F.SM_PASID_BEYOND_DIRECTORY,
    what: 'PASID 8192 with PDTS = 0 (128 directory entries)',
    mode: 'sl',
    arrange: (e) => setBits(e, ctxPa(e), 0n, 0xe00n),
    req: { pasid: 8192 },
  },
  {
    code: F.SM_RID_PASID_ERROR,
    what: 'RID_PASID beyond an 8-bit PASID width',
    mode: 'sl',
    caps: { pasidBits: 8 },
    arrange: (e) => setBits(e, ctxPa(e) + 8, 300n),
  },
  {
    code: F.SM_PASID_DIR_ENTRY_READ_ERROR,
    what: 'PASID directory not readable',
    mode: 'sl',
    arrange: (e) => point(e, ctxPa(e), UNBACKED),
  },
  {
    code: F.SM_PASID_DIR_ENTRY_NOT_PRESENT,
    what: 'no directory entry for PASID 64',
    mode: 'sl',
    req: { pasid: 64 },
  },
  {
    code: F.SM_PASID_DIR_ENTRY_RESERVED,
    what: 'directory entry bit 2',
    mode: 'sl',
    arrange: (e) => setBits(e, dirPa(e), 0x4n),
  },
  {
    code: F.SM_PASID_ENTRY_READ_ERROR,
    what: 'PASID table not readable',
    mode: 'sl',
    arrange: (e) => point(e, dirPa(e), UNBACKED),
  },
  { code: F.SM_PASID_ENTRY_NOT_PRESENT, what: 'no PASID entry for PASID 1', mode: 'sl', req: { pasid: 1 } },
  {
    code: F.SM_PASID_ENTRY_RESERVED,
    what: 'PASID entry bit 10',
    mode: 'sl',
    arrange: (e) => setBits(e, pasidPa(e), 0x400n),
  },
  {
    code: F.SM_PASID_ENTRY_INVALID,
    what: 'PGTT = 000b',
    mode: 'sl',
    arrange: (e) => setBits(e, pasidPa(e), 0n, 0x1c0n),
  },
  {
    code: F.SM_PASID_ENTRY_INVALID,
    what: 'SRE without ECAP.SRS',
    mode: 'sl',
    caps: { srs: false },
    arrange: (e) => setBits(e, pasidPa(e) + 16, 1n),
  },
  { code: F.SM_ERE_CLEAR, what: 'execute request, ERE = 0', mode: 'sl', req: { access: R | ACCESS.EXEC } },
  {
    code: F.SM_SRE_CLEAR,
    what: 'supervisor request, SRE = 0',
    mode: 'sl',
    req: { pasid: 0, access: R | ACCESS.PRIV },
  },
  // ---- second level in scalable mode ----
  {
    code: F.SM_SL_PTE_READ_ERROR,
    what: 'level-4 entry points to unreadable memory',
    mode: 'sl',
    arrange: (e) => point(e, slEntry(e, 4), UNBACKED),
  },
  { code: F.SM_SL_PTE_NOT_PRESENT, what: 'page not mapped', mode: 'sl', req: { vpn: V + 9 } },
  {
    code: F.SM_SL_PTE_RESERVED,
    what: 'PS in a level-4 entry',
    mode: 'sl',
    arrange: (e) => setBits(e, slEntry(e, 4), 0x80n),
  },
  {
    code: F.SM_SL_ROOT_INVALID,
    what: 'SLPTPTR not readable',
    mode: 'sl',
    arrange: (e) => point(e, pasidPa(e), UNBACKED),
  },
  { code: F.SM_ADDRESS_BEYOND_MAX, what: 'input beyond the 48-bit AGAW', mode: 'sl', req: { vpn: 2 ** 36 } },
  {
    code: F.SM_SL_ADDRESS_BEYOND_MAX,
    what: 'level-4 entry address above a 48-bit host address width',
    mode: 'sl',
    caps: { mgaw: 48, sagaw: 0b0110 },
    arrange: (e) => setBits(e, slEntry(e, 4), 1n << 50n),
  },
  { code: F.SM_WRITE_DENIED, what: 'write to a read-only page', mode: 'sl', req: { vpn: V + 1, access: W } },
  { code: F.SM_READ_DENIED, what: 'read of a write-only page', mode: 'sl', req: { vpn: V + 2 } },
  {
    code: F.SM_OUTPUT_IN_INTERRUPT_RANGE,
    what: 'SL leaf points into 0xFEEx_xxxx',
    mode: 'sl',
    req: { vpn: V + 4 },
  },
  // ---- pass-through ----
  {
    code: F.SM_ADDRESS_BEYOND_MAX,
    what: 'pass-through input beyond MGAW',
    mode: 'pt',
    req: { vpn: 2 ** 45 },
  },
  {
    code: F.SM_OUTPUT_IN_INTERRUPT_RANGE,
    what: 'pass-through request with PASID to 0xFEEx_xxxx',
    mode: 'pt',
    req: { pasid: 0, vpn: INTR },
  },
  // ---- first level ----
  {
    code: F.SM_FL_PTE_READ_ERROR,
    what: 'PML4 entry points to unreadable memory',
    mode: 'fl',
    arrange: (e) => point(e, flEntry(e, 4), UNBACKED),
  },
  { code: F.SM_FL_PTE_NOT_PRESENT, what: 'page not mapped', mode: 'fl', req: { vpn: V + 9 } },
  {
    code: F.SM_FL_PTE_RESERVED,
    what: 'PS in a PML4 entry',
    mode: 'fl',
    arrange: (e) => setBits(e, flEntry(e, 4), 0x80n),
  },
  {
    code: F.SM_FL_PTE_RESERVED,
    what: 'XD with NXE = 0',
    mode: 'fl',
    arrange: (e) => setBits(e, pasidPa(e) + 16, 0n, 0x20n),
    req: { vpn: V + 3 },
  },
  {
    code: F.SM_FL_ROOT_READ_ERROR,
    what: 'FLPTPTR not readable',
    mode: 'fl',
    arrange: (e) => point(e, pasidPa(e) + 16, UNBACKED),
  },
  { code: F.SM_NON_CANONICAL, what: 'bit 48 set, bits 63:49 clear', mode: 'fl', req: { vpn: 2 ** 36 } },
  {
    code: F.SM_US_CLEAR_USER_REQUEST,
    what: 'user request to a supervisor page',
    mode: 'fl',
    req: { vpn: V + 2 },
  },
  {
    code: F.SM_EXECUTE_DENIED,
    what: 'execute request to an XD page',
    mode: 'fl',
    attach: { ere: true },
    req: { vpn: V + 3, access: R | ACCESS.EXEC },
  },
  {
    code: F.SM_WRITE_DENIED,
    what: 'write to a read-only FL page',
    mode: 'fl',
    req: { vpn: V + 1, access: W },
  },
  {
    code: F.SM_OUTPUT_IN_INTERRUPT_RANGE,
    what: 'FL leaf points into 0xFEEx_xxxx',
    mode: 'fl',
    req: { vpn: V + 4 },
  },
  // ---- nested ----
  {
    code: F.SM_NESTED_FL_TABLE_BEYOND_SL,
    what: 'FLPTPTR (a GPA) beyond the 39-bit second level',
    mode: 'nested',
    levels: 3,
    arrange: (e) => point(e, pasidPa(e) + 16, 2 ** 39),
  },
  {
    code: F.SM_NESTED_SL_READ_DENIED_FL_ROOT,
    what: 'FLPTPTR GPA not mapped by the second level',
    mode: 'nested',
    arrange: (e) => point(e, pasidPa(e) + 16, 0x4000_0000),
  },
  {
    code: F.SM_NESTED_SL_READ_DENIED_FL_PTE,
    what: 'PML4 entry points to a GPA the second level does not map',
    mode: 'nested',
    arrange: (e) => point(e, flEntry(e, 4), 0x4000_0000),
  },
  {
    code: F.SM_NESTED_SL_WRITE_DENIED_FL_PTE,
    what: 'A bit due in an FL table the second level maps read-only',
    mode: 'nested',
    arrange: (e) => setBits(e, slEntry(e, 1, e.flptptr! / 4096), 0n, 2n),
  },
  {
    code: F.SM_ADDRESS_BEYOND_MAX,
    what: 'FL output GPA beyond the 39-bit second level',
    mode: 'nested',
    levels: 3,
    arrange: (e) => point(e, flEntry(e, 1), 2 ** 40),
  },
  {
    code: F.SM_SL_PTE_NOT_PRESENT,
    what: 'FL output GPA not mapped by the second level',
    mode: 'nested',
    arrange: (e) => point(e, flEntry(e, 1), 0x4000_0000),
  },
];

/** Reasons the model never produces, and why (the rest must each have a case above). */
const NOT_PRODUCED: Readonly<Record<number, string>> = {
  [F.SM_INVALID_ROOT_TABLE_ADDRESS]: 'the root table address is latched by a set-up command, never invalid',
  [F.SM_TTM_LEGACY_PAGE_REQUEST]: 'page requests enter the PRQ without a context check',
  [F.SM_PRE_CLEAR]: 'page requests enter the PRQ without a context check',
  [F.SM_SL_AD_NO_SNOOP]: 'simulated memory is coherent: A/D updates never need snooping',
  [F.SM_FL_AD_NO_SNOOP]: 'simulated memory is coherent: A/D updates never need snooping',
  [F.SM_FL_AD_UPDATE_FAILED]: 'A/D writes go to memory the walk just read, so they cannot fail',
};

function translate(e: Env, r: Req = {}): { kind: number; out: TranslationResult } {
  const req = new TranslationRequest();
  const out = new TranslationResult();
  req.sid = r.sid ?? SID;
  req.pasid = r.pasid ?? NO_PASID;
  req.iovaPfn = r.vpn ?? V;
  req.access = r.access ?? R;
  req.ats = r.ats ?? false;
  return { kind: e.hw.translate(req, out), out };
}

const hex = (c: number): string => `0x${c.toString(16)}`;

describe('every fault reason the model produces', () => {
  it.each(CASES.map((c) => [`${hex(c.code)} ${VTD_FAULT_NAME.get(c.code)}: ${c.what}`, c] as const))(
    '%s',
    (_name, c) => {
      const e = build(c);
      c.arrange?.(e);
      const { kind, out } = translate(e, c.req);
      expect(out.archCode).toBe(c.code);
      expect(kind).toBe(c.kind ?? VTD_FAULT_KIND[c.code]);
      expect(kind).not.toBe(0);
      const rec = e.hw.faultRecorder.records.find((r) => r.F);
      expect(rec?.reason, 'recorded in a fault recording register').toBe(c.code);
      expect(rec?.sid).toBe(c.req?.sid ?? SID);
    },
  );

  it.each(['legacy', 'sl', 'pt', 'fl', 'nested'] as const)(
    'the untouched %s environment translates the page the cases use',
    (mode) => {
      const e = build({ code: 0, what: 'baseline', mode });
      const { kind, out } = translate(e, { access: R | W });
      expect(kind).toBe(0);
      expect(out.outPfn).toBe(mode === 'pt' ? V : mode === 'nested' ? 0x700 : 0x500);
      expect(e.hw.faultRecorder.ppf).toBe(false);
    },
  );

  it('a case for each reason translate.ts and walk/ can emit, and none for the others', () => {
    const src = ['../translate.ts', '../walk/context-read.ts', '../walk/sl-walk.ts', '../walk/fl-walk.ts']
      .map((p) => readFileSync(new URL(p, import.meta.url), 'utf8'))
      .join('\n');
    const emitted = new Set<number>();
    for (const m of src.matchAll(/\bF\.([A-Z0-9_]+)/g)) {
      const code = (F as Record<string, number>)[m[1]!];
      expect(code, `F.${m[1]} is a VT-d fault reason`).toBeTypeOf('number');
      emitted.add(code!);
    }
    expect(emitted.size).toBeGreaterThan(40);
    const covered = new Set(CASES.map((c) => c.code));
    const missing = [...emitted]
      .filter((c) => !covered.has(c))
      .map((c) => `${hex(c)} ${VTD_FAULT_NAME.get(c)}`);
    expect(missing, 'emitted reasons without a case').toEqual([]);
    for (const code of Object.values(F)) {
      if (emitted.has(code)) expect(NOT_PRODUCED[code], `${hex(code)} is produced`).toBeUndefined();
      else
        expect(
          NOT_PRODUCED[code],
          `${hex(code)} ${VTD_FAULT_NAME.get(code)} is neither produced nor explained`,
        ).toBeTypeOf('string');
    }
  });
});
