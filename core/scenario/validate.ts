/**
 * Validates a parsed scenario file and returns the Scenario, or throws a
 * ScenarioError listing every problem with the file and the field path. Struct
 * payloads are encoded to hex here, so problems in them are reported the same way.
 */
import { CORE_SCOPES } from '../command/catalog.js';
import { decodeFields, FieldFault, oneOf, pathText, withReferences } from '../command/field.js';
import type { JsonObject, JsonValue } from '../plugin/contract.js';
import { isErrnoName } from '../uapi/errno.js';
import { KERNEL_NAMES } from '../uapi/kernel-versions.js';
import { Checker } from './check.js';
import { SCENARIO_ERROR_CODES, ScenarioError, type ScenarioProblem } from './errors.js';
import { NAME } from './language.js';
import { encodePayload } from './payload.js';
import {
  type Bound,
  type DeviceSpecInput,
  type EventExpectation,
  type RunExpectation,
  SCENARIO_FORMAT,
  SCENARIO_VERSION,
  type Scenario,
  type StepExpectation,
  type StepSpec,
  type TargetSpec,
  type TemplateCommand,
  WORKLOAD_KINDS,
  type WorkloadSpec,
} from './types.js';
import { WORKLOAD_FIELDS, workloadRule } from './workload-command.js';

/** The modelled kernels, as a pattern the field check can name. */
const KERNEL_PATTERN = new RegExp(`^(${KERNEL_NAMES.map((k) => k.replace(/\./g, '\\.')).join('|')})$`);

const TOP_KEYS = [
  '$schema',
  'format',
  'version',
  'id',
  'title',
  'description',
  'tags',
  'kernel',
  'seed',
  'memoryBytes',
  'checkpointEvery',
  'targets',
  'steps',
  'stepsFile',
  'expect',
];
const TARGET_KEYS = ['name', 'plugin', 'options', 'devices', 'setup', 'templates', 'expect'];
const DEVICE_KEYS = ['name', 'sid', 'pci', 'pasidBits', 'ats', 'pri', 'auxDomain'];
const STEP_KEYS = ['type', 'data', 'use', 'with', 'workload', 'repeat', 'step', 'as', 'label', 'expect'];
const STEP_EXPECT_KEYS = ['ok', 'errno', 'value', 'events', 'noEvents'];
const RUN_EXPECT_KEYS = ['stats', 'counts'];
const STATS_KEYS = ['translations', 'faults', 'memReads', 'hitRate'];
const TYPE_NAME = /^[a-z0-9][a-z0-9-]*(\.[a-z0-9][a-z0-9-]*)+$/;

/** A workload step: the generator's fields (core/scenario/workload-command.ts), and "churn" too. */
const WORKLOAD_STEP_FIELDS = { ...WORKLOAD_FIELDS, kind: oneOf(WORKLOAD_KINDS) };
const WORKLOAD_STEP_NAMES = Object.keys(WORKLOAD_STEP_FIELDS);

/** Validates `raw` (parsed JSON of `file`); throws ScenarioError naming every problem. */
export function validateScenario(raw: unknown, file: string): Scenario {
  const ck = new Checker();
  const top = ck.object(raw, '');
  if (!top) throw new ScenarioError(SCENARIO_ERROR_CODES.INVALID, file, ck.problems);
  ck.noUnknownKeys(top, '', TOP_KEYS);
  if (top.format !== SCENARIO_FORMAT) ck.expected('format', `"${SCENARIO_FORMAT}"`, top.format);
  if (typeof top.version === 'number' && top.version > SCENARIO_VERSION) {
    ck.add(
      'version',
      `scenario format version ${top.version} is newer than this simulator reads (${SCENARIO_VERSION})`,
    );
  } else if (top.version !== SCENARIO_VERSION) ck.expected('version', String(SCENARIO_VERSION), top.version);

  const baseName = file.replace(/^.*[\\/]/, '').replace(/\.scenario\.json$/, '');
  const id =
    top.id === undefined ? baseName : ck.string(top.id, 'id', /^[a-z0-9][a-z0-9/._-]*$/, 'a lowercase id');
  const title = ck.string(top.title, 'title');
  if (top.description !== undefined) ck.string(top.description, 'description');
  if (top.stepsFile !== undefined)
    ck.string(top.stepsFile, 'stepsFile', /\.jsonl$/, 'a path to a JSON Lines file (*.jsonl)');
  const tags = top.tags === undefined ? [] : (ck.array(top.tags, 'tags') ?? []);
  tags.forEach((t, i) => {
    ck.string(t, `tags[${i}]`);
  });
  const kernel =
    top.kernel === undefined
      ? 'v5.10'
      : ck.string(top.kernel, 'kernel', KERNEL_PATTERN, `one of ${KERNEL_NAMES.join(', ')}`);
  const seed = top.seed === undefined ? 1 : ck.int(top.seed, 'seed', 0, 0xffff_ffff);
  const memoryBytes =
    top.memoryBytes === undefined ? 64 << 20 : ck.int(top.memoryBytes, 'memoryBytes', 4096, 2 ** 44);
  if (memoryBytes !== undefined && memoryBytes % 4096 !== 0)
    ck.expected('memoryBytes', 'a multiple of 4096', memoryBytes);
  const checkpointEvery =
    top.checkpointEvery === undefined ? 0 : ck.int(top.checkpointEvery, 'checkpointEvery', 0, 1e9);

  const rawTargets = ck.array(top.targets, 'targets') ?? [];
  if (Array.isArray(top.targets) && rawTargets.length === 0)
    ck.add('targets', 'expected at least one target');
  const targets = rawTargets
    .map((t, i) => target(ck, t, `targets[${i}]`))
    .filter((t): t is TargetSpec => t !== undefined);
  const names = new Set<string>();
  targets.forEach((t, i) => {
    if (names.has(t.name)) ck.add(`targets[${i}].name`, `duplicate target name "${t.name}"`);
    names.add(t.name);
  });
  const plugins = new Set(targets.map((t) => t.plugin));
  const steps = (top.steps === undefined ? [] : (ck.array(top.steps, 'steps') ?? [])).map((s, i) =>
    step(ck, s, `steps[${i}]`, plugins, false, names),
  );
  // Devices and templates named by shared steps must exist on every target.
  targets.forEach((t, ti) => {
    const devs = new Set(t.devices.map((d) => d.name));
    steps.forEach((s, si) => {
      if (!s) return;
      const dev =
        s.kind === 'workload' ? s.workload.device : s.kind === 'command' ? s.data.device : undefined;
      if (s.kind === 'repeat') return; // its step is checked when expanded
      if (typeof dev === 'string' && !devs.has(dev))
        ck.add(
          `steps[${si}].${s.kind === 'workload' ? 'workload' : 'data'}.device`,
          `unknown device "${dev}" (targets[${ti}] "${t.name}" declares: ${[...devs].join(', ') || 'none'})`,
        );
      if (s.kind === 'use' && !t.templates[s.use])
        ck.add(`steps[${si}].use`, `template "${s.use}" is not defined by targets[${ti}] ("${t.name}")`);
      if (s.kind === 'workload' && s.workload.kind === 'churn') {
        for (const need of ['map', 'unmap']) {
          if (!t.templates[need])
            ck.add(`steps[${si}].workload`, `churn needs template "${need}" in targets[${ti}] ("${t.name}")`);
        }
      }
    });
  });
  const expect = top.expect === undefined ? undefined : runExpect(ck, top.expect, 'expect');

  if (ck.problems.length > 0) throw new ScenarioError(SCENARIO_ERROR_CODES.INVALID, file, ck.problems);
  return {
    file,
    format: SCENARIO_FORMAT,
    version: SCENARIO_VERSION,
    id: id!,
    title: title!,
    ...(typeof top.description === 'string' ? { description: top.description } : {}),
    tags: tags as string[],
    kernel: kernel!,
    seed: seed!,
    memoryBytes: memoryBytes!,
    checkpointEvery: checkpointEvery!,
    targets,
    steps: steps as StepSpec[],
    ...(typeof top.stepsFile === 'string' ? { stepsFile: top.stepsFile } : {}),
    ...(expect ? { expect } : {}),
  };
}

function target(ck: Checker, raw: JsonValue, path: string): TargetSpec | undefined {
  const t = ck.object(raw, path);
  if (!t) return undefined;
  ck.noUnknownKeys(t, path, TARGET_KEYS);
  const plugin = ck.string(t.plugin, `${path}.plugin`, /^[a-z][a-z0-9-]*$/, 'a plugin name');
  const name =
    t.name === undefined
      ? plugin
      : ck.string(t.name, `${path}.name`, /^[a-z0-9][a-z0-9-]*$/, 'a lowercase name');
  const options = t.options === undefined ? undefined : ck.object(t.options, `${path}.options`);
  const devices = (ck.array(t.devices, `${path}.devices`) ?? []).map((d, i) =>
    device(ck, d, `${path}.devices[${i}]`),
  );
  const plugins = new Set(plugin ? [plugin] : []);
  const setup = (t.setup === undefined ? [] : (ck.array(t.setup, `${path}.setup`) ?? [])).map((s, i) =>
    step(ck, s, `${path}.setup[${i}]`, plugins, false),
  );
  const templates: { [name: string]: TemplateCommand[] } = {};
  const rawTemplates = t.templates === undefined ? {} : (ck.object(t.templates, `${path}.templates`) ?? {});
  for (const [tname, cmds] of Object.entries(rawTemplates)) {
    const list = ck.array(cmds, `${path}.templates.${tname}`) ?? [];
    templates[tname] = list
      .map((c, i) => step(ck, c, `${path}.templates.${tname}[${i}]`, plugins, true))
      .filter((s): s is StepSpec & { kind: 'command' } => s?.kind === 'command')
      .map((s) => ({ type: s.type, data: s.data }));
  }
  const expect = t.expect === undefined ? undefined : runExpect(ck, t.expect, `${path}.expect`);
  if (!plugin || !name || devices.includes(undefined)) return undefined;
  return {
    name,
    plugin,
    ...(options ? { options } : {}),
    devices: devices as DeviceSpecInput[],
    setup: setup.filter((s): s is StepSpec => s !== undefined),
    templates,
    ...(expect ? { expect } : {}),
  };
}

function device(ck: Checker, raw: JsonValue, path: string): DeviceSpecInput | undefined {
  const d = ck.object(raw, path);
  if (!d) return undefined;
  ck.noUnknownKeys(d, path, DEVICE_KEYS);
  const name = ck.string(d.name, `${path}.name`);
  const sid = ck.int(d.sid, `${path}.sid`, 0, 0xffff_ffff);
  for (const k of ['pci', 'ats', 'pri', 'auxDomain']) if (d[k] !== undefined) ck.bool(d[k], `${path}.${k}`);
  if (d.pasidBits !== undefined) ck.int(d.pasidBits, `${path}.pasidBits`, 0, 20);
  if (name === undefined || sid === undefined) return undefined;
  return d as unknown as DeviceSpecInput;
}

/**
 * An `expect` keyed by target name (every key names a target of the scenario, none is an
 * expectation key): each target's own expectation for the step. Otherwise undefined.
 */
function perTarget(
  ck: Checker,
  raw: JsonValue | undefined,
  targets: ReadonlySet<string>,
  path: string,
): JsonObject | undefined {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return undefined;
  const keys = Object.keys(raw);
  if (!keys.some((k) => targets.has(k)) || keys.some((k) => STEP_EXPECT_KEYS.includes(k))) return undefined;
  for (const k of keys) {
    if (!targets.has(k))
      ck.add(
        `${path}.${k}`,
        `not a target of this scenario (${[...targets].join(', ')}) nor an expectation key`,
      );
  }
  return raw as JsonObject;
}

/** Checks one step given outside `steps` (a line of a stepsFile): the step, or the problems. */
export function validateStep(
  raw: JsonValue,
  path: string,
  plugins: ReadonlySet<string>,
  targets?: ReadonlySet<string>,
): { step: StepSpec | undefined; problems: readonly ScenarioProblem[] } {
  const ck = new Checker();
  const s = step(ck, raw, path, plugins, false, targets);
  return { step: ck.problems.length === 0 ? s : undefined, problems: ck.problems };
}

function step(
  ck: Checker,
  raw: JsonValue,
  path: string,
  plugins: ReadonlySet<string>,
  template: boolean,
  /** Target names of the scenario, for an `expect` keyed by target (shared steps only). */
  targets?: ReadonlySet<string>,
): StepSpec | undefined {
  const s = ck.object(raw, path);
  if (!s) return undefined;
  ck.noUnknownKeys(s, path, template ? ['type', 'data'] : STEP_KEYS);
  const label = s.label === undefined ? undefined : ck.string(s.label, `${path}.label`);
  const byTarget = targets !== undefined ? perTarget(ck, s.expect, targets, `${path}.expect`) : undefined;
  const expectByTarget =
    byTarget === undefined
      ? undefined
      : Object.fromEntries(
          Object.entries(byTarget).map(([t, e]) => [t, stepExpect(ck, e, `${path}.expect.${t}`) ?? {}]),
        );
  const expect =
    s.expect === undefined || byTarget !== undefined ? undefined : stepExpect(ck, s.expect, `${path}.expect`);
  // `as` names the step's result, or a repeat's index (language.ts).
  const as =
    s.as === undefined ? undefined : ck.string(s.as, `${path}.as`, NAME, 'a name (letters, digits, _)');
  const extra = {
    ...(label !== undefined ? { label } : {}),
    ...(expect ? { expect } : {}),
    ...(expectByTarget ? { expectByTarget } : {}),
    ...(as !== undefined && s.repeat === undefined ? { as } : {}),
  };
  const forms = ['type', 'use', 'workload', 'repeat'].filter((k) => s[k] !== undefined);
  if (forms.length !== 1) {
    return ck.add(
      path,
      `expected exactly one of "type" (a command), "use" (a template), "workload" or "repeat", got ${forms.length ? forms.join(' and ') : 'none'}`,
    );
  }
  if (s.step !== undefined && s.repeat === undefined) ck.add(`${path}.step`, '"step" goes with "repeat"');
  if (s.repeat !== undefined) {
    const count = ck.int(s.repeat, `${path}.repeat`, 1, 1e6);
    if (s.as === undefined) ck.add(`${path}.as`, 'a repeat names its index: "as": "i"');
    if (s.expect !== undefined) ck.add(`${path}.expect`, 'put the expectation on the repeated "step"');
    const inner =
      s.step === undefined
        ? ck.add(`${path}.step`, 'missing: the step to repeat')
        : step(ck, s.step, `${path}.step`, plugins, template, targets);
    if (count === undefined || as === undefined || inner === undefined) return undefined;
    return { kind: 'repeat', count, index: as, step: inner, ...(label !== undefined ? { label } : {}) };
  }
  if (s.use !== undefined) {
    const use = ck.string(s.use, `${path}.use`);
    const w = s.with === undefined ? {} : ck.object(s.with, `${path}.with`);
    return use !== undefined && w ? { kind: 'use', use, with: w, ...extra } : undefined;
  }
  if (s.workload !== undefined) {
    const w = workload(ck, s.workload, `${path}.workload`);
    return w ? { kind: 'workload', workload: w, ...extra } : undefined;
  }
  const type = ck.string(s.type, `${path}.type`, TYPE_NAME, 'a command type "<scope>.<subject>.<verb>"');
  const data = s.data === undefined ? {} : ck.object(s.data, `${path}.data`);
  if (!type || !data) return undefined;
  const scope = type.slice(0, type.indexOf('.'));
  if (!CORE_SCOPES.has(scope) && !plugins.has(scope)) {
    ck.add(
      `${path}.type`,
      `scope "${scope}" is neither a core scope nor the plugin of a target (${[...plugins].join(', ') || 'none'})`,
    );
  }
  return { kind: 'command', type, data: commandData(ck, data, `${path}.data`), ...extra };
}

/** Struct payloads become hex here; the fields themselves are checked against the catalog before a run. */
function commandData(ck: Checker, data: JsonObject, path: string): JsonObject {
  if (data.payload === undefined) return data;
  const p = ck.object(data.payload, `${path}.payload`);
  if (data.hex !== undefined) ck.add(`${path}.payload`, 'give either "payload" or "hex", not both');
  const hex = p ? encodePayload(p, `${path}.payload`, ck) : undefined;
  const { payload: _drop, ...rest } = data;
  return hex === undefined ? rest : { ...rest, hex };
}

function workload(ck: Checker, raw: JsonValue, path: string): WorkloadSpec | undefined {
  const w = ck.object(raw, path);
  if (!w) return undefined;
  try {
    // A ${name} reference (language.ts) is resolved, and checked, when the workload runs.
    withReferences(() => workloadRule(decodeFields(WORKLOAD_STEP_FIELDS, WORKLOAD_STEP_NAMES, w)));
  } catch (e) {
    if (!(e instanceof FieldFault)) throw e;
    return ck.add(`${path}.${pathText(e.path)}`, e.reason);
  }
  return w as unknown as WorkloadSpec;
}

function stepExpect(ck: Checker, raw: JsonValue, path: string): StepExpectation | undefined {
  const e = ck.object(raw, path);
  if (!e) return undefined;
  ck.noUnknownKeys(e, path, STEP_EXPECT_KEYS);
  if (e.ok !== undefined) ck.bool(e.ok, `${path}.ok`);
  if (e.errno !== undefined && !(typeof e.errno === 'string' && isErrnoName(e.errno)))
    ck.expected(`${path}.errno`, 'an errno name like "EINVAL"', e.errno);
  if (e.errno !== undefined && e.ok === true) ck.add(`${path}.ok`, 'ok: true contradicts errno');
  const events: EventExpectation[] = [];
  (e.events === undefined ? [] : (ck.array(e.events, `${path}.events`) ?? [])).forEach((ev, i) => {
    const o = ck.object(ev, `${path}.events[${i}]`);
    if (!o) return;
    ck.noUnknownKeys(o, `${path}.events[${i}]`, ['type', 'data']);
    const type = ck.string(o.type, `${path}.events[${i}].type`, TYPE_NAME, 'an event type');
    const data = o.data === undefined ? undefined : ck.object(o.data, `${path}.events[${i}].data`);
    if (type) events.push({ type, ...(data ? { data } : {}) });
  });
  (e.noEvents === undefined ? [] : (ck.array(e.noEvents, `${path}.noEvents`) ?? [])).forEach((t, i) => {
    ck.string(t, `${path}.noEvents[${i}]`, TYPE_NAME, 'an event type');
  });
  return { ...(e as StepExpectation), ...(e.events !== undefined ? { events } : {}) };
}

function bound(ck: Checker, raw: JsonValue, path: string): Bound | undefined {
  if (typeof raw === 'number') return raw;
  const o = ck.object(raw, path);
  if (!o) return undefined;
  ck.noUnknownKeys(o, path, ['min', 'max']);
  for (const k of ['min', 'max'])
    if (o[k] !== undefined && typeof o[k] !== 'number') ck.expected(`${path}.${k}`, 'a number', o[k]);
  return o as Bound;
}

function runExpect(ck: Checker, raw: JsonValue, path: string): RunExpectation | undefined {
  const e = ck.object(raw, path);
  if (!e) return undefined;
  ck.noUnknownKeys(e, path, RUN_EXPECT_KEYS);
  if (e.stats !== undefined) {
    const s = ck.object(e.stats, `${path}.stats`);
    if (s) {
      ck.noUnknownKeys(s, `${path}.stats`, STATS_KEYS);
      for (const [k, v] of Object.entries(s)) bound(ck, v, `${path}.stats.${k}`);
    }
  }
  if (e.counts !== undefined) {
    const c = ck.object(e.counts, `${path}.counts`);
    if (c) for (const [k, v] of Object.entries(c)) bound(ck, v, `${path}.counts.${k}`);
  }
  return e as RunExpectation;
}
