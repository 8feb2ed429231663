/**
 * A unit wired to plain services for the unit tests (no simulator): memory,
 * frames, a collecting event sink and fault reporter, and helpers that run
 * unit commands and DMA requests.
 */
import { runCommand } from '../../core/command/catalog.js';
import { FrameAllocator } from '../../core/memory/frame-allocator.js';
import { PhysMemory } from '../../core/memory/phys-memory.js';
import { TranslationRequest, TranslationResult } from '../../core/model/translation.js';
import type { JsonObject, JsonValue } from '../../core/plugin/contract.js';
import { SimClock } from '../../core/sim/clock.js';
import { SeededRng } from '../../core/sim/rng.js';
import type { UapiResult } from '../../core/uapi/errno.js';
import type { IommuFault } from '../../core/uapi/structs.js';
import { AMDVI_COMMANDS } from './commands.js';
import { parseAmdviOptions } from './options.js';
import { AmdviUnit } from './unit.js';

export interface Emitted {
  type: string;
  data: unknown;
}

export class Fixture {
  readonly mem = new PhysMemory(64 * 1024 * 1024);
  readonly frames = new FrameAllocator(this.mem);
  readonly emitted: Emitted[] = [];
  readonly reported: { sid: number; fault: IommuFault }[] = [];
  readonly unit: AmdviUnit;
  readonly req = new TranslationRequest();
  readonly out = new TranslationResult();

  constructor(options?: JsonObject) {
    this.unit = new AmdviUnit(
      {
        id: 'amdvi0',
        memory: this.mem,
        frames: this.frames,
        rng: new SeededRng(1),
        clock: new SimClock(),
        events: { emit: (type, data) => this.emitted.push({ type, data }) },
        faults: {
          report: (sid, fault) => {
            this.reported.push({ sid, fault });
            return 0;
          },
        },
      },
      parseAmdviOptions(options),
    );
  }

  /** Runs a unit command as the simulator would: its data decoded by the catalog (bad data throws). */
  command(type: string, data: JsonObject = {}): UapiResult<JsonValue> {
    return runCommand(AMDVI_COMMANDS, this.unit, type, data);
  }

  /** Runs a unit command and returns its value; throws with the errno when it fails. */
  cmd(type: string, data: JsonObject = {}): JsonValue {
    const r = this.command(type, data);
    if (!r.ok) throw new Error(`${type}: ${r.errno} ${r.detail}`);
    return r.value;
  }

  /** The standard set-up: init, a `mode`-level table at `root`, the DTE of `deviceId`, invalidated. */
  setup(o: { deviceId?: number; domainId?: number; mode?: number; root?: number } = {}): { root: number } {
    const deviceId = o.deviceId ?? 0x10;
    const mode = o.mode ?? 3;
    const root = o.root ?? 0x100_0000;
    this.cmd('amdvi.unit.init');
    this.cmd('amdvi.pagetable.create', { mode, root: hexs(root) });
    this.dte(deviceId, { mode, root: hexs(root), domainId: o.domainId ?? 1 });
    return { root };
  }

  /** Writes a translating DTE (V, TV, IR, IW unless overridden) and invalidates it. */
  dte(deviceId: number, fields: JsonObject): void {
    this.cmd('amdvi.dte.write', { deviceId, v: true, tv: true, ir: true, iw: true, ...fields });
    this.submit([{ op: 'INVALIDATE_DEVTAB_ENTRY', deviceId }]);
  }

  submit(commands: JsonObject[]): JsonValue {
    return this.cmd('amdvi.command.submit', { commands });
  }

  /** Translates; returns the fault kind (0 = ok). */
  dma(sid: number, iova: number | bigint, access: number, ats = false): number {
    const a = BigInt(iova);
    this.req.sid = sid;
    this.req.iovaPfn = Number(a >> 12n);
    this.req.offset = Number(a & 0xfffn);
    this.req.access = access;
    this.req.ats = ats;
    return this.unit.translate(this.req, this.out);
  }

  /** Output byte address of the last successful translation. */
  get outAddr(): bigint {
    return BigInt(this.out.outPfn) * 4096n + BigInt(this.out.offset);
  }

  /** Events of one type emitted so far. */
  of<T = Record<string, unknown>>(type: string): T[] {
    return this.emitted.filter((e) => e.type === type).map((e) => e.data as T);
  }
}

export function hexs(n: number | bigint): string {
  return `0x${n.toString(16)}`;
}
