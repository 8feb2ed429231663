/**
 * The shape of `viommu.config.{ts,mts,js,mjs,json}` (`import { defineConfig } from 'viommu-sim/config'`).
 * Found from the working directory upward, or named with `--config FILE`.
 */
import type { AnyPlugin } from '../../core/plugin/host.js';

/** A plugin to load: a package name, a path (relative to the config file), or the plugin itself. */
export type PluginSpec = string | AnyPlugin;

/** Defaults for `viommu run`; a flag on the command line wins. */
export interface RunDefaults {
  /** Directory for the event logs (`--out`), relative to the config file. */
  readonly out?: string;
  /** Log format (`--format`). */
  readonly format?: 'jsonl' | 'binary';
  /** Reporters (`--reporter`, repeatable): default, json, junit, dot. */
  readonly reporters?: readonly ('default' | 'json' | 'junit' | 'dot')[];
  /**
   * Where reporters write (`--output-file`), relative to the config file: `{ junit: 'reports/viommu.xml' }`,
   * or one path when one reporter is chosen. A reporter without a file writes to stdout.
   */
  readonly outputFile?: string | Readonly<Partial<Record<'default' | 'json' | 'junit' | 'dot', string>>>;
}

export interface ViommuConfig {
  /** Plugins loaded beside the built-in ones. */
  readonly plugins?: readonly PluginSpec[];
  readonly run?: RunDefaults;
}

/** Returns the config unchanged: it only gives the editor the type. */
export function defineConfig(config: ViommuConfig): ViommuConfig {
  return config;
}
