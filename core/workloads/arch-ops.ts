/**
 * A generator's hands on the architecture: the cell's target templates (`map`, `unmap`,
 * `flush-pages`, `flush-domain`, `sync`, ...), each a list of the plugin's own commands with
 * `$name` placeholders, run on the unit directly (no command record of their own; the events
 * they cause go to the log under the workload command). Each command costs the simulator's
 * per-command time, as it would through the command bus.
 */
import { hex64 } from '../model/hex.js';
import type { IommuUnit, JsonObject, JsonValue } from '../plugin/contract.js';
import type { Simulator } from '../sim/simulator.js';

type Template = readonly { readonly type: string; readonly data: JsonObject }[];

export class ArchOps {
  readonly #sim: Simulator;
  readonly #unit: IommuUnit;
  readonly #templates: { readonly [name: string]: Template };
  /** Runs of each template (one map, one flush...), by template name. */
  readonly issued: { [name: string]: number } = {};

  constructor(sim: Simulator, unit: IommuUnit, raw: JsonValue | undefined) {
    this.#sim = sim;
    this.#unit = unit;
    const t = (raw ?? {}) as { [name: string]: Template };
    if (typeof t !== 'object' || Array.isArray(t)) throw new RangeError('ops: expected the target templates');
    this.#templates = t;
  }

  has(name: string): boolean {
    return Array.isArray(this.#templates[name]);
  }

  /** Throws a RangeError naming the template when the target has none. */
  need(...names: string[]): void {
    for (const n of names)
      if (!this.has(n))
        throw new RangeError(`ops: the target has no "${n}" template, which this workload needs`);
  }

  /** Runs template `name` with `args` put in for its placeholders; throws naming the failing command. */
  run(name: string, args: { readonly [k: string]: number | string }): void {
    const tpl = this.#templates[name];
    if (tpl === undefined) throw new RangeError(`ops: no "${name}" template`);
    for (const c of tpl) {
      const data = fill(c.data, args) as JsonObject;
      this.#sim.clock.advance(this.#sim.timing.command);
      const r = this.#sim.runUnitCommand(this.#unit, c.type, data);
      if (!r.ok) throw new RangeError(`ops.${name}: ${c.type} failed with ${r.errno}: ${r.detail ?? ''}`);
      // A queue that stopped at a bad descriptor answers ok with an `error`: a broken template too.
      const err = (r.value as { error?: unknown } | null)?.error;
      if (err !== undefined && err !== null)
        throw new RangeError(`ops.${name}: ${c.type} stopped: ${JSON.stringify(err)}`);
    }
    this.issued[name] = (this.issued[name] ?? 0) + 1;
  }
}

/** Byte address of a 4 KiB page number as the templates take it. */
export function pageHex(pfn: number): string {
  return hex64(BigInt(pfn) * 4096n);
}

function fill(v: JsonValue, args: { readonly [k: string]: number | string }): JsonValue {
  if (typeof v === 'string' && v.startsWith('$')) {
    const a = args[v.slice(1)];
    return a === undefined ? v : a;
  }
  if (Array.isArray(v)) return v.map((x) => fill(x, args));
  if (typeof v === 'object' && v !== null) {
    const o: { [k: string]: JsonValue } = {};
    for (const [k, x] of Object.entries(v)) {
      // A field whose placeholder this call does not fill (`$pasid` in a map without a PASID) is
      // left out, so the command's own default applies.
      if (typeof x === 'string' && x.startsWith('$') && args[x.slice(1)] === undefined) continue;
      o[k] = fill(x, args);
    }
    return o;
  }
  return v;
}
