/**
 * The VT-d plugin's events, added to the simulator's open event union by
 * module augmentation. Payloads are JSON-safe: 64-bit values as "0x..." hex.
 */
export {};

declare module '../../core/events/event-map.js' {
  interface SimEventMap {
    /** A fault was written to a fault recording register (VT-d 7.2.1). */
    'vtd.fault.recorded': {
      unit: string;
      index: number;
      reason: number;
      reasonName: string;
      sid: number;
      pasid: number | null;
      addr: string;
      write: boolean;
      exec: boolean;
      priv: boolean;
    };
    /** A fault was not recorded: FPD set on a qualified fault, compressed (same SID pending), or overflow. */
    'vtd.fault.dropped': {
      unit: string;
      reason: number;
      sid: number;
      why: 'fpd' | 'compressed' | 'overflow';
    };
    /** A translation cache dropped entries because of an invalidation. */
    'vtd.cache.invalidated': {
      unit: string;
      cache: string;
      granularity: string;
      did: number | null;
      pasid: number | null;
      sid: number | null;
      addr: string | null;
      pages: number | null;
      entries: number;
    };
    /** The invalidation queue stopped at a bad descriptor and set FSTS.IQE. */
    'vtd.qi.stopped': { unit: string; index: number; reason: string };
    /** An invalidation wait descriptor completed (status write and/or IWC). */
    'vtd.qi.waited': {
      unit: string;
      statusAddr: string | null;
      statusData: number | null;
      interrupt: boolean;
    };
    /** A page group response descriptor reached the hardware (for the driver's PRQ side). */
    'vtd.page-response.sent': {
      unit: string;
      sid: number;
      pasid: number | null;
      grpid: number;
      code: number;
    };
  }
}
