import type { IommuPlugin, IommuUnit } from './contract.js';

/**
 * Declares a plugin. Only checks the shape and freezes it: importing a plugin
 * has no side effects. `meta.commands` is derived from the declared `commands`,
 * each of which must be in the plugin's scope.
 */
export function definePlugin<Options, Unit extends IommuUnit = IommuUnit>(
  plugin: IommuPlugin<Options, Unit>,
): IommuPlugin<Options> {
  const name = plugin.meta.name;
  if (!/^[a-z][a-z0-9-]*$/.test(name)) {
    throw new TypeError(`plugin name ${JSON.stringify(name)} must be lower-case letters, digits and dashes`);
  }
  const commands = plugin.commands ?? [];
  for (const c of commands) {
    if (c.scope !== name) throw new TypeError(`plugin "${name}": command "${c.type}" is outside its scope`);
  }
  const meta = plugin.commands ? { ...plugin.meta, commands: commands.map((c) => c.type) } : plugin.meta;
  return Object.freeze({
    ...plugin,
    ...(plugin.commands ? { commands: Object.freeze([...commands]) } : {}),
    meta: Object.freeze({ ...meta }),
  }) as unknown as IommuPlugin<Options>;
}
