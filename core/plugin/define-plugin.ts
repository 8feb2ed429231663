import type { IommuPlugin } from './contract.js';

/**
 * Declares a plugin. Only checks the shape and freezes it: importing a plugin
 * has no side effects.
 */
export function definePlugin<Options>(plugin: IommuPlugin<Options>): IommuPlugin<Options> {
  if (!/^[a-z][a-z0-9-]*$/.test(plugin.meta.name)) {
    throw new TypeError(
      `plugin name ${JSON.stringify(plugin.meta.name)} must be lower-case letters, digits and dashes`,
    );
  }
  return Object.freeze({ ...plugin, meta: Object.freeze({ ...plugin.meta }) });
}
