/**
 * `--plugin SPEC` and `--config FILE`, shared by the commands that run plugins (run, replay,
 * inspect, diff, plugins), and the context those commands then run with.
 */
import { Option } from 'commander';
import type { CliContext } from '../scenario/context.js';
import { reportFatal } from '../scenario/errors.js';
import { type LoadedConfig, loadPlugins, type PluginFlags, type Plugins } from './load-plugins.js';

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

/** `--plugin <spec>`, repeatable (the word means "load", as in ESLint's CLI). */
export function pluginOption(): Option {
  return new Option(
    '--plugin <spec>',
    'load a plugin: a package name or a module path (TypeScript works) whose default export is a plugin; repeatable',
  ).argParser(collect);
}

export function configOption(): Option {
  return new Option(
    '--config <file>',
    'use this config file, not the viommu.config.{ts,mts,js,mjs,json} found from here upward',
  );
}

export interface WithPlugins {
  /** The context, its plugins the built-in, config and --plugin ones. */
  readonly ctx: CliContext;
  readonly loaded: Plugins;
  readonly config: LoadedConfig | null;
}

/** Loads the plugins of `flags` on top of the context's built-in ones. */
export async function withPlugins(ctx: CliContext, flags: PluginFlags): Promise<WithPlugins> {
  const loaded = await loadPlugins(ctx.plugins(), ctx.cwd, flags);
  const all = loaded.plugins.map((p) => p.plugin);
  return { ctx: { ...ctx, plugins: () => all }, loaded, config: loaded.config };
}

/** withPlugins, or null once a load error is reported (exit 3, or 4 for a bad config file). */
export async function pluginContext(
  ctx: CliContext,
  flags: PluginFlags & { json?: boolean },
): Promise<WithPlugins | null> {
  try {
    return await withPlugins(ctx, flags);
  } catch (e) {
    reportFatal(ctx, e, Boolean(flags.json));
    return null;
  }
}
