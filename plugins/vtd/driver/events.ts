/**
 * Events of the VT-d driver side and of the page request queue, declared by
 * module augmentation of the core's open event map. Payloads are JSON-safe:
 * 64-bit values and descriptors as "0x" hex strings. What the kernel does
 * silently (log-only paths, swallowed requests) goes out as core.diagnostic.noted.
 */
import type { ErrnoCode } from '../../../core/uapi/errno.js';

/** Where a page group response came from. */
export type ResponseSource = 'prq-thread' | 'page-response' | 'overflow';

declare module '../../../core/events/event-map.js' {
  interface SimEventMap {
    /** The driver submitted queued-invalidation descriptors for a UAPI cache invalidation or a PASID entry change. */
    'vtd.driver.descriptors.submitted': {
      unit: string;
      sid: number;
      pasid: number;
      why: 'iotlb' | 'dev-iotlb' | 'pasid-setup' | 'pasid-teardown' | 'prq-drain';
      descriptors: string[][];
      processed: number;
      error: null | { index: number; reason: string };
    };
    /** A nested PASID-table entry was programmed for a guest PASID (uapi.md §5.2-5.3). */
    'vtd.driver.gpasid.bound': {
      unit: string;
      sid: number;
      hpasid: number;
      gpasid: number | null;
      mm: number;
      entryAddress: string;
      entry: string[];
    };
    /** A device's guest-PASID binding was removed; svmFreed when it was the PASID's last device. */
    'vtd.driver.gpasid.unbound': {
      unit: string;
      sid: number;
      pasid: number;
      users: number;
      svmFreed: boolean;
    };
    'vtd.driver.ioasid.allocated': { unit: string; pasid: number; min: number; max: number };
    'vtd.driver.ioasid.freed': { unit: string; pasid: number; bound: boolean };
    /** Hardware wrote a page request descriptor into the queue. */
    'vtd.prq.queued': { unit: string; sid: number; slot: number; descriptor: string[] };
    /** The queue was full: the request was dropped and PRS.PRO set. */
    'vtd.prq.overflowed': {
      unit: string;
      sid: number;
      pasid: number | null;
      grpid: number;
      lpig: boolean;
      dropped: number;
    };
    /** Software drained the ring and cleared PRS.PRO. */
    'vtd.prq.overflow-cleared': { unit: string; dropped: number };
    /** The PRQ thread turned a page request into an iommu_fault for the guest. */
    'vtd.driver.prq.reported': {
      unit: string;
      sid: number;
      pasid: number;
      grpid: number;
      flags: number;
      perm: number;
      addr: string;
      privateData: string[] | null;
      result: ErrnoCode;
    };
    /** The PRQ thread consumed a request without reporting it (stop marker, bad request). */
    'vtd.driver.prq.dropped': {
      unit: string;
      sid: number;
      pasid: number | null;
      grpid: number;
      reason: string;
    };
    /** A page group response descriptor (type 0x9) was sent to the device. */
    'vtd.driver.response.sent': {
      unit: string;
      source: ResponseSource;
      sid: number;
      pasid: number | null;
      grpid: number;
      code: number;
      lpig: boolean;
      descriptor: string[];
    };
  }
}
