/**
 * Typed tsyringe tokens. tsyringe's symbol tokens are untyped; Token<T>
 * carries the type, and resolve() returns it. Symbol.for keeps a plugin built
 * against another copy of core compatible.
 */
import type { DependencyContainer } from 'tsyringe';
import type { EventSink } from '../events/event-map.js';
import type { FrameAllocator } from '../memory/frame-allocator.js';
import type { PhysMemory } from '../memory/phys-memory.js';
import type { SimClock } from '../sim/clock.js';
import type { SeededRng } from '../sim/rng.js';
import type { ErrnoCode } from '../uapi/errno.js';
import type { KernelVersion } from '../uapi/kernel-versions.js';
import type { IommuFault } from '../uapi/structs.js';
import type { DeviceConfig, IommuUnit } from './contract.js';

export type Token<T> = symbol & { readonly __type?: T };

export function token<T>(name: string): Token<T> {
  return Symbol.for(`viommu.${name}`) as Token<T>;
}

export function resolve<T>(container: DependencyContainer, t: Token<T>): T {
  return container.resolve<T>(t);
}

/** Delivers a fault or page request to the host kernel (iommu_report_device_fault). */
export interface FaultReporter {
  /** Reports on behalf of the device with this requester id; returns the core's result. */
  report(sid: number, fault: IommuFault): ErrnoCode;
}

/** Who the unit is: its id and the devices the host attached behind it. */
export interface UnitIdentity {
  readonly id: string;
  readonly devices: ReadonlyMap<number, DeviceConfig>;
}

export const TOKENS = Object.freeze({
  /** Simulated physical memory (host physical address space). */
  Memory: token<PhysMemory>('Memory'),
  /** Allocator of zeroed frames for tables built by set-up commands. */
  Frames: token<FrameAllocator>('Frames'),
  Clock: token<SimClock>('Clock'),
  Rng: token<SeededRng>('Rng'),
  /** The kernel version the run simulates (its UAPI constants), for vendor drivers. */
  Kernel: token<KernelVersion>('Kernel'),
  /** The event sink of the current command. */
  Events: token<EventSink>('Events'),
  /** The core's fault reporting, bound to this unit. */
  Faults: token<FaultReporter>('Faults'),
  UnitIdentity: token<UnitIdentity>('UnitIdentity'),
  /** What a plugin's register() must provide: its unit. */
  Unit: token<IommuUnit>('Unit'),
});
