/**
 * Before anything runs: every command a scenario names — in steps, setup steps,
 * templates (used or not) and template uses — is checked against the catalog
 * of each target (the core's commands, the scenario-level ones and the
 * target's plugin's). An unknown type in a core scope or in the target's
 * plugin scope, a missing or unknown field, or a bad value is an invalid
 * scenario (exit 4) whose message names the file and the JSON path of the
 * field: `steps[3].data.iova: expected a 64-bit value ..., got "0x1g"`.
 * A value that comes from a template use's `with` is named there.
 *
 * Another target's plugin scope is left alone (such a step fails on this
 * target, as it always did); so is a target whose plugin is not loaded, but
 * for its core commands.
 */
import { type AnyCommandSpec, CORE_SCOPES, CommandDataError } from '../command/catalog.js';
import { pathText, withPlaceholders, withReferences } from '../command/field.js';
import type { JsonObject, JsonValue } from '../plugin/contract.js';
import type { PluginHost } from '../plugin/host.js';
import { stateDigestCommand } from '../replay/digest.js';
import { CORE_COMMANDS } from '../sim/commands/index.js';
import { workloadGeneratorRun } from '../workloads/command.js';
import { SCENARIO_ERROR_CODES, ScenarioError, type ScenarioProblem } from './errors.js';
import type { Scenario, StepSpec, TargetSpec, TemplateCommand } from './types.js';
import { workloadDmaRun } from './workload-command.js';

/** Commands every run has: the core's, the workload generator and the checkpoint digest. */
export const SCENARIO_COMMANDS: readonly AnyCommandSpec[] = [
  ...CORE_COMMANDS,
  workloadDmaRun,
  workloadGeneratorRun,
  stateDigestCommand,
];

const checked = new WeakMap<Scenario, WeakSet<PluginHost>>();

/** Throws a ScenarioError naming every bad command of `scenario` on any of its targets. */
export function checkScenarioCommands(scenario: Scenario, host: PluginHost): void {
  if (checked.get(scenario)?.has(host)) return;
  const problems: ScenarioProblem[] = [];
  const seen = new Set<string>();
  const add = (path: string, message: string): void => {
    const key = `${path}\0${message}`;
    if (seen.has(key)) return;
    seen.add(key);
    problems.push({ path, message });
  };
  const loaded = new Set(host.names());
  scenario.targets.forEach((t, ti) => {
    const plugin = loaded.has(t.plugin) ? (host.get(t.plugin).commands ?? []) : null;
    new TargetCheck(t, ti, plugin, add).all(scenario.steps);
  });
  if (problems.length > 0) throw new ScenarioError(SCENARIO_ERROR_CODES.INVALID, scenario.file, problems);
  const hosts = checked.get(scenario) ?? new WeakSet<PluginHost>();
  hosts.add(host);
  checked.set(scenario, hosts);
}

/**
 * The check of one streamed step (a stepsFile line) against `target`'s catalog, made once per
 * run: what checkScenarioCommands does for `steps[]`, named at `path` (`line 12`). The problems
 * it returns are reused by the next call.
 */
export function streamedStepCheck(
  scenario: Scenario,
  target: TargetSpec,
  host: PluginHost,
): (step: StepSpec, path: string) => readonly ScenarioProblem[] {
  const problems: ScenarioProblem[] = [];
  const add = (path: string, message: string): void => {
    problems.push({ path, message });
  };
  const plugin = host.names().includes(target.plugin) ? (host.get(target.plugin).commands ?? []) : null;
  const check = new TargetCheck(target, scenario.targets.indexOf(target), plugin, add);
  return (step, path) => {
    problems.length = 0;
    check.step(step, path);
    return problems;
  };
}

class TargetCheck {
  readonly #catalog = new Map<string, AnyCommandSpec>();
  readonly #devices: ReadonlySet<string>;
  /** Each command's device fields, found once (a streamed step is checked per line). */
  readonly #deviceKeys = new Map<AnyCommandSpec, readonly string[]>();
  readonly target: TargetSpec;
  readonly index: number;
  /** The plugin's commands, or null when it is not loaded. */
  readonly plugin: readonly AnyCommandSpec[] | null;
  readonly add: (path: string, message: string) => void;

  constructor(
    target: TargetSpec,
    index: number,
    plugin: readonly AnyCommandSpec[] | null,
    add: (path: string, message: string) => void,
  ) {
    this.target = target;
    this.index = index;
    this.plugin = plugin;
    this.add = add;
    for (const c of SCENARIO_COMMANDS) this.#catalog.set(c.type, c);
    for (const c of plugin ?? []) this.#catalog.set(c.type, c);
    this.#devices = new Set(target.devices.map((d) => d.name));
  }

  all(steps: readonly StepSpec[]): void {
    const base = `targets[${this.index}]`;
    this.target.setup.forEach((s, i) => {
      this.step(s, `${base}.setup[${i}]`);
    });
    for (const [name, cmds] of Object.entries(this.target.templates)) {
      cmds.forEach((c, i) => {
        withPlaceholders(() => this.command(c.type, c.data, `${base}.templates.${name}[${i}]`));
      });
    }
    steps.forEach((s, i) => {
      this.step(s, `steps[${i}]`);
    });
  }

  step(s: StepSpec, path: string): void {
    if (s.kind === 'repeat') this.step(s.step, `${path}.step`);
    else if (s.kind === 'command') this.command(s.type, s.data, path);
    else if (s.kind === 'use') {
      const tpl = this.target.templates[s.use];
      tpl?.forEach((c, i) => {
        this.use(c, i, s.use, s.with, path);
      });
    }
  }

  /** One command of a template use: its data with `with`'s values put in. */
  use(c: TemplateCommand, i: number, name: string, args: JsonObject, path: string): void {
    const spec = this.#catalog.get(c.type);
    if (spec === undefined) return; // the template's own check names it
    const data = substitute(c.data, args);
    try {
      // A placeholder `with` does not fill is compile's to report.
      withPlaceholders(() => spec.decode(data));
    } catch (e) {
      if (!(e instanceof CommandDataError)) throw e;
      const tplPath = `targets[${this.index}].templates.${name}[${i}]`;
      this.add(sourcePath(c.data, e.path, `${path}.with`, `${tplPath}.data`), e.reason);
    }
  }

  command(type: string, data: JsonObject, path: string): void {
    const spec = this.#catalog.get(type);
    const scope = type.slice(0, type.indexOf('.'));
    if (spec === undefined) {
      if (CORE_SCOPES.has(scope)) this.add(`${path}.type`, `unknown command type "${type}"`);
      else if (scope === this.target.plugin && this.plugin !== null) {
        this.add(
          `${path}.type`,
          `unknown ${scope} command "${type}" (known: ${this.plugin.map((c) => c.type).join(', ')})`,
        );
      }
      return;
    }
    try {
      // A ${name} reference (language.ts) is resolved, and checked, when the command runs.
      withReferences(() => spec.decode(data));
    } catch (e) {
      if (!(e instanceof CommandDataError)) throw e;
      this.add(e.path.length ? `${path}.data.${pathText(e.path)}` : `${path}.data`, e.reason);
      return;
    }
    // Device references must name a device of this target.
    let keys = this.#deviceKeys.get(spec);
    if (keys === undefined) {
      keys = Object.entries(spec.fields)
        .filter(([, f]) => f.kind === 'device')
        .map(([k]) => k);
      this.#deviceKeys.set(spec, keys);
    }
    for (const k of keys) {
      const v = data[k];
      if (typeof v !== 'string' || v.includes('$') || this.#devices.has(v)) continue;
      this.add(
        `${path}.data.${k}`,
        `unknown device "${v}" (targets[${this.index}] "${this.target.name}" declares: ${[...this.#devices].join(', ') || 'none'})`,
      );
    }
  }
}

/** Replaces every whole-string "$name" with args.name where given (recursively). */
function substitute(v: JsonValue, args: JsonObject): JsonValue {
  if (typeof v === 'string' && v.startsWith('$')) return args[v.slice(1)] ?? v;
  if (Array.isArray(v)) return v.map((x) => substitute(x, args));
  if (typeof v === 'object' && v !== null) {
    const o: { [k: string]: JsonValue } = {};
    for (const [k, x] of Object.entries(v)) o[k] = substitute(x, args);
    return o;
  }
  return v;
}

/**
 * Where a bad value of a template use was written: in `with` when the template has a placeholder
 * on the way to it, else in the template.
 */
function sourcePath(
  tpl: JsonValue,
  path: readonly (string | number)[],
  withPath: string,
  tplPath: string,
): string {
  let cur: JsonValue | undefined = tpl;
  for (let i = 0; i < path.length; i++) {
    if (cur === null || typeof cur !== 'object') break;
    cur = (cur as { [k: string]: JsonValue })[path[i] as string];
    if (typeof cur === 'string' && cur.startsWith('$')) {
      const rest = pathText(path.slice(i + 1));
      return `${withPath}.${cur.slice(1)}${rest === '' ? '' : rest.startsWith('[') ? rest : `.${rest}`}`;
    }
  }
  return path.length ? `${tplPath}.${pathText(path)}` : tplPath;
}
