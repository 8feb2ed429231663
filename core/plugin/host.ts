/**
 * Loads plugins, checks them (unique name, supported contract version,
 * declared dependencies present), then freezes. Each run gets its own child
 * container, and each unit a child of that, so nothing leaks between runs.
 */
import type { DependencyContainer } from 'tsyringe';
import { ERROR_CODES, ViommuError } from '../errors/viommu-error.js';
import type { EventSink } from '../events/event-map.js';
import {
  CONTRACT_CHANGES,
  type IommuPlugin,
  type IommuUnit,
  type JsonObject,
  SUPPORTED_CONTRACT_VERSIONS,
} from './contract.js';
import { container as rootContainer } from './di.js';
import { type FaultReporter, TOKENS, type UnitIdentity } from './tokens.js';

// biome-ignore lint/suspicious/noExplicitAny: plugins have their own option types
export type AnyPlugin = IommuPlugin<any>;

export class PluginHost {
  readonly #plugins = new Map<string, AnyPlugin>();
  readonly #origins = new Map<string, string>();
  #frozen = false;

  /**
   * Adds a plugin; throws VIOMMU_ERR_PLUGIN_* for a malformed or duplicate plugin. `origin` says
   * where it came from ("built-in", "viommu.config.ts", "--plugin ./src/index.ts"), for listings
   * and for the message when two plugins share a name.
   */
  use(plugin: AnyPlugin, origin = 'api'): this {
    if (this.#frozen)
      throw new ViommuError(
        ERROR_CODES.HOST_FROZEN,
        'plugin host is frozen: register plugins before the first run',
      );
    const meta = (plugin as Partial<AnyPlugin> | undefined)?.meta;
    if (
      !meta ||
      typeof meta.name !== 'string' ||
      typeof plugin.register !== 'function' ||
      typeof plugin.parseOptions !== 'function'
    ) {
      throw new ViommuError(
        ERROR_CODES.PLUGIN_INVALID,
        'plugin must have meta.name, parseOptions() and register() (use definePlugin)',
      );
    }
    const first = this.#origins.get(meta.name);
    if (first !== undefined) {
      const where = first === origin ? `(${origin})` : `(${first}, then ${origin})`;
      throw new ViommuError(
        ERROR_CODES.PLUGIN_DUPLICATE,
        `plugin "${meta.name}" is registered twice ${where}`,
      );
    }
    if (!SUPPORTED_CONTRACT_VERSIONS.includes(meta.contractVersion)) {
      throw new ViommuError(
        ERROR_CODES.PLUGIN_CONTRACT_VERSION,
        `plugin "${meta.name}" targets contract version ${meta.contractVersion}; this core supports ${SUPPORTED_CONTRACT_VERSIONS.join(', ')}${contractChangesSince(meta.contractVersion)}`,
      );
    }
    this.#plugins.set(meta.name, plugin);
    this.#origins.set(meta.name, origin);
    return this;
  }

  /** Checks dependencies and freezes the set of plugins. Called by the first run; idempotent. */
  freeze(): void {
    if (this.#frozen) return;
    for (const p of this.#plugins.values()) {
      for (const dep of p.meta.requires ?? []) {
        if (!this.#plugins.has(dep)) {
          throw new ViommuError(
            ERROR_CODES.PLUGIN_DEPENDENCY_MISSING,
            `plugin "${p.meta.name}" requires plugin "${dep}", which is not loaded`,
          );
        }
      }
    }
    this.#frozen = true;
  }

  get(name: string): AnyPlugin {
    const p = this.#plugins.get(name);
    if (!p) {
      throw new ViommuError(
        ERROR_CODES.PLUGIN_UNKNOWN,
        `unknown plugin "${name}" (loaded: ${[...this.#plugins.keys()].join(', ') || 'none'})`,
      );
    }
    return p;
  }

  names(): string[] {
    return [...this.#plugins.keys()];
  }

  /** Where the plugin called `name` came from (the `origin` given to use()), or undefined. */
  origin(name: string): string | undefined {
    return this.#origins.get(name);
  }

  /** A fresh container for one run; the caller registers the core services in it. */
  createRunContainer(): DependencyContainer {
    this.freeze();
    return rootContainer.createChildContainer();
  }

  /** Instantiates one unit of `plugin` in a child of the run container. */
  createUnit(
    run: DependencyContainer,
    pluginName: string,
    identity: UnitIdentity,
    services: { events: EventSink; faults: FaultReporter },
    rawOptions: JsonObject | undefined,
  ): IommuUnit {
    const plugin = this.get(pluginName);
    const options = plugin.parseOptions(rawOptions);
    const c = run.createChildContainer();
    c.register(TOKENS.UnitIdentity, { useValue: identity });
    c.register(TOKENS.Events, { useValue: services.events });
    c.register(TOKENS.Faults, { useValue: services.faults });
    plugin.register(c, options);
    if (!c.isRegistered(TOKENS.Unit)) {
      throw new ViommuError(
        ERROR_CODES.PLUGIN_INVALID,
        `plugin "${pluginName}" did not register TOKENS.Unit`,
      );
    }
    return c.resolve(TOKENS.Unit);
  }
}

/** What changed in the contract after `version`, to tell the author of an older plugin what to update. */
function contractChangesSince(version: unknown): string {
  const newest = SUPPORTED_CONTRACT_VERSIONS[SUPPORTED_CONTRACT_VERSIONS.length - 1] ?? 0;
  if (typeof version !== 'number' || !Number.isInteger(version)) return '';
  if (version > newest) return ' (the plugin is newer than this viommu-sim: upgrade viommu-sim)';
  const changes: string[] = [];
  for (let v = version + 1; v <= newest; v++) {
    const what = CONTRACT_CHANGES[v];
    if (what !== undefined) changes.push(`version ${v}: ${what}`);
  }
  return changes.length === 0 ? '' : `. Changed since version ${version}: ${changes.join('; ')}`;
}
