/**
 * Which plugins a command runs with: the built-in ones, then those the config file lists, then
 * each `--plugin SPEC`, each remembered with where it came from. A SPEC is a package name or a
 * path to a module (TypeScript included) whose default export is a plugin or an array of plugins.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { ERROR_CODES, ViommuError } from '../../core/errors/viommu-error.js';
import type { AnyPlugin } from '../../core/plugin/host.js';
import { displayPath } from '../../core/scenario/load.js';
import type { PluginSpec, ViommuConfig } from './define-config.js';
import { importFile, importPackage } from './import-module.js';

/** The names searched for, in this order, in the working directory and each directory above it. */
export const CONFIG_NAMES = [
  'viommu.config.ts',
  'viommu.config.mts',
  'viommu.config.js',
  'viommu.config.mjs',
  'viommu.config.json',
] as const;

/** The origin of the plugins compiled into the CLI. */
export const BUILT_IN = 'built-in';

export interface LoadedPlugin {
  readonly plugin: AnyPlugin;
  /** "built-in", "viommu.config.ts", "viommu.config.ts: ./src/index.ts", "--plugin ./src/index.ts". */
  readonly origin: string;
}

export interface LoadedConfig {
  /** The file, as given or found (absolute). */
  readonly file: string;
  readonly config: ViommuConfig;
}

export interface PluginFlags {
  /** `--config FILE`: this file instead of searching. */
  readonly config?: string;
  /** `--plugin SPEC`, repeated. */
  readonly plugin?: readonly string[];
}

export interface Plugins {
  readonly plugins: readonly LoadedPlugin[];
  readonly config: LoadedConfig | null;
}

/** The first viommu.config.* in `from` or a directory above it, or null. */
export function findConfig(from: string): string | null {
  for (let dir = resolve(from); ; ) {
    for (const name of CONFIG_NAMES) {
      const file = join(dir, name);
      if (existsSync(file)) return file;
    }
    const up = dirname(dir);
    if (up === dir) return null;
    dir = up;
  }
}

/** An unreadable or invalid config file: exit 4, like any input file. */
function configError(file: string, message: string, cause?: unknown): ViommuError {
  return new ViommuError('VIOMMU_ERR_INPUT', `${file}: ${message}`, cause === undefined ? {} : { cause });
}

const messageOf = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** Reads and checks a config file (`shown` names it in messages). */
export async function loadConfig(file: string, shown = file): Promise<ViommuConfig> {
  let value: unknown;
  try {
    if (file.endsWith('.json')) value = JSON.parse(readFileSync(file, 'utf8'));
    else value = (await importFile(file)).default;
  } catch (e) {
    throw configError(shown, `cannot load the config: ${messageOf(e)}`, e);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw configError(shown, 'expected an object (`export default { plugins: [...] }`)');
  const config = value as Record<string, unknown>;
  for (const key of Object.keys(config)) {
    if (key !== 'plugins' && key !== 'run')
      throw configError(shown, `unknown field "${key}" (known: plugins, run)`);
  }
  if (config.plugins !== undefined) {
    if (!Array.isArray(config.plugins)) throw configError(shown, 'plugins: expected an array');
    config.plugins.forEach((p: unknown, i) => {
      if (typeof p !== 'string' && (typeof p !== 'object' || p === null || !('meta' in p)))
        throw configError(shown, `plugins[${i}]: expected a package name, a path or a plugin object`);
    });
  }
  if (config.run !== undefined) {
    const run = config.run as Record<string, unknown>;
    if (typeof run !== 'object' || run === null || Array.isArray(run))
      throw configError(shown, 'run: expected an object');
    for (const [key, v] of Object.entries(run)) {
      if (key === 'out' && typeof v !== 'string') throw configError(shown, 'run.out: expected a string');
      else if (key === 'format' && v !== 'jsonl' && v !== 'binary')
        throw configError(shown, 'run.format: expected "jsonl" or "binary"');
      else if (
        key === 'reporters' &&
        (!Array.isArray(v) || v.some((r) => !['default', 'json', 'junit', 'dot'].includes(r as string)))
      )
        throw configError(shown, 'run.reporters: expected an array of "default", "json", "junit", "dot"');
      else if (
        key === 'outputFile' &&
        typeof v !== 'string' &&
        (typeof v !== 'object' ||
          v === null ||
          Object.entries(v).some(
            ([k, f]) => !['default', 'json', 'junit', 'dot'].includes(k) || typeof f !== 'string',
          ))
      )
        throw configError(shown, 'run.outputFile: expected a path or { <reporter>: path }');
      else if (!['out', 'format', 'reporters', 'outputFile'].includes(key))
        throw configError(shown, `run.${key}: unknown field (known: out, format, reporters, outputFile)`);
    }
  }
  return config as ViommuConfig;
}

const isPathSpec = (spec: string) => spec.startsWith('.') || isAbsolute(spec) || /\.[cm]?[jt]s$/.test(spec);

/** The plugins a module exports: its default export (a plugin or an array of them), else `plugin`. */
function pluginsOf(mod: Record<string, unknown>, origin: string): AnyPlugin[] {
  const found = mod.default ?? mod.plugin;
  const list = Array.isArray(found) ? found : [found];
  if (found === undefined || list.some((p) => typeof p !== 'object' || p === null || !('meta' in p))) {
    throw new ViommuError(
      ERROR_CODES.PLUGIN_INVALID,
      `${origin}: the module exports no plugin (expected \`export default definePlugin({ ... })\`)`,
    );
  }
  return list as AnyPlugin[];
}

/** Imports one SPEC relative to `dir`; `origin` names it in messages. */
export async function importPlugins(spec: string, dir: string, origin: string): Promise<AnyPlugin[]> {
  let mod: Record<string, unknown>;
  if (isPathSpec(spec)) {
    const file = resolve(dir, spec);
    if (!existsSync(file))
      throw new ViommuError(ERROR_CODES.PLUGIN_UNKNOWN, `${origin}: ${file}: no such file`);
    try {
      mod = await importFile(file);
    } catch (e) {
      throw new ViommuError(ERROR_CODES.PLUGIN_THREW, `${origin}: loading ${spec} failed: ${messageOf(e)}`, {
        cause: e,
      });
    }
  } else {
    try {
      mod = await importPackage(spec, dir);
    } catch (e) {
      const missing =
        (e as { code?: unknown }).code === 'ERR_MODULE_NOT_FOUND' && messageOf(e).includes(`'${spec}'`);
      throw new ViommuError(
        missing ? ERROR_CODES.PLUGIN_UNKNOWN : ERROR_CODES.PLUGIN_THREW,
        missing
          ? `${origin}: cannot find package "${spec}" from ${dir} (install it, or give a path such as ./src/index.ts)`
          : `${origin}: loading ${spec} failed: ${messageOf(e)}`,
        { cause: e },
      );
    }
  }
  return pluginsOf(mod, origin);
}

/**
 * The built-in plugins, the config's (the file given, else the one found from `cwd` up) and the
 * `--plugin` ones. A module named twice (in the config and with --plugin) loads once.
 */
export async function loadPlugins(
  builtins: readonly AnyPlugin[],
  cwd: string,
  flags: PluginFlags,
): Promise<Plugins> {
  const plugins: LoadedPlugin[] = builtins.map((plugin) => ({ plugin, origin: BUILT_IN }));
  const seen = new Set<string>();
  const add = async (spec: PluginSpec, dir: string, origin: string) => {
    if (typeof spec !== 'string') {
      plugins.push({ plugin: spec, origin });
      return;
    }
    const key = isPathSpec(spec) ? resolve(dir, spec) : `${dir}\0${spec}`;
    if (seen.has(key)) return;
    seen.add(key);
    if (!isPathSpec(spec) && builtins.some((p) => p.meta.name === spec)) {
      throw new ViommuError(
        ERROR_CODES.PLUGIN_DUPLICATE,
        `${origin}: "${spec}" is a built-in plugin and always loaded; to run only its targets use --only ${spec}`,
      );
    }
    for (const plugin of await importPlugins(spec, dir, origin)) plugins.push({ plugin, origin });
  };

  let config: LoadedConfig | null = null;
  const file = flags.config === undefined ? findConfig(cwd) : resolve(cwd, flags.config);
  if (file !== null) {
    const shown = displayPath(file, cwd);
    if (!existsSync(file)) throw configError(shown, 'no such file');
    config = { file, config: await loadConfig(file, shown) };
    for (const spec of config.config.plugins ?? [])
      await add(spec, dirname(file), typeof spec === 'string' ? `${shown}: ${spec}` : shown);
  }
  for (const spec of flags.plugin ?? []) await add(spec, cwd, `--plugin ${spec}`);
  return { plugins, config };
}
