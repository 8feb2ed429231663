/**
 * Turns a scenario and one of its targets into what the simulator runs: the
 * SimConfig and a flat list of commands, each with the expectation and the
 * scenario path it came from. Templates are expanded here, churn workloads
 * become explicit map / access / unmap commands (drawn from their own seed),
 * the other workloads become one `workload.dma.run` command each, and a
 * `core.state.digest` checkpoint is put after every `checkpointEvery` commands.
 */
import { checkPayload } from '../events/log/payload-check.js';
import { hex64 } from '../model/hex.js';
import type { JsonObject, JsonValue } from '../plugin/contract.js';
import type { SimConfig } from '../sim/config.js';
import { SeededRng } from '../sim/rng.js';
import { SCENARIO_ERROR_CODES, ScenarioError, type ScenarioProblem } from './errors.js';
import { hasReferences, withIndex } from './language.js';
import type { Scenario, StepExpectation, StepSpec, TargetSpec, WorkloadSpec } from './types.js';

export const WORKLOAD_COMMAND = 'workload.dma.run';
export const DIGEST_COMMAND = 'core.state.digest';

export interface CompiledCommand {
  readonly type: string;
  readonly data: JsonObject;
  /** Where in the scenario it came from, e.g. `steps[3]` or `targets[0].setup[1] (template "map")`. */
  readonly origin: string;
  readonly label?: string;
  readonly expect?: StepExpectation;
  /** The step's `as`: the runner keeps this command's result under that name. */
  readonly as?: string;
  /** Its data holds `${name}` references the runner resolves before running it. */
  readonly refs?: true;
}

export interface CompiledRun {
  readonly config: SimConfig;
  readonly commands: readonly CompiledCommand[];
}

export function unitIdOf(target: TargetSpec): string {
  return `${target.plugin}0`;
}

export function compileTarget(scenario: Scenario, target: TargetSpec): CompiledRun {
  const unit = unitIdOf(target);
  const config: SimConfig = {
    seed: scenario.seed,
    kernel: scenario.kernel,
    memoryBytes: scenario.memoryBytes,
    units: [{ id: unit, plugin: target.plugin, ...(target.options ? { options: target.options } : {}) }],
    devices: target.devices.map((d) => ({ ...d, unit })),
  };
  const problems: ScenarioProblem[] = [];
  const out: CompiledCommand[] = [];
  const ti = scenario.targets.indexOf(target);
  const push = (steps: readonly StepSpec[], base: string, setup: boolean): void => {
    steps.forEach((s, i) => {
      expand(s, `${base}[${i}]`, setup, target, out, problems);
    });
  };
  push(target.setup, `targets[${ti}].setup`, true);
  push(scenario.steps, 'steps', false);
  // What the log could not record is refused here, naming the file and the step (a template's
  // placeholder can put a deep `with` value deeper still).
  for (let i = 0; i < out.length; i++) {
    const c = out[i]!;
    const p = checkPayload(c.data, 'data');
    if (p !== null) problems.push({ path: `${c.origin}: ${c.type}: ${p.path}`, message: p.problem });
    if (hasReferences(c.data)) out[i] = { ...c, refs: true };
  }
  if (problems.length > 0) throw new ScenarioError(SCENARIO_ERROR_CODES.INVALID, scenario.file, problems);
  return {
    config,
    commands: scenario.checkpointEvery > 0 ? withCheckpoints(out, scenario.checkpointEvery) : out,
  };
}

function withCheckpoints(cmds: readonly CompiledCommand[], every: number): CompiledCommand[] {
  const out: CompiledCommand[] = [];
  cmds.forEach((c, i) => {
    out.push(c);
    if ((i + 1) % every === 0)
      out.push({
        type: DIGEST_COMMAND,
        data: {},
        origin: `checkpoint after command ${i + 1}`,
        expect: { ok: true },
      });
  });
  return out;
}

/** The expectation of set-up steps and of a template's inner commands when none is written: success. */
export const SETUP_EXPECT: StepExpectation = { ok: true };

export function expand(
  s: StepSpec,
  path: string,
  setup: boolean,
  target: TargetSpec,
  out: CompiledCommand[],
  problems: ScenarioProblem[],
): void {
  if (s.kind === 'repeat') {
    for (let k = 0; k < s.count; k++) {
      expand(withIndex(s.step, s.index, k), `${path}.step (${s.index}=${k})`, setup, target, out, problems);
    }
    return;
  }
  const label = s.label !== undefined ? { label: s.label } : {};
  const as = s.as !== undefined ? { as: s.as } : {};
  const expect =
    (s.expectByTarget ? s.expectByTarget[target.name] : s.expect) ?? (setup ? SETUP_EXPECT : undefined);
  if (s.kind === 'command') {
    out.push({ type: s.type, data: s.data, origin: path, ...label, ...as, ...(expect ? { expect } : {}) });
  } else if (s.kind === 'use') {
    const cmds = useTemplate(target, s.use, s.with, path, problems);
    // The step's expectation (and name) apply to the last command of the template; the others must succeed.
    cmds.forEach((c, i) => {
      const last = i === cmds.length - 1;
      const e = last ? expect : SETUP_EXPECT;
      out.push({
        ...c,
        origin: `${path} (template "${s.use}"[${i}])`,
        ...label,
        ...(last ? as : {}),
        ...(e ? { expect: e } : {}),
      });
    });
  } else if (s.workload.kind === 'churn') {
    churn(s.workload, path, target, out, problems);
  } else {
    out.push({
      type: WORKLOAD_COMMAND,
      data: s.workload as unknown as JsonObject,
      origin: path,
      ...label,
      ...as,
      ...(expect ? { expect } : {}),
    });
  }
}

function useTemplate(
  target: TargetSpec,
  name: string,
  args: JsonObject,
  path: string,
  problems: ScenarioProblem[],
): { type: string; data: JsonObject }[] {
  const tpl = target.templates[name];
  if (!tpl) {
    problems.push({ path: `${path}.use`, message: `target "${target.name}" has no template "${name}"` });
    return [];
  }
  return tpl.map((c) => ({
    type: c.type,
    data: substitute(c.data, args, `${path}.with`, problems) as JsonObject,
  }));
}

/** Replaces every string "$name" by args.name (whole values only, recursively). */
function substitute(v: JsonValue, args: JsonObject, path: string, problems: ScenarioProblem[]): JsonValue {
  if (typeof v === 'string' && v.startsWith('$')) {
    const key = v.slice(1);
    if (args[key] === undefined) {
      problems.push({ path, message: `template placeholder "${v}" has no value` });
      return v;
    }
    return args[key];
  }
  if (Array.isArray(v)) return v.map((x) => substitute(x, args, path, problems));
  if (typeof v === 'object' && v !== null) {
    const o: { [k: string]: JsonValue } = {};
    for (const [k, x] of Object.entries(v)) o[k] = substitute(x, args, path, problems);
    return o;
  }
  return v;
}

/**
 * Map/unmap churn (landscape.md §3.2, the strict-mode pattern of P2): each round
 * maps a page picked by the workload's seed, makes one DMA through it (which must
 * land on the mapped output page), unmaps it (the target's `unmap` template must
 * also flush whatever the architecture caches), and makes the same DMA again,
 * which must now fault.
 */
function churn(
  w: WorkloadSpec,
  path: string,
  target: TargetSpec,
  out: CompiledCommand[],
  problems: ScenarioProblem[],
): void {
  const rng = new SeededRng(w.seed);
  const base = Number(BigInt(w.iova));
  const paBase = w.pa === undefined ? 0x10_0000 : Number(BigInt(w.pa));
  const access = w.access ?? 'r';
  const pasid: JsonObject = w.pasid === undefined ? {} : { pasid: w.pasid };
  for (let r = 0; r < w.count; r++) {
    const page = rng.below(w.pages);
    const iova = hex64(base + page * 4096);
    const pa = hex64(paBase + page * 4096);
    const at = `${path}.workload round ${r}`;
    for (const c of useTemplate(target, 'map', { iova, pa, ...pasid }, path, problems)) {
      out.push({ ...c, origin: `${at} map`, expect: SETUP_EXPECT });
    }
    const dma = {
      type: 'device.dma.access',
      data: { device: w.device, iova, access, ...pasid } as JsonObject,
    };
    out.push({ ...dma, origin: `${at} access`, expect: { ok: true, value: { out: pa } } });
    for (const c of useTemplate(target, 'unmap', { iova, pa, ...pasid }, path, problems)) {
      out.push({ ...c, origin: `${at} unmap`, expect: SETUP_EXPECT });
    }
    out.push({
      ...dma,
      origin: `${at} access after unmap`,
      expect: { ok: true, value: { fault: 'TRANSLATION' } },
    });
  }
}
