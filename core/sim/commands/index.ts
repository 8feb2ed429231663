/**
 * The core's command table. Architecture commands (`vtd.*`, `smmuv3.*`, ...)
 * are not here: the simulator routes them to the unit by scope.
 */
import type { JsonObject, JsonValue } from '../../plugin/contract.js';
import type { UapiResult } from '../../uapi/errno.js';
import type { Simulator } from '../simulator.js';
import { pageRequest } from './device.js';
import { dmaAccess } from './dma.js';
import { clockAdvance, memoryWrite, memoryWrite64 } from './memory.js';
import { statsSample } from './stats.js';
import { UAPI_COMMANDS } from './uapi.js';

export type CommandHandler = (sim: Simulator, data: JsonObject) => UapiResult<JsonValue>;

export const COMMAND_HANDLERS: ReadonlyMap<string, CommandHandler> = new Map<string, CommandHandler>([
  ['core.memory.write', memoryWrite],
  ['core.memory.write64', memoryWrite64],
  ['core.clock.advance', clockAdvance],
  ['core.stats.sample', statsSample],
  ['device.dma.access', dmaAccess],
  ['device.page.request', pageRequest],
  ...UAPI_COMMANDS,
]);

/** Command types the core itself handles, for validation and docs. */
export const CORE_COMMAND_TYPES: readonly string[] = [...COMMAND_HANDLERS.keys()];
