/**
 * The core's commands, declared in the catalog (core/command). Architecture
 * commands (`vtd.*`, `smmuv3.*`, ...) come from each plugin's `commands`; the
 * simulator routes them to the unit by scope.
 */
import type { AnyCommandSpec, DataOf } from '../../command/catalog.js';
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
  interface CommandMap {
    'core.memory.write': DataOf<typeof memoryWrite>;
    'core.memory.write64': DataOf<typeof memoryWrite64>;
    'core.clock.advance': DataOf<typeof clockAdvance>;
    'core.stats.sample': DataOf<typeof statsSample>;
    'device.dma.access': DataOf<typeof dmaAccess>;
    'device.page.request': DataOf<typeof pageRequest>;
    'uapi.cache.invalidate': DataOf<typeof cacheInvalidate>;
    'uapi.gpasid.bind': DataOf<typeof bind>;
    'uapi.gpasid.unbind': DataOf<typeof unbind>;
    'uapi.gpasid.unbind-pasid': DataOf<typeof unbindPasid>;
    'uapi.user.map': DataOf<typeof userMap>;
    'uapi.user.unmap': DataOf<typeof userUnmap>;
    'uapi.fault.register': DataOf<typeof faultRegister>;
    'uapi.fault.unregister': DataOf<typeof faultUnregister>;
    'uapi.page.respond': DataOf<typeof pageRespond>;
  }
}

/** A command the core runs on the simulator. */
export type SimCommand = AnyCommandSpec<Simulator>;

/** The core's own commands. */
export const CORE_COMMANDS: readonly AnyCommandSpec[] = [
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
];

/** Command types the core itself handles, for validation and docs. */
export const CORE_COMMAND_TYPES: readonly string[] = CORE_COMMANDS.map((c) => c.type);
