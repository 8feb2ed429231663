/**
 * The v5.10 UAPI on SMMUv3, through the simulator's UAPI commands (the core's
 * copies and checks run first, then the plugin's vendor op):
 * - default profile 'v5.10': mainline arm-smmu-v3 had no nested ops, so the
 *   core answers ENODEV to cache invalidation, bind and unbind;
 * - opt-in profile 'proposed' (Eric Auger's unmerged nested-stage series):
 *   bind attaches a guest CD table (stream becomes nested), invalidations map
 *   to CMD_TLBI_NH_* / CMD_CFGI_CD* with the host's VMID forced, then CMD_SYNC.
 */
import { describe, expect, it } from 'vitest';
import type { LogRecord } from '../../core/events/log/records.js';
import type { JsonObject, JsonValue } from '../../core/plugin/contract.js';
import { PluginHost } from '../../core/plugin/host.js';
import { Simulator } from '../../core/sim/simulator.js';
import { encode } from '../../core/uapi/codec.js';
import type { UapiResult } from '../../core/uapi/errno.js';
import { UAPI } from '../../core/uapi/uapi-constants.js';
import smmuv3 from './index.js';
import { IOMMU_PASID_FORMAT_SMMUV3_SIM } from './proposed-uapi.js';
import { CR0 } from './structures/registers.js';

const SID = 0x10;
const HOST_VMID = 9;
const GUEST_ASID = 3;
const MIB = 2 ** 20;
const hex = (n: number | bigint): string => `0x${n.toString(16)}`;
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

interface World {
  readonly sim: Simulator;
  readonly records: LogRecord[];
  run(type: string, data?: JsonObject): JsonValue;
  exec(type: string, data?: JsonObject): UapiResult<JsonValue>;
  dma(iova: number, access?: string): { [k: string]: JsonValue };
  of(type: string): JsonObject[];
}

/**
 * One SMMU (unit u0) with device dev0 (SID 0x10) whose STE the host made stage-2 only:
 * VMID 9, IPA = PA for the 64 MiB of memory (2 MiB blocks), so guest IPAs are the PAs the
 * frame allocator hands out. `extra` adds unit options and `smmuv3.init` data.
 */
function world(
  profile: 'v5.10' | 'proposed',
  kernel = profile === 'proposed' ? 'v5.10-proposed' : 'v5.10',
  extra: { readonly options?: JsonObject; readonly init?: JsonObject } = {},
): World {
  const records: LogRecord[] = [];
  const sim = new Simulator(
    new PluginHost().use(smmuv3),
    {
      seed: 1,
      kernel,
      memoryBytes: 64 * MIB,
      units: [{ id: 'u0', plugin: 'smmuv3', options: { profile, ...extra.options } }],
      devices: [{ name: 'dev0', unit: 'u0', sid: SID }],
    },
    [{ append: (r) => records.push(r) }],
  );
  const exec = (type: string, data: JsonObject = {}) => sim.execute({ type, data });
  const run = (type: string, data: JsonObject = {}): JsonValue => {
    const r = exec(type, data);
    if (!r.ok) throw new Error(`${type}: ${r.errno} ${r.detail}`);
    return r.value;
  };
  run('smmuv3.init', extra.init);
  // An SMMU without stage 2 has no host stage 2 to set up: the test writes its own STE.
  if (extra.options?.stages !== 's1') {
    run('smmuv3.table.create', { name: 's2', stage: 2, granule: 4096, inputBits: 40 });
    for (let a = 0; a < 64 * MIB; a += 2 * MIB)
      run('smmuv3.table.map', { table: 's2', iova: hex(a), pa: hex(a), level: 2 });
    run('smmuv3.ste.write', {
      sid: SID,
      s2Table: 's2',
      fields: { V: 1, Config: 0b110, S2VMID: HOST_VMID, S2R: 1 },
    });
  }
  return {
    sim,
    records,
    run,
    exec,
    dma: (iova, access = 'r') =>
      run('device.dma.access', { device: 'dev0', iova: hex(iova), access }) as { [k: string]: JsonValue },
    of: (type) => records.filter((r) => r.type === type).map((r) => r.data as JsonObject),
  };
}

/** The guest's stage 1: a CD (ASID 3) and 48-bit 4K tables, in guest memory. Returns the CD's IPA. */
function guestTables(w: World, fields: JsonObject = {}): number {
  w.run('smmuv3.table.create', { name: 'g1', stage: 1, granule: 4096, inputBits: 48 });
  const cd = w.run('smmuv3.cd.write', {
    ttb0: 'g1',
    fields: { V: 1, AA64: 1, A: 1, R: 1, EPD1: 1, IPS: 5, ASID: GUEST_ASID, ...fields },
  }) as { addr: string };
  return Number(cd.addr);
}

function bindHex(gpgd: number, format = IOMMU_PASID_FORMAT_SMMUV3_SIM): string {
  return toHex(
    encode('iommu_gpasid_bind_data', {
      argsz: 72,
      version: 1,
      format,
      addr_width: 0,
      flags: 0n,
      gpgd: BigInt(gpgd),
      hpasid: 0n,
      gpasid: 0n,
      padding: new Uint8Array(8),
      vendor: { vtd: { flags: 0n, pat: 0, emt: 0 } },
    }),
  );
}

interface Inv {
  cache: number;
  granularity: number;
  flags?: number;
  archid?: number;
  pasid?: bigint;
  addr?: bigint;
  granuleSize?: bigint;
  pages?: bigint;
}

function invHex(i: Inv): string {
  const flags = i.flags ?? 0;
  const archid = i.archid ?? 0;
  const pasid = i.pasid ?? 0n;
  return toHex(
    encode('iommu_cache_invalidate_info', {
      argsz: 56,
      version: 1,
      cache: i.cache,
      granularity: i.granularity,
      padding: new Uint8Array(6),
      granu: {
        pasid_info: { flags, archid, pasid },
        addr_info: {
          flags,
          archid,
          pasid,
          addr: i.addr ?? 0n,
          granule_size: i.granuleSize ?? 4096n,
          nb_granules: i.pages ?? 1n,
        },
      },
    }),
  );
}

const IOTLB = UAPI.IOMMU_CACHE_INV_TYPE_IOTLB;
const { IOMMU_INV_GRANU_DOMAIN: DOMAIN, IOMMU_INV_GRANU_PASID: PASID, IOMMU_INV_GRANU_ADDR: ADDR } = UAPI;
const ARCHID = UAPI.IOMMU_INV_ADDR_FLAGS_ARCHID;

/** The native commands a UAPI call made (source "uapi"), with their operands. */
function uapiCommands(w: World): [string, JsonObject][] {
  return w
    .of('smmuv3.command.executed')
    .filter((e) => e.source === 'uapi')
    .map((e) => [e.op as string, e.detail as JsonObject]);
}

describe("profile 'v5.10' (default): faithful to mainline", () => {
  it('the core answers ENODEV to cache invalidation, bind and unbind: the driver has no such ops', () => {
    const w = world('v5.10');
    const inv = w.exec('uapi.cache.invalidate', {
      device: 'dev0',
      hex: invHex({ cache: IOTLB, granularity: DOMAIN }),
    });
    expect(inv).toMatchObject({ ok: false, errno: 'ENODEV' });
    const bind = w.exec('uapi.gpasid.bind', { device: 'dev0', hex: bindHex(0x1000, 1) });
    expect(bind).toMatchObject({ ok: false, errno: 'ENODEV' });
    const unbind = w.exec('uapi.gpasid.unbind', { device: 'dev0', hex: bindHex(0x1000, 1) });
    expect(unbind).toMatchObject({ ok: false, errno: 'ENODEV' });
    // Nothing reached the SMMU.
    expect(w.of('smmuv3.command.executed')).toEqual([]);
  });

  it('capabilities advertise no invalidation, no bind format, and no attach command', () => {
    const w = world('v5.10');
    const caps = w.sim.units.get('u0')!.capabilities();
    expect(caps).toMatchObject({ profile: 'v5.10', cacheInvalidation: [], bindFormats: [], pasidBits: 0 });
    expect(w.exec('smmuv3.pasid-table.attach', { sid: SID, config: 'translate' })).toMatchObject({
      ok: false,
      errno: 'ENODEV',
    });
  });
});

describe("profile 'proposed' (NOT mainline): the nested-stage series", () => {
  it('is labelled proposed in capabilities, and its bind format needs the v5.10-proposed core', () => {
    const w = world('proposed');
    expect(w.sim.units.get('u0')!.capabilities()).toMatchObject({
      profile: 'proposed',
      bindFormats: [IOMMU_PASID_FORMAT_SMMUV3_SIM],
      nested: true,
    });
    expect(w.sim.kernel.mainline).toBe(false);
    // A mainline core rejects format 2 (>= IOMMU_PASID_FORMAT_LAST) before the plugin sees it.
    const mainline = world('proposed', 'v5.10');
    const r = mainline.exec('uapi.gpasid.bind', { device: 'dev0', hex: bindHex(0x1000) });
    expect(r).toMatchObject({
      ok: false,
      errno: 'EINVAL',
      detail: expect.stringMatching(/IOMMU_PASID_FORMAT_LAST/),
    });
    expect(mainline.of('smmuv3.pasid-table.attached')).toEqual([]);
  });

  it('bind attaches the guest CD table: the stream becomes nested (guest stage 1, host stage 2)', () => {
    const w = world('proposed');
    const cd = guestTables(w);
    // The guest maps VA 0x30_0000 to IPA 0x20_0000.
    w.run('smmuv3.table.map', { table: 'g1', iova: '0x300000', pa: '0x200000' });
    // Before bind: stage 2 only, so the VA is taken as an IPA (= PA).
    expect(w.dma(0x30_0123).out).toBe('0x0000000000300123');
    w.run('uapi.gpasid.bind', { device: 'dev0', hex: bindHex(cd) });
    expect(w.of('smmuv3.pasid-table.attached')).toEqual([
      { unit: 'u0', sid: SID, config: 'translate', basePtr: hex(cd) },
    ]);
    // The attach invalidated the STE (CMD_CFGI_STE, CMD_SYNC): the next DMA walks the guest tables.
    expect(uapiCommands(w).map(([op]) => op)).toEqual(['CMD_CFGI_STE', 'CMD_SYNC']);
    expect(w.dma(0x30_0123).out).toBe('0x0000000000200123');
    // A second TRANSLATE attach is refused (S1 -> S1).
    expect(w.exec('uapi.gpasid.bind', { device: 'dev0', hex: bindHex(cd) })).toMatchObject({
      errno: 'EBUSY',
    });
    // Unbind: back to stage 2 only.
    w.run('uapi.gpasid.unbind', { device: 'dev0', hex: bindHex(cd) });
    expect(w.of('smmuv3.pasid-table.detached')).toHaveLength(1);
    expect(w.dma(0x30_0123).out).toBe('0x0000000000300123');
  });

  /** A bound guest with pages VA 0x4000_0000 + i·4K (i < 8) cached, then unmapped by the guest. */
  function boundAndStale(options: JsonObject = {}): World {
    const w = world('proposed', undefined, { options });
    const cd = guestTables(w);
    for (let i = 0; i < 8; i++)
      w.run('smmuv3.table.map', {
        table: 'g1',
        iova: hex(0x4000_0000 + i * 4096),
        pa: hex(0x20_0000 + i * 4096),
      });
    w.run('uapi.gpasid.bind', { device: 'dev0', hex: bindHex(cd) });
    for (let i = 0; i < 8; i++) expect(w.dma(0x4000_0000 + i * 4096).hit).toBe(false);
    for (let i = 0; i < 8; i++)
      w.run('smmuv3.table.unmap', { table: 'g1', iova: hex(0x4000_0000 + i * 4096) });
    w.records.length = 0;
    return w;
  }
  const stillCached = (w: World): number[] =>
    [0, 1, 2, 3, 4, 5, 6, 7].filter((i) => w.dma(0x4000_0000 + i * 4096).out !== undefined);

  it('IOTLB ADDR with ARCHID = ASID: CMD_TLBI_NH_VA (range form) with the host VMID forced, then CMD_SYNC', () => {
    const w = boundAndStale();
    const inv = {
      cache: IOTLB,
      granularity: ADDR,
      flags: ARCHID,
      archid: GUEST_ASID,
      addr: 0x4000_1000n,
      pages: 6n,
    };
    w.run('uapi.cache.invalidate', { device: 'dev0', hex: invHex(inv) });
    expect(uapiCommands(w)).toEqual([
      ['CMD_TLBI_NH_VA', { vmid: HOST_VMID, asid: GUEST_ASID, page: '0x40001', pages: 6, entries: 6 }],
      ['CMD_SYNC', { cs: 'none', completed: true }],
    ]);
    expect(stillCached(w)).toEqual([0, 7]);
  });

  it('IOTLB PASID granularity with ARCHID: CMD_TLBI_NH_ASID; DOMAIN: CMD_TLBI_NH_ALL of the host VMID', () => {
    const w = boundAndStale();
    const byAsid = { cache: IOTLB, granularity: PASID, flags: UAPI.IOMMU_INV_PASID_FLAGS_ARCHID, archid: 4 };
    w.run('uapi.cache.invalidate', { device: 'dev0', hex: invHex(byAsid) });
    expect(stillCached(w)).toHaveLength(8); // another ASID: nothing dropped
    w.run('uapi.cache.invalidate', { device: 'dev0', hex: invHex({ ...byAsid, archid: GUEST_ASID }) });
    expect(stillCached(w)).toEqual([]);
    const w2 = boundAndStale();
    w2.run('uapi.cache.invalidate', { device: 'dev0', hex: invHex({ cache: IOTLB, granularity: DOMAIN }) });
    expect(stillCached(w2)).toEqual([]);
    expect(uapiCommands(w).map(([op, d]) => [op, d.vmid ?? null, d.asid ?? null])).toEqual([
      ['CMD_TLBI_NH_ASID', HOST_VMID, 4],
      ['CMD_SYNC', null, null],
      ['CMD_TLBI_NH_ASID', HOST_VMID, GUEST_ASID],
      ['CMD_SYNC', null, null],
    ]);
    expect(uapiCommands(w2)[0]).toEqual(['CMD_TLBI_NH_ALL', { vmid: HOST_VMID, entries: 8 }]);
  });

  it('ADDR without ARCHID is widened to CMD_TLBI_NH_ALL; the PASID cache maps to CMD_CFGI_CD(_ALL)', () => {
    const w = boundAndStale();
    w.run('uapi.cache.invalidate', {
      device: 'dev0',
      hex: invHex({ cache: IOTLB, granularity: ADDR, addr: 0x4000_0000n }),
    });
    w.run('uapi.cache.invalidate', {
      device: 'dev0',
      hex: invHex({ cache: UAPI.IOMMU_CACHE_INV_TYPE_PASID, granularity: DOMAIN }),
    });
    w.run('uapi.cache.invalidate', {
      device: 'dev0',
      hex: invHex({
        cache: UAPI.IOMMU_CACHE_INV_TYPE_PASID,
        granularity: PASID,
        flags: UAPI.IOMMU_INV_PASID_FLAGS_PASID,
        pasid: 0n,
      }),
    });
    expect(uapiCommands(w).map(([op, d]) => [op, d.sid ?? d.vmid ?? null])).toEqual([
      ['CMD_TLBI_NH_ALL', HOST_VMID],
      ['CMD_SYNC', null],
      ['CMD_CFGI_CD_ALL', SID],
      ['CMD_SYNC', null],
      ['CMD_CFGI_CD', SID],
      ['CMD_SYNC', null],
    ]);
  });

  it('refuses what the series refused: PASID-tagged IOTLB and DEV_IOTLB (ENOENT), a PASID other than 0 (EINVAL)', () => {
    const w = boundAndStale();
    const cases: [Inv, string][] = [
      [{ cache: IOTLB, granularity: ADDR, flags: UAPI.IOMMU_INV_ADDR_FLAGS_PASID, pasid: 1n }, 'ENOENT'],
      [{ cache: IOTLB, granularity: PASID, flags: UAPI.IOMMU_INV_PASID_FLAGS_PASID, pasid: 1n }, 'ENOENT'],
      [{ cache: UAPI.IOMMU_CACHE_INV_TYPE_DEV_IOTLB, granularity: ADDR, addr: 0x1000n }, 'ENOENT'],
      [
        {
          cache: UAPI.IOMMU_CACHE_INV_TYPE_PASID,
          granularity: PASID,
          flags: UAPI.IOMMU_INV_PASID_FLAGS_PASID,
          pasid: 2n,
        },
        'EINVAL',
      ],
    ];
    for (const [inv, errno] of cases) {
      expect(w.exec('uapi.cache.invalidate', { device: 'dev0', hex: invHex(inv) })).toMatchObject({
        ok: false,
        errno,
      });
    }
    expect(uapiCommands(w)).toEqual([]);
    expect(stillCached(w)).toHaveLength(8);
  });

  it('a stage-1 fault of a bound stream reaches the registered handler as DMA_UNRECOV', () => {
    const w = boundAndStale();
    w.run('uapi.fault.register', { device: 'dev0' });
    w.run('smmuv3.cmdq.submit', { commands: [{ op: 'CMD_TLBI_NSNH_ALL' }, { op: 'CMD_SYNC' }] });
    expect(w.dma(0x4000_2010, 'w').fault).toBe('TRANSLATION');
    const delivered = w.of('core.fault.delivered');
    expect(delivered).toHaveLength(1);
    expect(delivered[0]!.fault).toMatchObject({
      type: UAPI.IOMMU_FAULT_DMA_UNRECOV,
      event: { reason: UAPI.IOMMU_FAULT_REASON_PTE_FETCH, flags: UAPI.IOMMU_FAULT_UNRECOV_ADDR_VALID },
    });
  });
  describe('faults reach user space only through an event record (reference A.6, C.4)', () => {
    /** A bound guest with nothing mapped and a registered fault handler. */
    function faulting(cdFields: JsonObject = {}, init: JsonObject = {}): World {
      const w = world('proposed', undefined, { init });
      const cd = guestTables(w, cdFields);
      w.run('uapi.gpasid.bind', { device: 'dev0', hex: bindHex(cd) });
      w.run('uapi.fault.register', { device: 'dev0' });
      w.records.length = 0;
      return w;
    }
    const outcomes = (w: World): JsonValue[] => w.of('smmuv3.fault.raised').map((e) => e.outcome!);
    const deliveredAddrs = (w: World): JsonValue[] =>
      w.of('core.fault.delivered').map((d) => ((d.fault as JsonObject).event as JsonObject).addr!);

    it('CD.R = 0: the SMMU records no F_TRANSLATION, so nothing is delivered', () => {
      const w = faulting({ R: 0 });
      expect(w.dma(0x4000_0000).fault).toBe('TRANSLATION');
      expect(outcomes(w)).toEqual(['not-recorded']);
      expect(deliveredAddrs(w)).toEqual([]);
    });

    it('CR0.EVTQEN = 0: the record is lost, and the fault with it', () => {
      const w = faulting();
      w.run('smmuv3.reg.write', { reg: 'CR0', value: CR0.SMMUEN | CR0.CMDQEN });
      expect(w.dma(0x4000_0000).fault).toBe('TRANSLATION');
      expect(outcomes(w)).toEqual(['queue-disabled']);
      expect(deliveredAddrs(w)).toEqual([]);
    });

    it('a full event queue: the records that fit are delivered, the overflowing one is not', () => {
      const w = faulting({}, { evtqLog2: 1 }); // room for two records
      for (let i = 0; i < 3; i++) expect(w.dma(0x4000_0000 + i * 4096).fault).toBe('TRANSLATION');
      expect(outcomes(w)).toEqual(['queued', 'queued', 'overflow']);
      expect(deliveredAddrs(w)).toEqual(['0x0000000040000000', '0x0000000040001000']);
    });
  });

  it.each(['s1', 'nested'] as const)(
    'refuses invalidation of a stream that is not a nested domain with EINVAL and no command (stages %s)',
    (stages) => {
      const w = world('proposed', undefined, { options: { stages } });
      // The host's own stage-1 domain: its CD (ASID 5) and a page it translates.
      w.run('smmuv3.table.create', { name: 'h1', stage: 1, granule: 4096, inputBits: 48 });
      w.run('smmuv3.table.map', { table: 'h1', iova: '0x1000', pa: '0x200000' });
      w.run('smmuv3.cd.write', {
        name: 'hcd',
        ttb0: 'h1',
        fields: { V: 1, AA64: 1, A: 1, R: 1, EPD1: 1, IPS: 5, ASID: 5 },
      });
      w.run('smmuv3.ste.write', { sid: SID, cd: 'hcd', fields: { V: 1, Config: 0b101 } });
      expect(w.dma(0x1000).hit).toBe(false);
      w.records.length = 0;
      const cases: Inv[] = [
        { cache: IOTLB, granularity: DOMAIN },
        { cache: IOTLB, granularity: PASID, flags: UAPI.IOMMU_INV_PASID_FLAGS_ARCHID, archid: 5 },
        { cache: IOTLB, granularity: ADDR, flags: ARCHID, archid: 5, addr: 0x1000n },
        { cache: UAPI.IOMMU_CACHE_INV_TYPE_PASID, granularity: DOMAIN },
      ];
      for (const inv of cases)
        expect(w.exec('uapi.cache.invalidate', { device: 'dev0', hex: invHex(inv) })).toMatchObject({
          ok: false,
          errno: 'EINVAL',
        });
      expect(w.of('smmuv3.command.executed')).toEqual([]);
      expect(w.of('smmuv3.command.failed')).toEqual([]);
      expect(w.dma(0x1000).hit).toBe(true); // the host's entry survived
    },
  );

  describe('IOTLB ADDR without range invalidation (ril: false)', () => {
    const addrInv = (addr: bigint, granuleSize: bigint, pages: bigint): string =>
      invHex({
        cache: IOTLB,
        granularity: ADDR,
        flags: ARCHID,
        archid: GUEST_ASID,
        addr,
        granuleSize,
        pages,
      });
    const pagesOf = (w: World): JsonValue[] =>
      uapiCommands(w)
        .filter(([op]) => op === 'CMD_TLBI_NH_VA')
        .map(([, d]) => d.page!);

    it('without RIL, one CMD_TLBI_NH_VA per 4 KiB page of a 2 MiB granule, so every piece of a block goes', () => {
      const w = world('proposed', undefined, { options: { ril: false } });
      const cd = guestTables(w);
      w.run('smmuv3.table.map', { table: 'g1', iova: '0x40000000', pa: '0x200000', level: 2 });
      w.run('uapi.gpasid.bind', { device: 'dev0', hex: bindHex(cd) });
      expect(w.dma(0x4000_0000).hit).toBe(false);
      expect(w.dma(0x401f_f000).hit).toBe(true);
      w.run('smmuv3.table.unmap', { table: 'g1', iova: '0x40000000' });
      w.records.length = 0;
      w.run('uapi.cache.invalidate', { device: 'dev0', hex: addrInv(0x4000_0000n, 2n * BigInt(MIB), 1n) });
      const pages = pagesOf(w);
      expect(pages).toHaveLength(512);
      expect([pages[0], pages[511]]).toEqual(['0x40000', '0x401ff']);
      expect(uapiCommands(w).at(-1)).toEqual(['CMD_SYNC', { cs: 'none', completed: true }]);
      expect(w.dma(0x401f_f000).fault).toBe('TRANSLATION');
    });

    it('an 8 KiB granule is two 4 KiB steps', () => {
      const w = boundAndStale({ ril: false });
      w.run('uapi.cache.invalidate', { device: 'dev0', hex: addrInv(0x4000_2000n, 8192n, 2n) });
      expect(pagesOf(w)).toEqual(['0x40002', '0x40003', '0x40004', '0x40005']);
      expect(stillCached(w)).toEqual([0, 1, 6, 7]);
    });

    it('a power-of-two granule below 4 KiB is rounded to 4 KiB pages that cover the requested bytes', () => {
      const w = boundAndStale({ ril: false });
      w.run('uapi.cache.invalidate', { device: 'dev0', hex: addrInv(0x4000_1000n, 512n, 16n) });
      expect(pagesOf(w)).toEqual(['0x40001', '0x40002']);
      expect(stillCached(w)).toEqual([0, 3, 4, 5, 6, 7]);
      w.records.length = 0;
      // 9 × 512 bytes end 512 bytes into the second page, which is invalidated too.
      w.run('uapi.cache.invalidate', { device: 'dev0', hex: addrInv(0x4000_4000n, 512n, 9n) });
      expect(pagesOf(w)).toEqual(['0x40004', '0x40005']);
      expect(stillCached(w)).toEqual([0, 3, 6, 7]);
      // Not a power of two, or zero: EINVAL.
      for (const g of [0n, 768n])
        expect(
          w.exec('uapi.cache.invalidate', { device: 'dev0', hex: addrInv(0x4000_0000n, g, 1n) }),
        ).toMatchObject({ ok: false, errno: 'EINVAL' });
    });

    it.each([false, true])('a range crossing 2^64 stops at the last page (ril: %s)', (ril) => {
      const w = boundAndStale({ ril });
      const r = w.exec('uapi.cache.invalidate', {
        device: 'dev0',
        hex: addrInv(0xffff_ffff_ffff_f000n, 4096n, 2n),
      });
      expect(r).toEqual({ ok: true, value: expect.anything() });
      expect(uapiCommands(w)).toEqual([
        [
          'CMD_TLBI_NH_VA',
          { vmid: HOST_VMID, asid: GUEST_ASID, page: '0xfffffffffffff', pages: 1, entries: 0 },
        ],
        ['CMD_SYNC', { cs: 'none', completed: true }],
      ]);
    });
  });
});
