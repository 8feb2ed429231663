/**
 * viommu-sim's public API (`import { definePlugin, Simulator } from 'viommu-sim'`): what a plugin
 * or a program embedding the simulator needs. Everything else under core/ is internal and may
 * move between versions; the contract suite and the test plugin are in `viommu-sim/testing`.
 * (Sorted by module path, as biome orders exports.)
 */

// tsyringe, re-exported so a plugin needs no dependency of its own to register providers.
export type { DependencyContainer } from 'tsyringe';
export { type CacheCounters, emptyCounters } from './cache/stats.js';
export {
  type AnyCommandSpec,
  CommandCatalog,
  CommandDataError,
  type CommandMap,
  type CommandSpec,
  type CommandType,
  type DataOf,
  defineCommand,
  fieldFault,
  runCommand,
} from './command/catalog.js';
export * as field from './command/field.js';
export { ERROR_CODES, isViommuError, ViommuError, type ViommuErrorCode } from './errors/viommu-error.js';
export type { EventSink, SimEvent, SimEventMap, SimEventType } from './events/event-map.js';
export {
  type CommandRecord,
  type EventRecord,
  encodeJsonl,
  LOG_ERROR_CODES,
  LOG_FORMAT,
  LOG_FORMAT_VERSION,
  type LogContents,
  LogError,
  type LogHeader,
  type LogRecord,
  openLog,
  type ReadOptions,
  readLog,
  readLogFile,
} from './events/log/index.js';
export { FrameAllocator } from './memory/frame-allocator.js';
export { PAGE_SHIFT, PAGE_SIZE, PhysMemory } from './memory/phys-memory.js';
export { hex, hex64, parseSafe, parseU64 } from './model/hex.js';
export {
  ACCESS,
  FAULT_KIND,
  type FaultKind,
  NO_PASID,
  TranslationRequest,
  TranslationResult,
} from './model/translation.js';
export {
  type CacheCapability,
  CONTRACT_CHANGES,
  CONTRACT_VERSION,
  type DeviceConfig,
  type IommuPlugin,
  type IommuUnit,
  type JsonObject,
  type JsonValue,
  type PageRequestInput,
  type PluginMeta,
  SUPPORTED_CONTRACT_VERSIONS,
  type UnitCapabilities,
  type UnitStats,
} from './plugin/contract.js';
export { definePlugin } from './plugin/define-plugin.js';
export { instanceCachingFactory } from './plugin/di.js';
export { type AnyPlugin, PluginHost } from './plugin/host.js';
export {
  type FaultReporter,
  resolve,
  TOKENS,
  type Token,
  token,
  type UnitIdentity,
} from './plugin/tokens.js';
export { describeDivergence } from './replay/describe.js';
export { compareWithGolden, type GoldenComparison, goldenBytes } from './replay/golden.js';
export { encodeLog, LOG_EXTENSION, type LogFormat } from './replay/log-io.js';
export { type ReplayOptions, type ReplayResult, replayLog } from './replay/replay.js';
export { createSimulator } from './replay/sim-factory.js';
export { findScenarioFiles, loadScenarioFile, parseScenario, SCENARIO_SUFFIX } from './scenario/load.js';
export { type Failure, type RunOptions, runTarget, type TargetRun } from './scenario/runner.js';
export type { Scenario, TargetSpec } from './scenario/types.js';
export type { DeviceSpec, SimConfig, UnitSpec } from './sim/config.js';
export { SeededRng } from './sim/rng.js';
export { type CommandInput, type RecordSink, type SimState, Simulator } from './sim/simulator.js';
export { copyInto, refillMap } from './state/stateful.js';
export { ERRNO, type ErrnoCode, type ErrnoName, fail, ok, type UapiResult } from './uapi/errno.js';
export type { IommuFault, IommuPageResponse } from './uapi/structs.js';
export type { VendorCall, VendorOps } from './uapi/vendor-ops.js';
