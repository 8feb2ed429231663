/**
 * The event queue (reference A.6): 32-byte records written to memory at
 * EVTQ_BASE + (PROD index) · 32 when CR0.EVTQEN is set. A full queue loses the
 * record and toggles EVTQ_PROD.OVFLG (spec 7.4); a record that cannot be written
 * (memory not backed) toggles GERROR.EVTQ_ABT_ERR, as QEMU does. Cold path.
 */

import { writeField } from '../../core/bits/layout.js';
import type { PhysMemory } from '../../core/memory/phys-memory.js';
import { NO_PASID } from '../../core/model/translation.js';
import type { FaultInfo } from './fault-info.js';
import { SMMU_EVENT } from './faults.js';
import type { RegisterFile } from './register-file.js';
import { EVENT_BYTES, EVENT_FETCH_ADDR, encodeEvent } from './structures/event-record.js';
import { CR0, GERROR, PROD_OVFLG, queueBaseAddr, queueFull, queueLog2Size } from './structures/registers.js';

/** Where a fault's record went. */
export type RecordOutcome = 'queued' | 'queue-disabled' | 'overflow' | 'write-abort' | 'not-recorded';

/** The 8 words of a fault's event record. */
export function eventWords(f: FaultInfo): Uint32Array {
  const w = encodeEvent({
    Type: f.code,
    SSV: f.ssid === NO_PASID ? 0 : 1,
    SSID: f.ssid === NO_PASID ? 0 : f.ssid,
    SID: f.sid,
    PnU: f.priv ? 1 : 0,
    InD: f.exec ? 1 : 0,
    RnW: f.read ? 1 : 0,
    S2: f.s2 ? 1 : 0,
    CLASS: f.cls,
    InputAddrLo: ((f.inPfn % 2 ** 20) * 4096 + f.offset) >>> 0,
    InputAddrHi: Math.floor(f.inPfn / 2 ** 20),
  });
  if (
    f.code === SMMU_EVENT.F_STE_FETCH ||
    f.code === SMMU_EVENT.F_CD_FETCH ||
    f.code === SMMU_EVENT.F_WALK_EABT
  ) {
    writeField(EVENT_FETCH_ADDR, w, f.fetchAddr - (f.fetchAddr % 8), 'FetchAddr');
  } else if (f.s2) {
    writeField({ dw: 3, msb: 51, lsb: 12, addr: true }, w, f.ipa - (f.ipa % 4096), 'IPA');
  }
  return w;
}

export class EventQueue {
  readonly #mem: PhysMemory;
  readonly #regs: RegisterFile;
  /** Records written, lost to overflow, and lost because the queue was disabled. */
  written = 0;
  lost = 0;

  constructor(mem: PhysMemory, regs: RegisterFile) {
    this.#mem = mem;
    this.#regs = regs;
  }

  /** Writes the record of `f` if the queue is enabled and has room. */
  record(f: FaultInfo): RecordOutcome {
    const r = this.#regs;
    if ((r.cr0 & CR0.EVTQEN) === 0) {
      this.lost++;
      return 'queue-disabled';
    }
    const log2 = queueLog2Size(r.evtqBase);
    const prod = r.evtqProd % 2 ** (log2 + 1);
    const cons = r.evtqCons % 2 ** (log2 + 1);
    if (queueFull(prod, cons, log2)) {
      r.evtqProd = (r.evtqProd ^ PROD_OVFLG) >>> 0;
      this.lost++;
      return 'overflow';
    }
    const addr = queueBaseAddr(r.evtqBase) + (prod % 2 ** log2) * EVENT_BYTES;
    if (!this.#mem.isBacked(addr, EVENT_BYTES)) {
      r.gerror = (r.gerror ^ GERROR.EVTQ_ABT_ERR) >>> 0;
      this.lost++;
      return 'write-abort';
    }
    const w = eventWords(f);
    const page = this.#mem.pageForWrite(Math.floor(addr / 4096));
    page.set(w, (addr % 4096) >>> 2);
    const next = (prod + 1) % 2 ** (log2 + 1);
    r.evtqProd = ((r.evtqProd & PROD_OVFLG) | next) >>> 0;
    this.written++;
    return 'queued';
  }
}
