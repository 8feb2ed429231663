/**
 * The contract suite every plugin runs (plugins/<name>/contract.test.ts):
 *
 *   runIommuContract({ plugin, fixture, skip: { 'stale translation...': 'why' } })
 *
 * It drives the plugin through the real simulator, so routing, events and
 * the UAPI entry points are exercised as in a scenario. The fixture tells the
 * suite how to map and unmap one page with the plugin's own commands.
 * Skipping a case requires a written reason.
 */
import { deserialize, serialize } from 'node:v8';
import { describe, expect, it } from 'vitest';
import type { LogRecord } from '../events/log/records.js';
import type { JsonObject, JsonValue } from '../plugin/contract.js';
import { type AnyPlugin, PluginHost } from '../plugin/host.js';
import type { DeviceSpec } from '../sim/config.js';
import { type CommandInput, type SimState, Simulator } from '../sim/simulator.js';

export interface ContractFixture {
  /** Plugin options for the unit under test. */
  readonly options?: JsonObject;
  /** The device the suite uses (name "dev0", unit "u0" are filled in). */
  readonly device?: Partial<Omit<DeviceSpec, 'name' | 'unit'>>;
  /** PASID the DMA requests carry (omit for requests without PASID). */
  readonly pasid?: number;
  /** Commands that make the device translate through an (empty) address space. */
  setup(): CommandInput[];
  /** Commands that map one 4 KiB page, iova -> pa, readable and writable if `write`. */
  map(iova: bigint, pa: bigint, write: boolean): CommandInput[];
  /** Commands that remove that mapping from the tables, without invalidating any cache. */
  unmap(iova: bigint): CommandInput[];
  /** Commands that invalidate the cached translation of that page as the guest must. */
  invalidate(iova: bigint): CommandInput[];
}

export interface ContractOptions {
  readonly plugin: AnyPlugin;
  readonly fixture: ContractFixture;
  /** Case name -> reason. */
  readonly skip?: Readonly<Record<string, string>>;
}

export const CONTRACT_CASES = [
  'meta is valid and frozen',
  'parseOptions fills defaults and names a bad field',
  'capabilities list the caches that stats report',
  'an unmapped page faults with a fault kind and an architecture code',
  'a mapped page translates to its output address with its permissions',
  'a repeated translation is a cache hit with the same result',
  'a write to a read-only page faults',
  'unmap then invalidate makes the page fault again',
  'unmap without invalidate leaves a stale translation while cached',
  'counters add up',
  'an unknown unit command is EOPNOTSUPP, not a throw',
  'UAPI ops that are absent answer ENODEV',
  'the same commands give the same log and digest state',
  'a unit restored from its saved state goes on exactly as the original',
] as const;

const DEV = 'dev0';
const UNIT = 'u0';
const IOVA = 0x4000_0000n + 0x7000n;
const PA = 0x20_0000n + 0x3000n;

function makeSim(opts: ContractOptions, records?: LogRecord[]): Simulator {
  const host = new PluginHost().use(opts.plugin);
  const dev: DeviceSpec = { sid: 0x10, ...opts.fixture.device, name: DEV, unit: UNIT };
  return new Simulator(
    host,
    {
      seed: 1,
      kernel: 'v5.10',
      memoryBytes: 64 * 1024 * 1024,
      units: [
        {
          id: UNIT,
          plugin: opts.plugin.meta.name,
          ...(opts.fixture.options ? { options: opts.fixture.options } : {}),
        },
      ],
      devices: [dev],
    },
    records ? [{ append: (r) => records.push(r) }] : [],
  );
}

function run(sim: Simulator, cmds: CommandInput[]): void {
  for (const c of cmds) {
    const r = sim.execute(c);
    if (!r.ok) throw new Error(`fixture command ${c.type} failed: ${r.errno} ${r.detail}`);
  }
}

function dma(
  sim: Simulator,
  opts: ContractOptions,
  iova: bigint,
  access: string,
): { [k: string]: JsonValue } {
  const data: { [k: string]: JsonValue } = { device: DEV, iova: `0x${iova.toString(16)}`, access };
  if (opts.fixture.pasid !== undefined) data.pasid = opts.fixture.pasid;
  const r = sim.execute({ type: 'device.dma.access', data });
  if (!r.ok) throw new Error(`dma failed: ${r.errno} ${r.detail}`);
  return r.value as { [k: string]: JsonValue };
}

/** Registers the contract cases with vitest. */
export function runIommuContract(opts: ContractOptions): void {
  const name = opts.plugin.meta.name;
  const skip = opts.skip ?? {};
  for (const [c, reason] of Object.entries(skip)) {
    if (!(CONTRACT_CASES as readonly string[]).includes(c))
      throw new Error(`skip: unknown contract case "${c}"`);
    if (reason.trim().length < 10) throw new Error(`skip "${c}": give a real reason`);
  }
  const test = (c: (typeof CONTRACT_CASES)[number], fn: () => void): void => {
    if (skip[c]) it.skip(`${c} (skipped: ${skip[c]})`, fn);
    else it(c, fn);
  };
  const ready = (): Simulator => {
    const sim = makeSim(opts);
    run(sim, opts.fixture.setup());
    return sim;
  };

  describe(`plugin contract: ${name}`, () => {
    test('meta is valid and frozen', () => {
      expect(opts.plugin.meta.name).toMatch(/^[a-z][a-z0-9-]*$/);
      expect(Object.isFrozen(opts.plugin)).toBe(true);
      expect(Object.isFrozen(opts.plugin.meta)).toBe(true);
      expect(opts.plugin.meta.version).toMatch(/^\d+\.\d+\.\d+/);
    });

    test('parseOptions fills defaults and names a bad field', () => {
      const defaults = opts.plugin.parseOptions(undefined);
      expect(defaults).toBeTypeOf('object');
      expect(() => opts.plugin.parseOptions({ noSuchOption: 1 } as JsonObject)).toThrow(/noSuchOption/);
    });

    test('capabilities list the caches that stats report', () => {
      const sim = ready();
      const unit = sim.units.get(UNIT)!;
      const caps = unit.capabilities();
      expect(Object.keys(unit.stats().caches).sort()).toEqual([...caps.caches].sort());
      expect(caps.arch.length).toBeGreaterThan(0);
    });

    test('an unmapped page faults with a fault kind and an architecture code', () => {
      const sim = ready();
      const r = dma(sim, opts, IOVA, 'r');
      expect(r.fault).toBeTypeOf('string');
      expect(r.code).toBeTypeOf('number');
      expect(sim.units.get(UNIT)!.stats().faults).toBe(1);
    });

    test('a mapped page translates to its output address with its permissions', () => {
      const sim = ready();
      run(sim, opts.fixture.map(IOVA, PA, true));
      const r = dma(sim, opts, IOVA + 0x123n, 'rw');
      expect(r.out).toBe(`0x${(PA + 0x123n).toString(16).padStart(16, '0')}`);
      expect((r.perm as number) & 3).toBe(3);
    });

    test('a repeated translation is a cache hit with the same result', () => {
      const sim = ready();
      run(sim, opts.fixture.map(IOVA, PA, true));
      const first = dma(sim, opts, IOVA, 'r');
      const second = dma(sim, opts, IOVA, 'r');
      expect(second.out).toBe(first.out);
      expect(second.hit).toBe(true);
      expect(second.reads).toBe(0);
    });

    test('a write to a read-only page faults', () => {
      const sim = ready();
      run(sim, opts.fixture.map(IOVA, PA, false));
      expect(dma(sim, opts, IOVA, 'r').out).toBeDefined();
      expect(dma(sim, opts, IOVA, 'w').fault).toBeTypeOf('string');
    });

    test('unmap then invalidate makes the page fault again', () => {
      const sim = ready();
      run(sim, opts.fixture.map(IOVA, PA, true));
      dma(sim, opts, IOVA, 'r');
      run(sim, opts.fixture.unmap(IOVA));
      run(sim, opts.fixture.invalidate(IOVA));
      expect(dma(sim, opts, IOVA, 'r').fault).toBeTypeOf('string');
    });

    test('unmap without invalidate leaves a stale translation while cached', () => {
      const sim = ready();
      run(sim, opts.fixture.map(IOVA, PA, true));
      const before = dma(sim, opts, IOVA, 'r');
      run(sim, opts.fixture.unmap(IOVA));
      const stale = dma(sim, opts, IOVA, 'r');
      expect(stale.out).toBe(before.out);
      expect(stale.hit).toBe(true);
    });

    test('counters add up', () => {
      const sim = ready();
      run(sim, opts.fixture.map(IOVA, PA, true));
      for (let i = 0; i < 5; i++) dma(sim, opts, IOVA, 'r');
      dma(sim, opts, IOVA + 0x10_0000n, 'r');
      const s = sim.units.get(UNIT)!.stats();
      expect(s.translations).toBe(6);
      for (const c of Object.values(s.caches)) {
        expect(c.hits + c.misses).toBe(c.lookups);
        // A walk may fill several entries (a paging-structure cache keeps one
        // per level), so fills are not bounded by misses; evictions are by fills.
        expect(c.evictions).toBeLessThanOrEqual(c.fills);
      }
    });

    test('an unknown unit command is EOPNOTSUPP, not a throw', () => {
      const sim = ready();
      const r = sim.execute({ type: `${name}.no-such.command`, data: {} });
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.errno).toBe('EOPNOTSUPP');
      // meta.commands, when given, names only types the unit knows (their data here is empty, so
      // they may fail, but not as unknown) in the plugin's scope.
      for (const type of opts.plugin.meta.commands ?? []) {
        expect(type.startsWith(`${name}.`), type).toBe(true);
        const known = ready().execute({ type, data: {} });
        if (!known.ok) expect(known.detail, type).not.toMatch(/unknown .*command/);
      }
    });

    test('UAPI ops that are absent answer ENODEV', () => {
      const sim = ready();
      const unit = sim.units.get(UNIT)!;
      const bind = sim.execute({
        type: 'uapi.gpasid.bind',
        data: { device: DEV, hex: '48000000'.padEnd(144, '0') },
      });
      if (unit.ops.bindGpasid === undefined) {
        expect(bind.ok).toBe(false);
        if (!bind.ok) expect(bind.errno).toBe('ENODEV');
      } else {
        expect(unit.capabilities().bindFormats.length).toBeGreaterThan(0);
      }
      const inv = sim.execute({
        type: 'uapi.cache.invalidate',
        data: { device: DEV, hex: '10000000'.padEnd(32, '0') },
      });
      if (unit.ops.cacheInvalidate === undefined) {
        expect(inv.ok).toBe(false);
        if (!inv.ok) expect(inv.errno).toBe('ENODEV');
      }
    });

    test('the same commands give the same log and digest state', () => {
      const logs: string[] = [];
      const snaps: string[] = [];
      for (let i = 0; i < 2; i++) {
        const records: LogRecord[] = [];
        const sim = makeSim(opts, records);
        run(sim, opts.fixture.setup());
        run(sim, opts.fixture.map(IOVA, PA, true));
        dma(sim, opts, IOVA, 'r');
        dma(sim, opts, IOVA + 0x5000n, 'w');
        sim.execute({ type: 'core.stats.sample', data: {} });
        logs.push(JSON.stringify(records));
        snaps.push(JSON.stringify(sim.units.get(UNIT)!.digestState()));
      }
      expect(logs[1]).toBe(logs[0]);
      expect(snaps[1]).toBe(snaps[0]);
    });

    test('a unit restored from its saved state goes on exactly as the original', () => {
      const original = makeSim(opts);
      run(original, opts.fixture.setup());
      run(original, opts.fixture.map(IOVA, PA, true));
      dma(original, opts, IOVA, 'r');
      if (original.units.get(UNIT)!.saveState === undefined) {
        // Optional in the contract; without it the core refuses to snapshot, never silently.
        expect(() => original.saveState()).toThrow(/cannot save its state/);
        return;
      }
      const restored = makeSim(opts);
      restored.loadState(deserialize(serialize(original.saveState())) as SimState);
      const after: string[] = [];
      for (const sim of [original, restored]) {
        const records: LogRecord[] = [];
        sim.addSink({ append: (r) => records.push(r) });
        run(sim, opts.fixture.unmap(IOVA)); // no invalidation: the cached entry must survive the restore
        dma(sim, opts, IOVA, 'r');
        dma(sim, opts, IOVA + 0x9000n, 'r');
        sim.execute({ type: 'core.stats.sample', data: {} });
        after.push(JSON.stringify({ records, snapshot: sim.units.get(UNIT)!.digestState() }));
      }
      expect(after[1]).toBe(after[0]);
    });
  });
}
