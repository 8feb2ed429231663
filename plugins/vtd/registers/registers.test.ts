import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../../core/plugin/contract.js';
import { PluginHost } from '../../../core/plugin/host.js';
import { Simulator } from '../../../core/sim/simulator.js';
import vtd from '../index.js';

type Profile = 'default' | 'qemu';

/** A legacy-mode unit with dev0 (sid 0x10) in domain 1, IOVA 0x1000 -> 0x5000. */
function world(profile: Profile, options: JsonObject = {}) {
  const s = new Simulator(new PluginHost().use(vtd), {
    seed: 1,
    kernel: 'v5.10',
    memoryBytes: 64 << 20,
    units: [{ id: 'u0', plugin: 'vtd', options: { mode: 'legacy', profile, ...options } }],
    devices: [{ name: 'dev0', sid: 0x10, unit: 'u0' }],
  });
  const run = (type: string, data: JsonObject = {}): JsonObject => {
    const r = s.execute({ type, data });
    if (!r.ok) throw new Error(`${type}: ${r.errno} ${r.detail}`);
    return r.value as JsonObject;
  };
  run('vtd.root.set');
  run('vtd.domain.create', { did: 1 });
  run('vtd.device.attach', { device: 'dev0', did: 1 });
  run('vtd.pt.map', { table: 'sl', did: 1, iova: '0x1000', pa: '0x5000' });
  const write = (reg: string, value: bigint): JsonObject =>
    run('vtd.regs.write', { reg, value: `0x${value.toString(16)}` });
  const read = (): JsonObject => run('vtd.regs.read');
  const dma = (): JsonObject => run('device.dma.access', { device: 'dev0', iova: '0x1000', access: 'r' });
  const remap = (pa: string): void => {
    run('vtd.pt.map', { table: 'sl', did: 1, iova: '0x1000', pa });
  };
  return { s, run, write, read, dma, remap };
}

const bit = (n: number): bigint => 1n << BigInt(n);
const TE = bit(31);
const SRTP = bit(30);
const QIE = bit(26);

describe('GCMD and GSTS', () => {
  it('each command bit sets its status bit; one-shot SRTP/SIRTP latch, WBF completes at once', () => {
    const w = world('default');
    expect(w.read().GSTS).toBe(((1 << 31) | (1 << 30) | (1 << 26)) >>> 0); // TES, RTPS, QIES
    const g = (v: bigint) => w.write('GCMD', v) as { GSTS: number; done: string[] };
    expect(g(TE | QIE | bit(25))).toEqual({
      GSTS: ((1 << 31) | (1 << 30) | (1 << 26) | (1 << 25)) >>> 0,
      done: ['IRE'],
      ignored: [],
    });
    w.write('IRTA', 0x120000fn);
    expect(g(TE | QIE | bit(25) | bit(24)).done).toEqual(['SIRTP']);
    expect(w.read().IRTA).toBe('0x000000000120000f');
    expect(g(TE | QIE | bit(25) | bit(23)).done).toEqual(['CFI']);
    expect(w.read().GSTS).toBe(((1 << 31) | (1 << 30) | (1 << 26) | (1 << 25) | (1 << 24) | (1 << 23)) >>> 0);
    expect(g(TE | QIE | bit(27)).done).toEqual(['IRE off', 'CFI off', 'WBF']);
    expect((w.read().GSTS as number) & (1 << 27)).toBe(0); // WBFS: the flush is already done
    expect(g(QIE).done).toEqual(['TE off']);
    expect((w.read().GSTS as number) >>> 31).toBe(0);
    expect((w.write('GCMD', QIE | bit(29)) as { ignored: string[] }).ignored).toEqual(['SFL']);
  });

  it('SRTP latches RTADDR (TTM bit 10 = scalable needs ECAP.SMTS)', () => {
    const w = world('default', {
      caps: { smts: false, slts: false, flts: false, pasidBits: 0, nest: false, prs: false },
    });
    w.write('RTADDR', 0x200000n);
    w.write('GCMD', TE | QIE | SRTP);
    expect(w.read().RTADDR).toBe('0x0000000000200000');
    expect(w.s.execute({ type: 'vtd.regs.write', data: { reg: 'RTADDR', value: '0x200400' } }).ok).toBe(true);
    const r = w.s.execute({
      type: 'vtd.regs.write',
      data: { reg: 'GCMD', value: `0x${(TE | QIE | SRTP).toString(16)}` },
    });
    expect(r).toMatchObject({ ok: false, errno: 'EINVAL' });
  });

  it('spec semantics: SRTP and TE toggles flush nothing, so a stale IOTLB entry stays in use', () => {
    const w = world('default');
    expect(w.dma()).toMatchObject({ out: '0x0000000000005000', hit: false });
    w.remap('0x9000');
    w.write('GCMD', QIE); // TE off
    w.write('GCMD', TE | QIE); // TE on
    const root = w.read().RTADDR as string;
    w.write('RTADDR', BigInt(root));
    w.write('GCMD', TE | QIE | SRTP);
    expect(w.dma()).toMatchObject({ out: '0x0000000000005000', hit: true });
  });

  it('qemu profile: a TE toggle resets the context cache and the IOTLB, as QEMU does', () => {
    const w = world('qemu');
    expect(w.dma()).toMatchObject({ out: '0x0000000000005000', hit: false });
    w.remap('0x9000');
    w.write('GCMD', QIE);
    w.write('GCMD', TE | QIE);
    expect(w.dma()).toMatchObject({ out: '0x0000000000009000', hit: false });
    w.remap('0xa000');
    const root = w.read().RTADDR as string;
    w.write('RTADDR', BigInt(root));
    w.write('GCMD', TE | QIE | SRTP); // SRTP resets too
    expect(w.dma()).toMatchObject({ out: '0x000000000000a000', hit: false });
  });

  it('QIE off resets IQH and refuses descriptors; on again, the queue runs', () => {
    const w = world('default');
    w.run('vtd.qi.submit', {
      descriptors: [
        ['0x4', '0x0'],
        ['0x4', '0x0'],
      ],
    });
    expect(w.read().IQH).toBe(0x20);
    w.write('GCMD', TE);
    expect(w.read()).toMatchObject({ IQH: 0, IQT: 0 });
    expect(w.run('vtd.qi.submit', { descriptors: [['0x4', '0x0']] })).toMatchObject({
      processed: 0,
      error: { reason: expect.stringMatching(/QIES clear/) },
    });
    w.write('GCMD', TE | QIE);
    expect(w.run('vtd.qi.submit', { descriptors: [['0x4', '0x0']] })).toMatchObject({ processed: 1 });
  });
});

describe('register-based invalidation', () => {
  it('CCMD: global, domain performed as global (CAIG 1), device (CAIG 3); ICC clears', () => {
    for (const [cirg, caig] of [
      [1n, 1],
      [2n, 1],
      [3n, 3],
    ] as const) {
      const w = world('default');
      w.dma();
      const r = w.write('CCMD', bit(63) | (cirg << 61n) | (0x10n << 16n) | 1n) as {
        CCMD: string;
        CAIG: number;
      };
      expect(r.CAIG).toBe(caig);
      expect(BigInt(r.CCMD) >> 63n).toBe(0n);
      expect((BigInt(r.CCMD) >> 59n) & 3n).toBe(BigInt(caig));
      expect((w.s.units.get('u0')!.stats().caches.context as { invalidated: number }).invalidated).toBe(1);
    }
  });

  it('IOTLB: page-selective with IVA (IAIG 3), domain (IAIG 2), global (IAIG 1); AM above MAMV is not performed', () => {
    const w = world('default');
    w.dma();
    w.remap('0x9000');
    w.write('IVA', 0x1000n | 19n); // AM 19 > MAMV 18
    expect(w.write('IOTLB', bit(63) | (3n << 60n) | (1n << 32n))).toMatchObject({
      performed: false,
      IAIG: 0,
    });
    expect(w.dma()).toMatchObject({ out: '0x0000000000005000', hit: true });
    w.write('IVA', 0x1000n);
    const r = w.write('IOTLB', bit(63) | (3n << 60n) | (1n << 32n)) as { IOTLB: string; IAIG: number };
    expect(r.IAIG).toBe(3);
    expect((BigInt(r.IOTLB) >> 57n) & 3n).toBe(3n);
    expect(w.dma()).toMatchObject({ out: '0x0000000000009000', hit: false });
    w.remap('0xa000');
    expect(w.write('IOTLB', bit(63) | (2n << 60n) | (1n << 32n))).toMatchObject({ IAIG: 2 });
    expect(w.dma()).toMatchObject({ out: '0x000000000000a000', hit: false });
    w.remap('0xb000');
    expect(w.write('IOTLB', bit(63) | (1n << 60n))).toMatchObject({ IAIG: 1 });
    expect(w.dma()).toMatchObject({ out: '0x000000000000b000', hit: false });
  });

  it('qemu profile: register invalidation is ignored while QI is enabled, performed once it is off', () => {
    const w = world('qemu');
    w.dma();
    w.remap('0x9000');
    expect(w.write('IOTLB', bit(63) | (1n << 60n))).toMatchObject({ performed: false });
    expect(w.dma()).toMatchObject({ out: '0x0000000000005000', hit: true });
    w.write('GCMD', TE); // QI off (a TE toggle it is not: TE stays on)
    expect(w.write('IOTLB', bit(63) | (1n << 60n))).toMatchObject({ performed: true, IAIG: 1 });
    expect(w.dma()).toMatchObject({ out: '0x0000000000009000', hit: false });
  });
});

describe('queue registers read as the architecture defines them', () => {
  it('IQH/IQT: the index in bits 18:4 (128-bit) or 18:5 (256-bit); IQT writes fetch from the queue in memory', () => {
    const w = world('default');
    const base = 0x100000;
    w.write('IQA', BigInt(base)); // QS 0: 256 entries
    // Two wait descriptors with a status write each, in simulated memory.
    for (let i = 0; i < 2; i++) {
      w.s.memory.write64(base + 16 * i, 0x25n | (BigInt(7 + i) << 32n));
      w.s.memory.write64(base + 16 * i + 8, BigInt(0x200000 + 4 * i));
    }
    expect(w.write('IQT', 0x20n)).toMatchObject({ IQH: 0x20, IQT: 0x20, processed: 2 });
    expect(w.s.memory.read32(0x200004)).toBe(8);
    expect(w.read()).toMatchObject({ IQH: 0x20, IQT: 0x20, IQER: 0 });
  });

  it('256-bit descriptors: offsets in 32-byte units; a tail with bit 4 set is an invalid tail (IQEI 1)', () => {
    const w = world('default');
    w.write('IQA', 0x100000n | bit(11));
    w.run('vtd.qi.submit', { descriptors: [['0x4', '0x0', '0x0', '0x0']] });
    expect(w.read()).toMatchObject({ IQH: 0x20, IQT: 0x20 });
    w.write('IQT', 0x30n);
    expect(w.read()).toMatchObject({ IQER: 1, FSTS: 0x10 });
  });

  it('IQER holds the IQEI error type: 3 invalid type, 4 reserved field, 5 width, 2 fetch error', () => {
    const cases: [JsonObject, number][] = [
      [{ descriptors: [['0xf', '0x0']] }, 3],
      [{ descriptors: [['0x2', '0x0']] }, 4], // IOTLB granularity 0 is reserved
      [{ descriptors: [['0x26', '0x0']] }, 5], // a PASID-based IOTLB descriptor must be 256-bit
    ];
    for (const [data, code] of cases) {
      const w = world('default');
      w.run('vtd.qi.submit', { descriptors: [['0x4', '0x0']] });
      w.run('vtd.qi.submit', data);
      expect(w.read()).toMatchObject({ IQER: code, IQH: 0x10, FSTS: 0x10 });
      w.run('vtd.fault.clear', { iqe: true });
      expect(w.read().IQER).toBe(0);
    }
    const w = world('default');
    w.write('IQA', BigInt(128 << 20)); // beyond the 64 MiB of simulated memory
    expect(w.write('IQT', 0x10n)).toMatchObject({
      processed: 0,
      error: { reason: expect.stringMatching(/cannot be fetched/) },
    });
    expect(w.read()).toMatchObject({ IQER: 2, IQH: 0, FSTS: 0x10 });
  });

  it('PRS, PQH and PQT are readable', () => {
    const w = world('default', { mode: 'scalable', driver: { prqThread: 'held' } });
    expect(w.read()).toMatchObject({ PRS: 0, PQH: 0, PQT: 0 });
  });
});
