/**
 * The sweep format (`*.sweep.json`, format `viommu-sweep` version 1; JSON Schema in
 * sweeps/sweep.schema.json): axes whose cross product are the cells, one target per plugin
 * written as in a scenario with `$axis` placeholders, the workloads, and the metrics to keep.
 * Errors name the file and the JSON path (`sweeps/x.sweep.json: axes[2].values: ...`), exit 4.
 */

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ViommuError } from '../errors/viommu-error.js';
import type { JsonObject, JsonValue } from '../plugin/contract.js';
import { expandCells } from './matrix.js';

export const SWEEP_FORMAT = 'viommu-sweep';
export const SWEEP_VERSION = 1;
export const SWEEP_SUFFIX = '.sweep.json';
/** Axes with a meaning of their own; every other axis is a `$name` parameter. */
export const SPECIAL_AXES = ['plugin', 'workload', 'seed'] as const;

export type AxisValue = string | number | boolean;

export interface SweepAxis {
  readonly name: string;
  readonly values: readonly AxisValue[];
}

/** A plugin's side of every cell: as a scenario target, with `$axis` placeholders anywhere. */
export interface SweepTarget {
  /** The plugin (default: the target's key). */
  readonly plugin: string;
  readonly options?: JsonObject;
  readonly devices: readonly JsonObject[];
  readonly setup: readonly JsonValue[];
  readonly templates: JsonObject;
  /** The cache reported as `tlb.*` in the results (the unit's translation cache). */
  readonly tlbCache: string;
}

export type SweepWorkload =
  | { readonly generator: string; readonly params: JsonObject }
  | { readonly scenario: string }
  | TraceWorkload;

/** A QEMU VT-d trace, imported into the sweep's output folder before the cells run. */
export interface TraceWorkload {
  readonly trace: string;
  readonly format: 'qemu-vtd';
  /** The imported NAME.scenario.json (absolute), once imported. */
  readonly imported?: string;
}

export interface Sweep {
  /** As messages name it. */
  readonly file: string;
  /** Absolute path of its folder (scenario workloads are relative to it). */
  readonly dir: string;
  readonly id: string;
  readonly title: string;
  readonly description?: string;
  readonly axes: readonly SweepAxis[];
  /** A cell matching every key of one of these (value or list of values) is left out. */
  readonly exclude: readonly { readonly [axis: string]: AxisValue | readonly AxisValue[] }[];
  /** The axis whose value names the cell's target (default `plugin`; e.g. `mode` for nested/shadow targets of one plugin). */
  readonly targetAxis: string;
  readonly targets: { readonly [name: string]: SweepTarget };
  readonly workloads: { readonly [name: string]: SweepWorkload };
  /** Metric names (or prefixes: `caches`, `tlb`) kept in results.json; empty = all. */
  readonly metrics: readonly string[];
  /** sha256 of the file and every scenario it names: shards of one sweep share it. */
  readonly digest: string;
}

export class SweepError extends ViommuError {
  constructor(file: string, problems: readonly { path: string; message: string }[]) {
    super(
      'VIOMMU_ERR_INPUT',
      problems.map((p) => `${file}: ${p.path ? `${p.path}: ` : ''}${p.message}`).join('\n'),
    );
    this.name = 'SweepError';
  }
}

type Raw = { [k: string]: unknown };
const isObj = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);
const isScalar = (v: unknown): v is AxisValue =>
  typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));

/** Reads, validates and digests a sweep file. `shownAs` names it in messages. */
export function loadSweepFile(path: string, shownAs = path): Sweep {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new SweepError(shownAs, [{ path: '', message: `cannot read: ${(e as Error).message}` }]);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new SweepError(shownAs, [{ path: '', message: `not valid JSON: ${(e as Error).message}` }]);
  }
  const dir = dirname(resolve(path));
  const sweep = validateSweep(raw, shownAs, dir);
  const hash = createHash('sha256').update(text);
  for (const w of Object.values(sweep.workloads)) {
    const named = 'scenario' in w ? w.scenario : 'trace' in w ? w.trace : null;
    if (named !== null) {
      try {
        hash.update(readFileSync(resolve(dir, named)));
      } catch (e) {
        throw new SweepError(shownAs, [
          { path: 'workloads', message: `cannot read ${named}: ${(e as Error).message}` },
        ]);
      }
    }
  }
  return { ...sweep, digest: `sha256:${hash.digest('hex')}` };
}

/** Checks the parsed JSON against the format; throws SweepError naming every problem. */
export function validateSweep(raw: unknown, file: string, dir: string): Omit<Sweep, 'digest'> {
  const problems: { path: string; message: string }[] = [];
  const bad = (path: string, message: string): void => {
    problems.push({ path, message });
  };
  if (!isObj(raw)) throw new SweepError(file, [{ path: '', message: 'expected a JSON object' }]);
  const known = [
    '$schema',
    'format',
    'version',
    'id',
    'title',
    'description',
    'axes',
    'exclude',
    'targetAxis',
    'targets',
    'workloads',
    'metrics',
  ];
  for (const k of Object.keys(raw))
    if (!known.includes(k)) bad(k, `unknown field (known: ${known.join(', ')})`);
  if (raw.format !== SWEEP_FORMAT)
    bad('format', `expected "${SWEEP_FORMAT}", got ${JSON.stringify(raw.format)}`);
  if (raw.version !== SWEEP_VERSION)
    bad('version', `expected ${SWEEP_VERSION}, got ${JSON.stringify(raw.version)}`);
  if (typeof raw.id !== 'string' || !/^[a-z0-9][a-z0-9/_.-]*$/.test(raw.id))
    bad('id', 'expected a lower-case id (letters, digits, / _ . -)');
  if (typeof raw.title !== 'string') bad('title', 'expected a string');
  if (raw.description !== undefined && typeof raw.description !== 'string')
    bad('description', 'expected a string');

  const axes: SweepAxis[] = [];
  if (!Array.isArray(raw.axes) || raw.axes.length === 0) bad('axes', 'expected a non-empty array');
  else {
    raw.axes.forEach((a, i) => {
      const at = `axes[${i}]`;
      if (!isObj(a)) {
        bad(at, 'expected an object { name, values }');
        return;
      }
      if (typeof a.name !== 'string' || !/^[a-zA-Z][a-zA-Z0-9_]*$/.test(a.name)) {
        bad(`${at}.name`, 'expected an identifier');
        return;
      }
      if (axes.some((x) => x.name === a.name)) {
        bad(`${at}.name`, `duplicate axis "${a.name}"`);
        return;
      }
      if (!Array.isArray(a.values) || a.values.length === 0 || !a.values.every(isScalar)) {
        bad(`${at}.values`, 'expected a non-empty array of strings, numbers or booleans');
        return;
      }
      if (new Set(a.values.map((v) => JSON.stringify(v))).size !== a.values.length) {
        bad(`${at}.values`, 'values repeat');
        return;
      }
      axes.push({ name: a.name, values: a.values as AxisValue[] });
    });
    const targetAxisName = typeof raw.targetAxis === 'string' ? raw.targetAxis : 'plugin';
    for (const need of [targetAxisName, 'workload'])
      if (!axes.some((a) => a.name === need)) bad('axes', `needs an axis named "${need}"`);
    const seed = axes.find((a) => a.name === 'seed');
    if (seed && !seed.values.every((v) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0))
      bad('axes', 'the "seed" axis takes non-negative integers');
  }

  const exclude: Sweep['exclude'][number][] = [];
  if (raw.exclude !== undefined) {
    if (!Array.isArray(raw.exclude)) bad('exclude', 'expected an array of objects');
    else
      raw.exclude.forEach((e, i) => {
        if (!isObj(e) || Object.keys(e).length === 0) {
          bad(`exclude[${i}]`, 'expected a non-empty object');
          return;
        }
        for (const [k, v] of Object.entries(e)) {
          if (!axes.some((a) => a.name === k)) bad(`exclude[${i}].${k}`, 'not an axis');
          if (!isScalar(v) && !(Array.isArray(v) && v.every(isScalar)))
            bad(`exclude[${i}].${k}`, 'expected a value or an array of values');
        }
        exclude.push(e as Sweep['exclude'][number]);
      });
  }

  const targets: { [plugin: string]: SweepTarget } = {};
  if (!isObj(raw.targets)) bad('targets', 'expected an object: plugin name -> target');
  else
    for (const [plugin, t] of Object.entries(raw.targets)) {
      const at = `targets.${plugin}`;
      if (!isObj(t)) {
        bad(at, 'expected an object');
        continue;
      }
      for (const k of Object.keys(t))
        if (!['plugin', 'options', 'devices', 'setup', 'templates', 'tlbCache'].includes(k))
          bad(`${at}.${k}`, 'unknown field');
      if (t.options !== undefined && !isObj(t.options)) bad(`${at}.options`, 'expected an object');
      if (!Array.isArray(t.devices) || t.devices.length === 0 || !t.devices.every(isObj))
        bad(`${at}.devices`, 'expected a non-empty array of devices');
      if (t.setup !== undefined && !Array.isArray(t.setup)) bad(`${at}.setup`, 'expected an array of steps');
      if (t.templates !== undefined && !isObj(t.templates)) bad(`${at}.templates`, 'expected an object');
      if (typeof t.tlbCache !== 'string') bad(`${at}.tlbCache`, 'expected the name of the translation cache');
      if (t.plugin !== undefined && typeof t.plugin !== 'string')
        bad(`${at}.plugin`, 'expected a plugin name');
      targets[plugin] = {
        plugin: typeof t.plugin === 'string' ? t.plugin : plugin,
        ...(isObj(t.options) ? { options: t.options as JsonObject } : {}),
        devices: (Array.isArray(t.devices) ? t.devices : []) as JsonObject[],
        setup: (Array.isArray(t.setup) ? t.setup : []) as JsonValue[],
        templates: (isObj(t.templates) ? t.templates : {}) as JsonObject,
        tlbCache: String(t.tlbCache),
      };
    }
  const targetAxis = typeof raw.targetAxis === 'string' ? raw.targetAxis : 'plugin';
  if (raw.targetAxis !== undefined && typeof raw.targetAxis !== 'string')
    bad('targetAxis', 'expected an axis name');
  const pluginAxis = axes.find((a) => a.name === targetAxis);
  pluginAxis?.values.forEach((p, i) => {
    if (typeof p !== 'string' || targets[p] === undefined)
      bad(`axes.${targetAxis}.values[${i}]`, `no target named ${JSON.stringify(p)}`);
  });

  const workloads: { [name: string]: SweepWorkload } = {};
  if (!isObj(raw.workloads)) bad('workloads', 'expected an object: name -> workload');
  else
    for (const [name, w] of Object.entries(raw.workloads)) {
      const at = `workloads.${name}`;
      if (isObj(w) && typeof w.generator === 'string' && (w.params === undefined || isObj(w.params))) {
        for (const k of Object.keys(w))
          if (k !== 'generator' && k !== 'params') bad(`${at}.${k}`, 'unknown field');
        workloads[name] = { generator: w.generator, params: (w.params ?? {}) as JsonObject };
      } else if (isObj(w) && typeof w.scenario === 'string' && Object.keys(w).length === 1) {
        workloads[name] = { scenario: w.scenario };
      } else if (isObj(w) && typeof w.trace === 'string') {
        for (const k of Object.keys(w))
          if (k !== 'trace' && k !== 'format') bad(`${at}.${k}`, 'unknown field');
        if (w.format !== 'qemu-vtd')
          bad(
            `${at}.format`,
            `expected "qemu-vtd" (the trace format viommu imports), got ${JSON.stringify(w.format)}`,
          );
        else workloads[name] = { trace: w.trace, format: 'qemu-vtd' };
      } else
        bad(
          at,
          'expected { generator, params }, { scenario: "path/x.scenario.json" } or { trace: "path/x.trace.log.gz", format: "qemu-vtd" }',
        );
    }
  axes
    .find((a) => a.name === 'workload')
    ?.values.forEach((w, i) => {
      if (typeof w !== 'string' || workloads[w] === undefined)
        bad(`axes.workload.values[${i}]`, `no workload named ${JSON.stringify(w)}`);
    });

  const metrics: string[] = [];
  if (raw.metrics !== undefined) {
    if (!Array.isArray(raw.metrics) || !raw.metrics.every((m) => typeof m === 'string'))
      bad('metrics', 'expected an array of metric names');
    else metrics.push(...(raw.metrics as string[]));
  }
  if (problems.length === 0)
    for (const c of expandCells({ axes, exclude })) {
      const w = workloads[String(c.axes.workload)];
      const t = targets[String(c.axes[targetAxis])];
      if (w !== undefined && 'trace' in w && t !== undefined && t.plugin !== 'vtd') {
        bad(
          `workloads.${c.axes.workload}`,
          `a qemu-vtd trace runs on VT-d targets only, but cell "${c.id}" has target "${c.axes[targetAxis]}" (plugin ${t.plugin}): exclude it`,
        );
        break;
      }
    }
  if (problems.length > 0) throw new SweepError(file, problems);
  return {
    file,
    dir,
    id: raw.id as string,
    title: raw.title as string,
    ...(typeof raw.description === 'string' ? { description: raw.description } : {}),
    axes,
    exclude,
    targetAxis,
    targets,
    workloads,
    metrics,
  };
}
