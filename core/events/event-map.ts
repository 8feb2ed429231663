/**
 * The open union of events. Core declares its own here; each plugin adds its
 * events by module augmentation in its events.ts:
 *
 *   declare module '../../core/events/event-map.js' {
 *     interface SimEventMap { 'vtd.iotlb.invalidated': { did: number; ... } }
 *   }
 *
 * Names are `<scope>.<subject>.<verb-past>`; payloads are JSON-safe (64-bit
 * values as "0x..." hex strings).
 */
import type { JsonObject, JsonValue } from '../plugin/contract.js';

export interface SimEventMap {
  /** Closes every command: its result. */
  'core.command.completed':
    | { ok: true; errno: null; value: JsonValue }
    | { ok: false; errno: string; detail: string };
  /** A command was refused as malformed (a bad field, an unknown type): it failed with EINVAL, the run goes on. */
  'core.command.failed': { code: string; message: string };
  /** A plugin threw during a command (not an errno): the last record of its run. */
  'core.plugin.failed': { plugin: string; unit: string | null; code: string; message: string };
  /** Something the kernel (or the hardware) does silently, made visible. */
  'core.diagnostic.noted': { unit: string; what: string; detail: JsonObject };
  /** A fault or page request reached the device's registered fault handler (iommu_report_device_fault). */
  'core.fault.delivered': { device: string; fault: JsonObject; result: number };
  /** A fault or page request found no handler, or no device, and was dropped with this errno. */
  'core.fault.dropped': { unit: string; sid: number; errno: string; fault: JsonObject };
  /** Cache and translation counters of a unit, sampled. */
  'core.stats.sampled': { unit: string; stats: JsonValue };
}

export type SimEventType = keyof SimEventMap & string;

export type SimEvent = {
  [K in SimEventType]: Readonly<{ type: K; data: Readonly<SimEventMap[K]> }>;
}[SimEventType];

/** Where a unit (or the core) puts the events a command produces. */
export interface EventSink {
  emit<K extends SimEventType>(type: K, data: SimEventMap[K]): void;
}
