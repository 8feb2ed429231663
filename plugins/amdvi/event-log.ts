/**
 * The event log (reference smmuv3-amdvi.md B.6): a ring of 16-byte entries in
 * memory between EVT_HEAD (software) and EVT_TAIL (the IOMMU). Recording is a
 * cold path: it writes the ring when the log is enabled and running, sets
 * EventOverflow and stops the log when it is full, and always emits an
 * `amdvi.event.logged` event saying whether the entry reached memory.
 */
import type { EventSink } from '../../core/events/event-map.js';
import type { PhysMemory } from '../../core/memory/phys-memory.js';
import { hex64 } from '../../core/model/hex.js';
import { NO_PASID } from '../../core/model/translation.js';
import { eventName } from './faults.js';
import type { AmdviRegisters } from './registers.js';
import {
  decodeEventEntry,
  EVENT_BYTES,
  type EventEntry,
  encodeEventEntry,
} from './structures/event-entry.js';
import { AMDVI_STATUS } from './structures/mmio.js';
import './events.js';

/** One event as the unit raises it. */
export interface RaisedEvent {
  code: number;
  deviceId: number;
  /** DomainID for the event types that carry it; 0 otherwise. */
  domainId: number;
  /** PASID for GN events, NO_PASID otherwise. */
  pasid: number;
  flags: number;
  address: bigint;
  /** Set when logging is suppressed (DTE.SA) with the reason. */
  suppressed?: string;
  detail?: string;
}

export class EventLog {
  readonly #unit: string;
  readonly #mem: PhysMemory;
  readonly #regs: AmdviRegisters;
  readonly #events: EventSink;
  /** Events raised per code (written or not), for stats and snapshots. */
  readonly raised = new Map<number, number>();

  constructor(unit: string, mem: PhysMemory, regs: AmdviRegisters, events: EventSink) {
    this.#unit = unit;
    this.#mem = mem;
    this.#regs = regs;
    this.#events = events;
  }

  /** Records an event; returns true when it was written into the log in memory. */
  record(e: RaisedEvent): boolean {
    this.raised.set(e.code, (this.raised.get(e.code) ?? 0) + 1);
    const gn = e.pasid !== NO_PASID;
    const entry: EventEntry = {
      code: e.code,
      deviceId: e.deviceId,
      tag: gn ? e.pasid & 0xffff : e.domainId,
      pasidHi: gn ? (e.pasid >>> 16) & 0xf : 0,
      flags: e.flags,
      address: e.address,
    };
    const notWritten = e.suppressed ?? this.#append(entry);
    const written = notWritten === '';
    const detail = written ? (e.detail ?? '') : e.detail ? `${notWritten}; ${e.detail}` : notWritten;
    this.#events.emit('amdvi.event.logged', {
      unit: this.#unit,
      code: e.code,
      name: eventName(e.code),
      deviceId: e.deviceId,
      domainId: e.domainId,
      pasid: gn ? e.pasid : null,
      flags: e.flags,
      address: hex64(e.address),
      written,
      detail,
    });
    return written;
  }

  /** Appends to the ring; '' on success, else why not. */
  #append(entry: EventEntry): string {
    const r = this.#regs;
    if (!r.eventLogEn) return 'event log disabled (CONTROL.EventLogEn = 0)';
    if (!(r.status & AMDVI_STATUS.EventLogRun)) return 'event log stopped (STATUS.EventLogRun = 0)';
    const next = (r.evtTail + EVENT_BYTES) % r.evtBytes;
    if (next === r.evtHead) {
      // Full: the entry is lost, overflow is flagged and logging stops until software restarts it.
      r.status = (r.status | AMDVI_STATUS.EventOverflow) & ~AMDVI_STATUS.EventLogRun;
      return 'event log full (STATUS.EventOverflow set)';
    }
    const pa = r.evtBase + r.evtTail;
    if (!this.#mem.isBacked(pa, EVENT_BYTES))
      return `event log entry at 0x${pa.toString(16)} is not backed memory`;
    const page = this.#mem.pageForWrite(Math.floor(pa / 4096));
    const w = encodeEventEntry(entry);
    const i = (pa % 4096) / 4;
    for (let k = 0; k < 4; k++) page[i + k] = w[k]!;
    r.evtTail = next;
    if (r.eventIntEn) r.status |= AMDVI_STATUS.EventLogInt;
    return '';
  }

  /** Reads the entries between head and tail and moves head to tail (what the driver's IRQ thread does). */
  drain(): EventEntry[] {
    const r = this.#regs;
    const out: EventEntry[] = [];
    while (r.evtBytes > 0 && r.evtHead !== r.evtTail) {
      const pa = r.evtBase + r.evtHead;
      const page = this.#mem.page(Math.floor(pa / 4096));
      const i = (pa % 4096) / 4;
      if (page === undefined) break;
      out.push(decodeEventEntry(page[i]!, page[i + 1]!, page[i + 2]!, page[i + 3]!));
      r.evtHead = (r.evtHead + EVENT_BYTES) % r.evtBytes;
    }
    return out;
  }
}
