/**
 * From a cell to what runs: the scenario and target of the cell (the sweep's target for the
 * cell's plugin with the axis values put in for `$axis` placeholders, and the cell's workload),
 * plus the cell's full resolved configuration for config.json. Plain data, so a job crosses
 * to a worker thread by structured clone.
 */
import { basename, resolve } from 'node:path';
import type { JsonObject, JsonValue } from '../plugin/contract.js';
import { loadScenarioFile } from '../scenario/load.js';
import type { Scenario, StepSpec, TargetSpec } from '../scenario/types.js';
import { validateScenario } from '../scenario/validate.js';
import { GENERATOR_COMMAND } from '../workloads/command.js';
import type { Cell } from './matrix.js';
import { type AxisValue, type Sweep, SweepError } from './sweep-file.js';

/**
 * Memory of every generated cell: the scenario default (64 MiB, sparse), so the frame allocator
 * places tables where it does in scenarios (a sweep's templates may name such an address).
 */
const CELL_MEMORY_BYTES = 64 * 2 ** 20;

export interface CellJob {
  readonly cell: Cell;
  readonly scenario: Scenario;
  readonly target: TargetSpec;
  /** The cache reported as `tlb.*`. */
  readonly tlbCache: string;
  /** The full resolved configuration (config.json). */
  readonly config: JsonObject;
}

/**
 * Replaces every whole-string `$name` whose name is an axis by the cell's value. With `strict`,
 * any other `$name` is an error (options, devices and setup have no other placeholders);
 * templates and generator parameters keep theirs for the generator (`$iova`, `$pa`).
 */
export function substitute(
  v: JsonValue,
  axes: { readonly [axis: string]: AxisValue },
  path: string,
  strict: boolean,
  problems: { path: string; message: string }[],
): JsonValue {
  if (typeof v === 'string' && v.startsWith('$')) {
    const name = v.slice(1);
    if (Object.hasOwn(axes, name)) return axes[name];
    if (strict) problems.push({ path, message: `"${v}" is not an axis of the sweep` });
    return v;
  }
  if (Array.isArray(v)) return v.map((x, i) => substitute(x, axes, `${path}[${i}]`, strict, problems));
  if (typeof v === 'object' && v !== null) {
    const o: { [k: string]: JsonValue } = {};
    for (const [k, x] of Object.entries(v)) o[k] = substitute(x, axes, `${path}.${k}`, strict, problems);
    return o;
  }
  return v;
}

/** Deep merge of JSON objects: `over` wins, objects merge key by key. */
function merge(base: JsonObject, over: JsonObject): JsonObject {
  const out: { [k: string]: JsonValue } = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    const isObj = (x: unknown): x is JsonObject => typeof x === 'object' && x !== null && !Array.isArray(x);
    out[k] = isObj(b) && isObj(v) ? merge(b, v) : v;
  }
  return out;
}

export function cellJob(sweep: Sweep, cell: Cell): CellJob {
  const targetName = String(cell.axes[sweep.targetAxis]);
  const workloadName = String(cell.axes.workload);
  const seed = typeof cell.axes.seed === 'number' ? cell.axes.seed : 1;
  const t = sweep.targets[targetName]!;
  const plugin = t.plugin;
  const w = sweep.workloads[workloadName]!;
  const problems: { path: string; message: string }[] = [];
  const at = `targets.${targetName}`;
  const options = substitute(t.options ?? {}, cell.axes, `${at}.options`, true, problems) as JsonObject;
  const common = {
    sweep: { id: sweep.id, file: basename(sweep.file), digest: sweep.digest },
    cell: cell.index,
    id: cell.id,
    axes: cell.axes,
  };
  if ('trace' in w && w.imported === undefined)
    throw new Error(`workloads.${workloadName}: the trace ${w.trace} is imported before its cells are made`);
  if ('scenario' in w || 'trace' in w) {
    // An imported trace's scenario sits in the output folder; the record names the trace.
    const named = 'scenario' in w ? w.scenario : w.trace;
    const path = 'scenario' in w ? resolve(sweep.dir, w.scenario) : w.imported!;
    // Its stepsFile is found beside the file it is shown as: the imported one by its own path.
    const base = loadScenarioFile(path, 'scenario' in w ? w.scenario : path);
    const own = base.targets.find((x) => x.plugin === plugin);
    if (own === undefined)
      throw new SweepError(sweep.file, [
        { path: `workloads.${workloadName}`, message: `${named} has no target for plugin "${plugin}"` },
      ]);
    if (problems.length > 0) throw new SweepError(sweep.file, problems);
    const target: TargetSpec = { ...own, options: merge(own.options ?? {}, options) };
    const scenario: Scenario = { ...base, seed, targets: [target] };
    return {
      cell,
      scenario,
      target,
      tlbCache: t.tlbCache,
      config: {
        ...common,
        plugin,
        options: target.options!,
        seed,
        workload: {
          name: workloadName,
          ...('scenario' in w ? { scenario: w.scenario } : { trace: w.trace }),
          target: own.name,
        },
      },
    } as unknown as CellJob;
  }
  const devices = substitute(t.devices as JsonValue, cell.axes, `${at}.devices`, true, problems);
  const setup = substitute(t.setup as JsonValue, cell.axes, `${at}.setup`, true, problems);
  const templates = substitute(t.templates, cell.axes, `${at}.templates`, false, problems) as JsonObject;
  const params = substitute(
    w.params,
    cell.axes,
    `workloads.${workloadName}.params`,
    false,
    problems,
  ) as JsonObject;
  if (problems.length > 0) throw new SweepError(sweep.file, problems);
  const shell = validateScenario(
    {
      format: 'viommu-scenario',
      version: 1,
      id: `${sweep.id}/cell-${cell.index}`,
      title: cell.id,
      seed,
      memoryBytes: CELL_MEMORY_BYTES,
      targets: [{ plugin, options, devices, setup, templates }],
    },
    `${sweep.file} (cell ${cell.index}: ${cell.id})`,
  );
  const target = shell.targets[0]!;
  const data: JsonObject = { kind: w.generator, seed, ...params, ops: templates };
  // One workload.generator.run command (core/workloads/command.ts declares its parameters).
  const step: StepSpec = { kind: 'command', type: GENERATOR_COMMAND, data };
  const scenario: Scenario = { ...shell, steps: [step] };
  return {
    cell,
    scenario,
    target,
    tlbCache: t.tlbCache,
    config: {
      ...common,
      plugin,
      options,
      devices,
      setup,
      templates,
      seed,
      workload: { name: workloadName, generator: w.generator, params },
    } as unknown as JsonObject,
  };
}
