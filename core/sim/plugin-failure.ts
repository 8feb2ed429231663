/**
 * A plugin's exception during a command. It is never an errno: the simulator
 * records `core.plugin.failed` (the plugin, the exception's code and message)
 * after what the command caused so far, then throws a PluginFailure, so no
 * expectation can take it for a result. The unit's state is unknown after
 * it; a runner stops that target there (exit 3) and keeps the records.
 */
import { ERROR_CODES, isViommuError, ViommuError } from '../errors/viommu-error.js';
import type { IommuUnit, JsonObject } from '../plugin/contract.js';

export class PluginFailure extends ViommuError {
  /** Name of the plugin whose code threw ("core" when no unit was involved). */
  readonly plugin: string;
  /** seq of the command record it happened in. */
  readonly seq: number;
  /** Type of that command. */
  readonly command: string;
  /** The exception's own message. */
  readonly detail: string;

  constructor(plugin: string, seq: number, command: string, cause: unknown) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    super(ERROR_CODES.PLUGIN_THREW, `plugin "${plugin}" threw in ${command} (seq ${seq}): ${detail}`, {
      cause,
    });
    this.name = 'PluginFailure';
    this.plugin = plugin;
    this.seq = seq;
    this.command = command;
    this.detail = detail;
  }
}

export function isPluginFailure(e: unknown): e is PluginFailure {
  return e instanceof PluginFailure;
}

/**
 * Whether an exception out of a command is the command's own fault (a missing, misspelled or
 * out-of-range field, an unknown type or device): the command fails with EINVAL and the run goes
 * on. Anything else a handler throws is a plugin failure.
 */
export function isCommandRejection(e: unknown): boolean {
  return isViommuError(e, ERROR_CODES.COMMAND_INVALID) || isViommuError(e, ERROR_CODES.COMMAND_UNKNOWN);
}

/**
 * The unit a command's exception is charged to: the one its scope names (`vtd.root.set`), else
 * the unit of the device it names, else the unit it names, else the only unit there is.
 */
export function unitOfCommand(
  type: string,
  data: JsonObject,
  units: ReadonlyMap<string, IommuUnit>,
  devices: ReadonlyMap<string, { readonly unit: IommuUnit }>,
): IommuUnit | undefined {
  const scope = type.slice(0, type.indexOf('.'));
  const named = typeof data.unit === 'string' ? units.get(data.unit) : undefined;
  if (named !== undefined) return named;
  const byScope = [...units.values()].filter((u) => u.plugin === scope);
  if (byScope.length === 1) return byScope[0];
  const dev = typeof data.device === 'string' ? devices.get(data.device) : undefined;
  if (dev !== undefined) return dev.unit;
  return units.size === 1 ? units.values().next().value : undefined;
}
