/**
 * The core's commands, declared in the catalog (core/command). Architecture
 * commands (`vtd.*`, `smmuv3.*`, ...) come from each plugin's `commands`; the
 * simulator routes them to the unit by scope.
 */
import type { AnyCommandSpec, CommandsOf } from '../../command/catalog.js';
import type { Simulator } from '../simulator.js';
import { pageRequest } from './device.js';
import { dmaAccess } from './dma.js';
import { clockAdvance, memoryWrite, memoryWrite64 } from './memory.js';
import { statsSample } from './stats.js';
import {
  bind,
  cacheInvalidate,
  faultRegister,
  faultUnregister,
  pageRespond,
  unbind,
  unbindPasid,
  userMap,
  userUnmap,
} from './uapi.js';

declare module '../../command/catalog.js' {
  interface CommandMap extends CommandsOf<typeof CORE_COMMANDS> {}
}

/** A command the core runs on the simulator. */
export type SimCommand = AnyCommandSpec<Simulator>;

/** The core's own commands. */
export const CORE_COMMANDS = [
  memoryWrite,
  memoryWrite64,
  clockAdvance,
  statsSample,
  dmaAccess,
  pageRequest,
  cacheInvalidate,
  bind,
  unbind,
  unbindPasid,
  userMap,
  userUnmap,
  faultRegister,
  faultUnregister,
  pageRespond,
] as const;

/** Command types the core itself handles, for validation and docs. */
export const CORE_COMMAND_TYPES: readonly string[] = CORE_COMMANDS.map((c) => c.type);
