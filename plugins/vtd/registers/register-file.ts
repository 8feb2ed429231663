/**
 * The VT-d register interface (reference/vtd.md §0, §5): global command and
 * status (GCMD/GSTS), the root-table and interrupt-remapping-table pointers,
 * register-based invalidation (CCMD, IVA/IOTLB) and the invalidation queue's
 * architectural register values (IQA, IQH, IQT, IQER).
 *
 * Spec semantics by default: latching a root table or toggling translation
 * flushes nothing (software must invalidate; a stale use stays observable).
 * The `qemu` profile does what QEMU does: SRTP and TE toggles reset the
 * context cache and the IOTLB (hardware.ts), and register-based invalidation
 * is ignored while queued invalidation is enabled.
 *
 * Deviation kept for existing scenarios: queued invalidation starts enabled
 * (GSTS.QIES = ECAP.QI), as after the driver's set-up; `GCMD.QIE = 0` turns it
 * off, and descriptors submitted then are refused.
 */
import { hex64 } from '../../../core/model/hex.js';
import type { VtdHardware } from '../hardware.js';

/** GCMD/GSTS bit positions (VT-d 11.4.4, 11.4.5). */
export const GCMD = {
  TE: 31,
  SRTP: 30,
  SFL: 29,
  EAFL: 28,
  WBF: 27,
  QIE: 26,
  IRE: 25,
  SIRTP: 24,
  CFI: 23,
} as const;

/** IQER.IQEI error-type codes (VT-d 11.4.7.4). */
export const IQEI = {
  INFO_NOT_AVAILABLE: 0,
  INVALID_TAIL: 1,
  FETCH_ERROR: 2,
  INVALID_TYPE: 3,
  RESERVED_FIELD: 4,
  INVALID_WIDTH: 5,
} as const;

/** The IQEI code of a queue error, from the reason the queue gave (queued-invalidation.ts). */
export function iqeiOf(reason: string): number {
  if (/^invalid tail/.test(reason)) return IQEI.INVALID_TAIL;
  if (/cannot be fetched/.test(reason)) return IQEI.FETCH_ERROR;
  if (/unknown descriptor type/.test(reason)) return IQEI.INVALID_TYPE;
  if (/qwords|256-bit descriptor/.test(reason)) return IQEI.INVALID_WIDTH;
  if (/reserved|above CAP\.MAMV/.test(reason)) return IQEI.RESERVED_FIELD;
  return IQEI.INFO_NOT_AVAILABLE;
}

const bitOf = (v: bigint, n: number): boolean => ((v >> BigInt(n)) & 1n) === 1n;

export interface RegisterFileState {
  readonly words: readonly bigint[];
  readonly flags: readonly boolean[];
  readonly tail: number;
}

export class VtdRegisterFile {
  readonly #hw: VtdHardware;
  /** RTADDR as written (latched by SRTP), IRTA as written (latched by SIRTP), IQA, CCMD, IOTLB, IVA. */
  rtaddr = 0n;
  irta = 0n;
  irtaLatched = 0n;
  iqa = 0n;
  ccmd = 0n;
  iotlb = 0n;
  iva = 0n;
  /** GSTS.QIES (starts as ECAP.QI), IRES, IRTPS, CFIS. */
  qies: boolean;
  ires = false;
  irtps = false;
  cfis = false;
  /** IQT: the queue index software wrote last (descriptors submitted). */
  tail = 0;

  constructor(hw: VtdHardware) {
    this.#hw = hw;
    this.qies = hw.caps.qi;
  }

  saveState(): RegisterFileState {
    return {
      words: [this.rtaddr, this.irta, this.irtaLatched, this.iqa, this.ccmd, this.iotlb, this.iva],
      flags: [this.qies, this.ires, this.irtps, this.cfis],
      tail: this.tail,
    };
  }

  loadState(s: RegisterFileState): void {
    [this.rtaddr, this.irta, this.irtaLatched, this.iqa, this.ccmd, this.iotlb, this.iva] =
      s.words as bigint[];
    [this.qies, this.ires, this.irtps, this.cfis] = s.flags as boolean[];
    this.tail = s.tail;
  }

  /** 256-bit descriptors (IQA.DW). */
  get wide(): boolean {
    return bitOf(this.iqa, 11);
  }

  /** Entries of the queue: 2^(QS+8) 128-bit or 2^(QS+7) 256-bit descriptors. */
  get queueEntries(): number {
    const qs = Number(this.iqa & 7n);
    return 2 ** (qs + (this.wide ? 7 : 8));
  }

  /** A queue index as IQH/IQT hold it: bits 18:4 (128-bit descriptors) or 18:5 (256-bit). */
  queueOffset(index: number): number {
    return (index % this.queueEntries) * (this.wide ? 32 : 16);
  }

  /** GSTS (VT-d 11.4.5): one status bit per command; WBFS reads 0 (flushes complete at once). */
  gsts(): number {
    const hw = this.#hw;
    return (
      ((hw.translationEnabled ? 1 << GCMD.TE : 0) |
        (hw.rootSet ? 1 << GCMD.SRTP : 0) |
        (this.qies ? 1 << GCMD.QIE : 0) |
        (this.ires ? 1 << GCMD.IRE : 0) |
        (this.irtps ? 1 << GCMD.SIRTP : 0) |
        (this.cfis ? 1 << GCMD.CFI : 0)) >>>
      0
    );
  }

  /** RTADDR as software reads it: what it wrote, or the table set-up commands latched (TTM bit 10: scalable). */
  rtaddrRead(): string {
    const hw = this.#hw;
    if (this.rtaddr !== 0n || !hw.rootSet) return hex64(this.rtaddr);
    return hex64(BigInt(hw.rootTable) | (hw.scalable ? 1n << 10n : 0n));
  }

  /** IQER (VT-d 11.4.7.4): IQEI in bits 3:0 while FSTS.IQE is set, else 0. */
  iqer(): number {
    const qi = this.#hw.qi;
    return qi.iqe ? iqeiOf(qi.errorReason) : 0;
  }
}
