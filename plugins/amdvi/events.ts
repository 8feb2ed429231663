/**
 * AMD-Vi events, added to the core's open SimEventMap. Payloads are JSON-safe;
 * 64-bit values are "0x..." strings.
 */
import type { JsonObject } from '../../core/plugin/contract.js';

declare module '../../core/events/event-map.js' {
  interface SimEventMap {
    /** The unit produced an event-log entry (written: it reached the log in memory). */
    'amdvi.event.logged': {
      unit: string;
      code: number;
      name: string;
      deviceId: number;
      domainId: number;
      pasid: number | null;
      flags: number;
      address: string;
      written: boolean;
      /** Why the entry was not written, or what caused it ("" when nothing to add). */
      detail: string;
    };
    /** A command-buffer (or host-issued) command took effect. */
    'amdvi.command.executed': { unit: string; source: 'ring' | 'host'; name: string; detail: JsonObject };
    /** IOTLB entries of a DomainID (and PASID when GN) were dropped. */
    'amdvi.iotlb.invalidated': {
      unit: string;
      domainId: number | null;
      pasid: number | null;
      base: string;
      pages: string;
      dropped: number;
    };
    /** The cached DTE of a DeviceID (or all of them) was dropped. */
    'amdvi.dte.invalidated': { unit: string; deviceId: number | null; dropped: number };
    /** COMPLETION_WAIT finished: the store was made and/or the interrupt status set. */
    'amdvi.completion.signalled': { unit: string; store: string | null; data: string; interrupt: boolean };
    /** An MMIO register was written. */
    'amdvi.mmio.written': { unit: string; reg: string; value: string };
    /** A request or command needed something this model does not cover. */
    'amdvi.request.unmodelled': { unit: string; deviceId: number; what: string };
  }
}
