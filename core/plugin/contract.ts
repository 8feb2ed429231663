/**
 * The contract between the core and an architecture plugin (VT-d, SMMUv3,
 * AMD-Vi, or yours). A plugin is a plain object made by definePlugin(); the
 * core gives each unit instance its services through a tsyringe child
 * container (tokens.ts) and talks to it only through IommuUnit.
 *
 * See docs/plugins.md for a walk-through.
 */
import type { DependencyContainer } from 'tsyringe';
import type { CacheCounters } from '../cache/stats.js';
import type { CommandSpec } from '../command/catalog.js';
import type { TranslationRequest, TranslationResult } from '../model/translation.js';
import type { ErrnoCode } from '../uapi/errno.js';
import type { VendorOps } from '../uapi/vendor-ops.js';

/** Bumped when IommuUnit or the services change incompatibly; CONTRACT_CHANGES says what changed. */
export const CONTRACT_VERSION = 2;
export const SUPPORTED_CONTRACT_VERSIONS: readonly number[] = [2];

/**
 * What each contract version changed from the one before, for the message that refuses a plugin
 * written against an older one: a unit still answering the old way would otherwise be called
 * the new way and fail quietly (an old command() is never called: every step answers EOPNOTSUPP).
 */
export const CONTRACT_CHANGES: { readonly [version: number]: string } = {
  2: 'IommuUnit.command() was removed: declare each architecture command with defineCommand in definePlugin({ commands }); IommuUnit.snapshot() is now digestState() (docs/plugins.md)',
};

export type JsonValue =
  | null
  | boolean
  | number
  | string
  | readonly JsonValue[]
  | { readonly [k: string]: JsonValue };
export type JsonObject = { readonly [k: string]: JsonValue };

export interface PluginMeta {
  /** Unique plugin name; also the scope of its events and commands (`vtd.iotlb.invalidated`). */
  readonly name: string;
  readonly version: string;
  /** The CONTRACT_VERSION the plugin was written against. */
  readonly contractVersion: number;
  readonly description: string;
  /** Names of plugins that must be loaded too. */
  readonly requires?: readonly string[];
  /**
   * Every architecture command type the plugin's units accept (`vtd.qi.submit`): derived by
   * definePlugin() from the plugin's `commands`, for listings.
   */
  readonly commands?: readonly string[];
}

export interface IommuPlugin<Options = JsonObject, Unit = IommuUnit> {
  readonly meta: PluginMeta;
  /**
   * The plugin's architecture commands (`<plugin>.<subject>.<verb>`), declared with
   * core/command's defineCommand: fields, doc and a handler that runs on the unit this plugin's
   * TOKENS.Unit provider made. A scenario naming another type of this scope is refused as it loads,
   * and every command's data is checked against its fields before a run.
   */
  // biome-ignore lint/suspicious/noExplicitAny: each spec's data type is checked where it is declared
  readonly commands?: readonly CommandSpec<Unit, any>[];
  /**
   * Turns raw options (from a scenario) into the plugin's options, filling
   * defaults. Throws a RangeError or TypeError naming the field for bad input.
   */
  parseOptions(raw: JsonObject | undefined): Options;
  /**
   * Registers the plugin's providers in a unit's child container. Must register
   * TOKENS.Unit. Only registers: no I/O, no events, no side effects.
   */
  register(container: DependencyContainer, options: Options): void;
  /**
   * Says which of the plugin's events is one invalidation operation, and of which scope
   * (core/metrics INVALIDATION_SCOPES, `iotlb.page`), or null. Optional: without it a unit's
   * metrics count no invalidations.
   */
  readonly invalidationScope?: (type: string, data: JsonObject) => string | null;
}

/** A device as the host kernel knows it: what the vendor driver checks (PCI, PASID width, ATS). */
export interface DeviceConfig {
  /** Name used by commands and events. */
  readonly name: string;
  /** Id of the unit (IOMMU instance) the device sits behind. */
  readonly unit: string;
  /** Requester id: PCI bus<<8|devfn, or SMMUv3 StreamID. */
  readonly sid: number;
  readonly pci: boolean;
  /** PCI PASID capability width in bits (0 = no PASID; VT-d's bind needs 20). */
  readonly pasidBits: number;
  /** ATS enabled (device-TLB present). */
  readonly ats: boolean;
  /** PRI enabled (the device can issue page requests). */
  readonly pri: boolean;
  /** Auxiliary-domain feature enabled (VT-d bind's per-device user count). */
  readonly auxDomain: boolean;
}

/** A device's page request (PCIe PRI / VT-d page request descriptor fields). */
export interface PageRequestInput {
  readonly pasid: number | null;
  /** Page address (bytes, 4 KiB aligned) as a bigint. */
  readonly addr: bigint;
  readonly read: boolean;
  readonly write: boolean;
  readonly exec: boolean;
  readonly priv: boolean;
  /** Page request group index (9 bits). */
  readonly grpid: number;
  /** Last request in the group (LPIG). */
  readonly last: boolean;
  /** Two 64-bit private data words, or null when none. */
  readonly privateData: readonly [bigint, bigint] | null;
}

export interface CacheCapability {
  /** 'iotlb' | 'dev_iotlb' | 'pasid' for the UAPI cache types. */
  readonly cache: 'iotlb' | 'dev_iotlb' | 'pasid';
  /** UAPI granularities the vendor really acts on (the rest it rejects or ignores). */
  readonly granularities: readonly ('domain' | 'pasid' | 'addr')[];
}

/** What a unit models, for reports and for the contract suite. */
export interface UnitCapabilities {
  readonly arch: string;
  /** 'v5.10' = what mainline v5.10 does; 'proposed' = patches proposed upstream, labelled so. */
  readonly profile: 'v5.10' | 'proposed';
  /** PASID / SubstreamID width in bits (0 = none). */
  readonly pasidBits: number;
  readonly cacheInvalidation: readonly CacheCapability[];
  /** IOMMU_PASID_FORMAT_* values the bind op accepts (empty: no bind). */
  readonly bindFormats: readonly number[];
  readonly pageRequests: boolean;
  readonly nested: boolean;
  readonly ats: boolean;
  /** Names of the translation caches, as in stats(). */
  readonly caches: readonly string[];
  /** Things the model knowingly does not cover; each answered with an explicit errno or event. */
  readonly notModelled: readonly string[];
}

export interface UnitStats {
  readonly translations: number;
  readonly faults: number;
  /** Table reads by all walks so far. */
  readonly memReads: number;
  readonly caches: { readonly [name: string]: CacheCounters };
  /** Translations not answered by a translation cache (core/metrics TranslationMeter); default: translations. */
  readonly walks?: number;
  /** Faults by FAULT_KIND name (core/metrics TranslationMeter). */
  readonly faultsByKind?: { readonly [kind: string]: number };
  /** Invalidations the unit counts itself, by scope (added to those IommuPlugin.invalidationScope finds). */
  readonly invalidations?: { readonly [scope: string]: number };
}

/** One IOMMU instance. Made by a plugin's TOKENS.Unit provider, one per unit in a run. */
export interface IommuUnit {
  readonly id: string;
  readonly plugin: string;
  capabilities(): UnitCapabilities;
  /** The host learns of a device behind this unit (before any command names it). */
  addDevice(device: DeviceConfig): ErrnoCode;
  /** The vendor side of the UAPI, called after the core's checks. A missing op makes the core answer ENODEV. */
  readonly ops: VendorOps;
  /**
   * Translates one DMA request. Hot path: synchronous, allocation-free, never
   * throws for guest errors. Fills `out` and returns out.kind (0 = ok).
   */
  translate(req: TranslationRequest, out: TranslationResult): number;
  /** A device behind this unit issues a page request (PRI). ENODEV when not modelled. */
  pageRequest(device: DeviceConfig, req: PageRequestInput): ErrnoCode;
  stats(): UnitStats;
  /** JSON-safe state with stable key order; the core digests it. */
  digestState(): JsonValue;
  /**
   * The unit's whole state between commands (registers, caches with their replacement order,
   * driver state), as structured-clone data (core/state/stateful.ts). Optional: without it, a
   * run on this plugin cannot be snapshotted, and asking gives VIOMMU_ERR_SNAPSHOT_UNSUPPORTED.
   */
  saveState?(): unknown;
  /** Restores saveState()'s data into a unit built from the same configuration. */
  loadState?(state: unknown): void;
}
