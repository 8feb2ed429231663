/**
 * Turns a scenario and one of its targets into what the simulator runs: the
 * SimConfig and the commands in order (made lazily: see planTarget), each with the expectation and the
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

/** A target's run as the runner takes it: how many commands, and the commands made as it asks. */
export interface CompiledPlan {
  readonly config: SimConfig;
  /** Commands in the run (checkpoints included). */
  readonly count: number;
  /** The commands in order; each call expands the steps again unless they were few enough to keep. */
  commands(): Iterator<CompiledCommand>;
}

/**
 * Up to this many compiled commands are kept from the checking pass and run from memory; past it
 * the steps (a long `repeat`, a churn workload of 10^5 rounds) are expanded again as the run goes.
 */
export const KEEP_COMPILED = 1 << 16;

export function unitIdOf(target: TargetSpec): string {
  return `${target.plugin}0`;
}

/** Every command of the target, in a list (tools and benches; the runner uses planTarget). */
export function compileTarget(scenario: Scenario, target: TargetSpec): CompiledRun {
  const plan = planTarget(scenario, target);
  const commands: CompiledCommand[] = [];
  for (let it = plan.commands(), n = it.next(); !n.done; n = it.next()) commands.push(n.value);
  return { config: plan.config, commands };
}

/**
 * Checks every command of the target (a problem throws a ScenarioError naming the file and each
 * step, before any command runs) without keeping more than KEEP_COMPILED of them, so a run's
 * memory does not grow with the steps it expands to.
 */
export function planTarget(scenario: Scenario, target: TargetSpec): CompiledPlan {
  const unit = unitIdOf(target);
  const config: SimConfig = {
    seed: scenario.seed,
    kernel: scenario.kernel,
    memoryBytes: scenario.memoryBytes,
    units: [{ id: unit, plugin: target.plugin, ...(target.options ? { options: target.options } : {}) }],
    devices: target.devices.map((d) => ({ ...d, unit })),
  };
  const problems: ScenarioProblem[] = [];
  const payloadProblems: ScenarioProblem[] = [];
  let kept: CompiledCommand[] | null = [];
  let count = 0;
  for (const c of targetCommands(scenario, target, problems, false)) {
    // What the log could not record is refused here, naming the file and the step (a template's
    // placeholder can put a deep `with` value deeper still).
    const p = checkPayload(c.data, 'data');
    if (p !== null) payloadProblems.push({ path: `${c.origin}: ${c.type}: ${p.path}`, message: p.problem });
    count++;
    if (kept !== null) {
      if (kept.length < KEEP_COMPILED) kept.push(hasReferences(c.data) ? { ...c, refs: true } : c);
      else kept = null;
    }
  }
  problems.push(...payloadProblems);
  if (problems.length > 0) throw new ScenarioError(SCENARIO_ERROR_CODES.INVALID, scenario.file, problems);
  const every = scenario.checkpointEvery;
  const list = kept;
  return {
    config,
    count: every > 0 ? count + Math.floor(count / every) : count,
    commands: () => {
      const source = list !== null ? list.values() : targetCommands(scenario, target, [], true);
      return every > 0 ? withCheckpoints(source, every) : source;
    },
  };
}

/** The target's commands in order (with `refs`, set where the data holds references); problems go to `problems`. */
function* targetCommands(
  scenario: Scenario,
  target: TargetSpec,
  problems: ScenarioProblem[],
  refs: boolean,
): Generator<CompiledCommand, void, undefined> {
  const ti = scenario.targets.indexOf(target);
  const parts: [readonly StepSpec[], string, boolean][] = [
    [target.setup, `targets[${ti}].setup`, true],
    [scenario.steps, 'steps', false],
  ];
  for (const [steps, base, setup] of parts) {
    for (let i = 0; i < steps.length; i++) {
      for (const c of expandStep(steps[i]!, `${base}[${i}]`, setup, target, problems)) {
        yield refs && hasReferences(c.data) ? { ...c, refs: true } : c;
      }
    }
  }
}

function* withCheckpoints(cmds: Iterator<CompiledCommand>, every: number): Generator<CompiledCommand> {
  let i = 0;
  for (let n = cmds.next(); !n.done; n = cmds.next()) {
    yield n.value;
    i++;
    if (i % every === 0)
      yield {
        type: DIGEST_COMMAND,
        data: {},
        origin: `checkpoint after command ${i}`,
        expect: { ok: true },
      };
  }
}

/** The expectation of set-up steps and of a template's inner commands when none is written: success. */
export const SETUP_EXPECT: StepExpectation = { ok: true };

/** Appends the commands of step `s` to `out` (a stepsFile line's step). */
export function expand(
  s: StepSpec,
  path: string,
  setup: boolean,
  target: TargetSpec,
  out: CompiledCommand[],
  problems: ScenarioProblem[],
): void {
  for (const c of expandStep(s, path, setup, target, problems)) out.push(c);
}

/** The commands of step `s`, made one at a time (a repeat or a churn workload never expands whole). */
function* expandStep(
  s: StepSpec,
  path: string,
  setup: boolean,
  target: TargetSpec,
  problems: ScenarioProblem[],
): Generator<CompiledCommand, void, undefined> {
  if (s.kind === 'repeat') {
    for (let k = 0; k < s.count; k++) {
      yield* expandStep(
        withIndex(s.step, s.index, k),
        `${path}.step (${s.index}=${k})`,
        setup,
        target,
        problems,
      );
    }
    return;
  }
  const label = s.label !== undefined ? { label: s.label } : {};
  const as = s.as !== undefined ? { as: s.as } : {};
  const expect =
    (s.expectByTarget ? s.expectByTarget[target.name] : s.expect) ?? (setup ? SETUP_EXPECT : undefined);
  if (s.kind === 'command') {
    yield { type: s.type, data: s.data, origin: path, ...label, ...as, ...(expect ? { expect } : {}) };
  } else if (s.kind === 'use') {
    const cmds = useTemplate(target, s.use, s.with, path, problems);
    // The step's expectation (and name) apply to the last command of the template; the others must succeed.
    for (let i = 0; i < cmds.length; i++) {
      const c = cmds[i]!;
      const last = i === cmds.length - 1;
      const e = last ? expect : SETUP_EXPECT;
      yield {
        ...c,
        origin: `${path} (template "${s.use}"[${i}])`,
        ...label,
        ...(last ? as : {}),
        ...(e ? { expect: e } : {}),
      };
    }
  } else if (s.workload.kind === 'churn') {
    yield* churn(s.workload, path, target, problems);
  } else {
    yield {
      type: WORKLOAD_COMMAND,
      data: s.workload as unknown as JsonObject,
      origin: path,
      ...label,
      ...as,
      ...(expect ? { expect } : {}),
    };
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
function* churn(
  w: WorkloadSpec,
  path: string,
  target: TargetSpec,
  problems: ScenarioProblem[],
): Generator<CompiledCommand, void, undefined> {
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
      yield { ...c, origin: `${at} map`, expect: SETUP_EXPECT };
    }
    const dma = {
      type: 'device.dma.access',
      data: { device: w.device, iova, access, ...pasid } as JsonObject,
    };
    yield { ...dma, origin: `${at} access`, expect: { ok: true, value: { out: pa } } };
    for (const c of useTemplate(target, 'unmap', { iova, pa, ...pasid }, path, problems)) {
      yield { ...c, origin: `${at} unmap`, expect: SETUP_EXPECT };
    }
    yield {
      ...dma,
      origin: `${at} access after unmap`,
      expect: { ok: true, value: { fault: 'TRANSLATION' } },
    };
  }
}
