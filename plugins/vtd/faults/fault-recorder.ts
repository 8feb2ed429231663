/**
 * Primary fault logging (VT-d 7.2.1, reference/vtd.md §6.1): NFR 128-bit fault
 * recording registers used round-robin from an internal next-register index,
 * fault compression (a fault from a SID that already has a recorded fault
 * pending is dropped), overflow (PFO), and the fault event interrupt (FECTL
 * IM/IP). FSTS.FRI names the register of the first pending fault, which is
 * where software (Linux's dmar_fault) starts reading until it meets F = 0.
 */
import { hex64 } from '../../../core/model/hex.js';

export interface FaultRecord {
  F: boolean;
  reason: number;
  sid: number;
  /** PASID or -1 when the request had none (PP = 0). */
  pasid: number;
  /** Faulting page address >> 12. */
  pfn: number;
  /** T: false = write, true = read (stored as the access). */
  write: boolean;
  exec: boolean;
  priv: boolean;
}

export interface FaultInput {
  readonly reason: number;
  readonly sid: number;
  readonly pasid: number;
  readonly pfn: number;
  readonly write: boolean;
  readonly exec: boolean;
  readonly priv: boolean;
}

export type RecordOutcome =
  | { recorded: true; index: number }
  | { recorded: false; why: 'compressed' | 'overflow' };

export class FaultRecorder {
  readonly records: FaultRecord[];
  /** FSTS.PFO: primary fault overflow. */
  pfo = false;
  /**
   * FSTS.FRI: the register that took the fault which set PPF (the first pending one); valid
   * while PPF is set, and latched until all F bits are clear again.
   */
  fri = 0;
  /** The register hardware writes next (internal, round robin over the NFR registers). */
  next = 0;
  /** FECTL.IM: interrupt mask; FECTL.IP: interrupt pending (masked). */
  im = false;
  ip = false;
  /** Fault-event interrupts delivered. */
  interrupts = 0;

  constructor(nfr: number) {
    this.records = Array.from({ length: nfr }, () => ({
      F: false,
      reason: 0,
      sid: 0,
      pasid: -1,
      pfn: 0,
      write: false,
      exec: false,
      priv: false,
    }));
  }

  /** FSTS.PPF: some register holds a fault. */
  get ppf(): boolean {
    return this.records.some((r) => r.F);
  }

  /** Applies the recording rules to one fault. */
  record(f: FaultInput, otherPending = false): RecordOutcome {
    if (this.pfo) return { recorded: false, why: 'overflow' };
    if (this.records.some((r) => r.F && r.sid === f.sid)) return { recorded: false, why: 'compressed' };
    const slot = this.records[this.next]!;
    if (slot.F) {
      // No interrupt: that register's fault keeps PPF set, so one is already pending (vtd.md §6.1).
      this.pfo = true;
      return { recorded: false, why: 'overflow' };
    }
    const ppf = this.ppf;
    Object.assign(slot, { F: true, ...f });
    const index = this.next;
    this.next = (this.next + 1) % this.records.length;
    if (!ppf) this.fri = index;
    this.#interrupt(ppf || otherPending);
    return { recorded: true, index };
  }

  /** Software writes 1 to FRCD[index].F. */
  clear(index: number): void {
    const r = this.records[index];
    if (r) r.F = false;
  }

  /** Software writes 1 to FSTS.PFO. */
  clearOverflow(): void {
    this.pfo = false;
  }

  /** Software writes FECTL.IM. Unmasking with IP set delivers the pending interrupt and clears IP. */
  setMask(masked: boolean): void {
    this.im = masked;
    if (!masked && this.ip) {
      this.ip = false;
      this.interrupts++;
    }
  }

  #interrupt(alreadyPending: boolean): void {
    if (alreadyPending) return;
    if (this.im) this.ip = true;
    else this.interrupts++;
  }

  /** The fault recording registers and FSTS/FECTL bits, for snapshots. */
  saveState(): {
    records: FaultRecord[];
    bits: [boolean, boolean, boolean];
    fri: number;
    next: number;
    interrupts: number;
  } {
    return {
      records: this.records,
      bits: [this.pfo, this.im, this.ip],
      fri: this.fri,
      next: this.next,
      interrupts: this.interrupts,
    };
  }

  loadState(s: ReturnType<FaultRecorder['saveState']>): void {
    if (s.records.length !== this.records.length)
      throw new RangeError(
        `snapshot: ${s.records.length} fault recording registers, this unit has ${this.records.length}`,
      );
    s.records.forEach((r, i) => {
      Object.assign(this.records[i]!, r);
    });
    [this.pfo, this.im, this.ip] = s.bits;
    this.fri = s.fri;
    this.next = s.next;
    this.interrupts = s.interrupts;
  }

  digestState(): { pfo: boolean; ppf: boolean; fri: number; records: object[] } {
    return {
      pfo: this.pfo,
      ppf: this.ppf,
      fri: this.fri,
      records: this.records.map((r, i) => ({
        index: i,
        F: r.F,
        reason: r.reason,
        sid: r.sid,
        pasid: r.pasid < 0 ? null : r.pasid,
        addr: hex64(BigInt(r.pfn) << 12n),
        write: r.write,
        exec: r.exec,
        priv: r.priv,
      })),
    };
  }
}
