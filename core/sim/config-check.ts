/**
 * Checking a SimConfig that comes from outside (a log header, a snapshot):
 * every key known, every type right, every reference resolved, and, when the
 * plugins are at hand, each unit's options accepted by its plugin. The first
 * problem is returned with its path (`devices[0].unit`), so a reader can
 * name the file and line of a header that does not describe a valid run.
 */
import type { JsonObject } from '../plugin/contract.js';
import { KERNEL_NAMES } from '../uapi/kernel-versions.js';

export interface ConfigProblem {
  /** Path inside the config, e.g. `devices[1].unit` ("" for the whole config). */
  readonly path: string;
  readonly problem: string;
}

/** What the check needs to know of a plugin: its option parser, which throws on bad options. */
export type OptionsParser = (raw: JsonObject | undefined) => unknown;

const TOP_KEYS = ['seed', 'kernel', 'memoryBytes', 'units', 'devices', 'timing'];
const UNIT_KEYS = ['id', 'plugin', 'options'];
const DEVICE_KEYS = ['name', 'unit', 'sid', 'pci', 'pasidBits', 'ats', 'pri', 'auxDomain'];
const TIMING_KEYS = ['command', 'translation', 'memRead'];

type Obj = { readonly [k: string]: unknown };

const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const show = (v: unknown): string => JSON.stringify(v) ?? 'nothing';

class Found {
  readonly problem: ConfigProblem;
  constructor(path: string, problem: string) {
    this.problem = { path, problem };
  }
}

function fail(path: string, problem: string): never {
  throw new Found(path, problem);
}

function keys(o: Obj, allowed: readonly string[], path: string): void {
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k)) fail(path ? `${path}.${k}` : k, `unknown key (known: ${allowed.join(', ')})`);
  }
}

function int(o: Obj, k: string, path: string, min: number, max: number, optional = false): void {
  const v = o[k];
  if (v === undefined && optional) return;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max)
    fail(path ? `${path}.${k}` : k, `expected an integer in ${min}..${max}, got ${show(v)}`);
}

function str(o: Obj, k: string, path: string): string {
  const v = o[k];
  if (typeof v !== 'string' || v === '')
    fail(path ? `${path}.${k}` : k, `expected a non-empty string, got ${show(v)}`);
  return v;
}

function bool(o: Obj, k: string, path: string): void {
  if (o[k] !== undefined && typeof o[k] !== 'boolean')
    fail(`${path}.${k}`, `expected true or false, got ${show(o[k])}`);
}

/**
 * The first problem with `value` as a SimConfig, or null. `parserOf(plugin)` gives a plugin's
 * option parser when that plugin is loaded (its exception's message becomes the problem).
 */
export function checkSimConfig(
  value: unknown,
  parserOf?: (plugin: string) => OptionsParser | undefined,
): ConfigProblem | null {
  try {
    check(value, parserOf);
    return null;
  } catch (e) {
    if (e instanceof Found) return e.problem;
    throw e;
  }
}

function check(c: unknown, parserOf?: (plugin: string) => OptionsParser | undefined): void {
  if (!isObject(c)) fail('', `expected an object, got ${show(c)}`);
  keys(c, TOP_KEYS, '');
  int(c, 'seed', '', Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
  const kernel = str(c, 'kernel', '');
  if (!(KERNEL_NAMES as readonly string[]).includes(kernel))
    fail('kernel', `unknown kernel ${show(kernel)} (known: ${KERNEL_NAMES.join(', ')})`);
  int(c, 'memoryBytes', '', 4096, 2 ** 44);
  if (c.timing !== undefined) {
    if (!isObject(c.timing)) fail('timing', `expected an object, got ${show(c.timing)}`);
    keys(c.timing, TIMING_KEYS, 'timing');
    for (const k of TIMING_KEYS) int(c.timing, k, 'timing', 0, 2 ** 32);
  }
  if (!Array.isArray(c.units) || c.units.length === 0)
    fail('units', `expected a non-empty array, got ${show(c.units)}`);
  const units = new Map<string, Set<number>>();
  c.units.forEach((u: unknown, i: number) => {
    const at = `units[${i}]`;
    if (!isObject(u)) fail(at, `expected an object, got ${show(u)}`);
    keys(u, UNIT_KEYS, at);
    const id = str(u, 'id', at);
    if (units.has(id)) fail(`${at}.id`, `duplicate unit id ${show(id)}`);
    units.set(id, new Set());
    const plugin = str(u, 'plugin', at);
    if (u.options !== undefined && !isObject(u.options))
      fail(`${at}.options`, `expected an object, got ${show(u.options)}`);
    const parse = parserOf?.(plugin);
    if (parse !== undefined) {
      try {
        parse(u.options as JsonObject | undefined);
      } catch (e) {
        fail(
          `${at}.options`,
          `plugin "${plugin}" refuses them: ${e instanceof Error ? e.message : String(e)}`,
        );
      }
    }
  });
  if (!Array.isArray(c.devices)) fail('devices', `expected an array, got ${show(c.devices)}`);
  const names = new Set<string>();
  c.devices.forEach((d: unknown, i: number) => {
    const at = `devices[${i}]`;
    if (!isObject(d)) fail(at, `expected an object, got ${show(d)}`);
    keys(d, DEVICE_KEYS, at);
    const name = str(d, 'name', at);
    if (names.has(name)) fail(`${at}.name`, `duplicate device name ${show(name)}`);
    names.add(name);
    const unit = str(d, 'unit', at);
    const sids = units.get(unit);
    if (sids === undefined)
      fail(`${at}.unit`, `names no unit of this config (units: ${[...units.keys()].join(', ')})`);
    int(d, 'sid', at, 0, 0xffff_ffff);
    if (sids.has(d.sid as number))
      fail(`${at}.sid`, `sid ${show(d.sid)} is already used on unit ${show(unit)}`);
    sids.add(d.sid as number);
    int(d, 'pasidBits', at, 0, 20, true);
    for (const k of ['pci', 'ats', 'pri', 'auxDomain']) bool(d, k, at);
  });
}
