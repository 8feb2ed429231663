/**
 * A log names the plugin (and its version) of each unit it was recorded with. Before a replay:
 * a plugin that is not loaded stops it with a message saying how to load it (exit 3); a plugin
 * of another version is worth a warning, and the replay goes on (it says whether it reproduces).
 */
import { ERROR_CODES, ViommuError } from '../../core/errors/viommu-error.js';
import type { LogHeader } from '../../core/events/log/records.js';
import type { PluginHost } from '../../core/plugin/host.js';

/** How a plugin that is not built in gets loaded, for messages. */
export const HOW_TO_LOAD =
  'load it with --plugin <package or path>, or list it in viommu.config.ts "plugins"';

/** Throws VIOMMU_ERR_PLUGIN_UNKNOWN for a missing plugin; returns one warning per version that differs. */
export function checkLogPlugins(host: PluginHost, header: LogHeader, file: string): string[] {
  const loaded = new Set(host.names());
  const missing = Object.keys(header.plugins).filter((name) => !loaded.has(name));
  if (missing.length > 0) {
    const which = missing.map((n) => `"${n}" ${header.plugins[n]}`).join(', ');
    throw new ViommuError(
      ERROR_CODES.PLUGIN_UNKNOWN,
      `${file} was recorded with plugin ${which}, which is not loaded: ${HOW_TO_LOAD}`,
    );
  }
  const warnings: string[] = [];
  for (const [name, version] of Object.entries(header.plugins)) {
    const have = host.get(name).meta.version;
    if (have !== version)
      warnings.push(`${file} was recorded with plugin "${name}" ${version}; replaying with ${have}`);
  }
  return warnings;
}
