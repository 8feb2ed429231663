/**
 * Register-level commands: queued invalidation (`vtd.qi.submit`), fault
 * status and recording registers (`vtd.fault.clear`, `vtd.fault.mask`) and a
 * register read-out (`vtd.regs.read`).
 */

import { bool, int, list, u64 } from '../../../core/command/field.js';
import { hex64 } from '../../../core/model/hex.js';
import { capRegister, ecapRegister } from '../capabilities.js';
import type { VtdHardware } from '../hardware.js';
import { regsWrite } from '../registers/register-write.js';
import { vtdCommand } from './vtd-command.js';

export const qiSubmit = vtdCommand(
  'vtd.qi.submit',
  'Writes descriptors to the invalidation queue and moves the tail: the hardware processes them (stops at an invalid one, IQE).',
  {
    descriptors: list(list(u64({ int: true }), { sizes: [2, 4] })).describe(
      'descriptors, each 2 (128-bit) or 4 (256-bit) 64-bit words',
    ),
  },
  (hw, _id, d) => {
    const r = hw.submitDescriptors(d.descriptors);
    return {
      processed: r.processed,
      error: r.error === null ? null : { index: r.error.index, reason: r.error.reason },
    };
  },
);

export const faultClear = vtdCommand(
  'vtd.fault.clear',
  'Clears a fault-recording register (F), PFO and/or IQE, as software writes 1 to clear; answers PPF, PFO and IQE.',
  {
    index: int(0, 255).describe('the fault-recording register to clear').opt(),
    overflow: bool().describe('clear FSTS.PFO').def(false),
    iqe: bool().describe('clear FSTS.IQE').def(false),
  },
  (hw, _id, d) => {
    if (d.index !== undefined) {
      if (d.index > hw.caps.nfr - 1)
        throw new RangeError(`index: expected an integer in [0, ${hw.caps.nfr - 1}], got ${d.index}`);
      hw.faultRecorder.clear(d.index);
    }
    if (d.overflow) hw.faultRecorder.clearOverflow();
    if (d.iqe) hw.qi.clearError();
    return { ppf: hw.faultRecorder.ppf, pfo: hw.faultRecorder.pfo, iqe: hw.qi.iqe };
  },
);

export const faultMask = vtdCommand(
  'vtd.fault.mask',
  'Sets or clears FECTL.IM (the fault event interrupt mask).',
  { masked: bool().def(true) },
  (hw, _id, d) => {
    hw.faultRecorder.setMask(d.masked);
    return { im: hw.faultRecorder.im };
  },
);

/** FSTS bits (VT-d 11.4.9): PFO 0, PPF 1, IQE 4, FRI 15:8. */
function fsts(hw: VtdHardware): number {
  const f = hw.faultRecorder;
  return (f.pfo ? 1 : 0) | (f.ppf ? 2 : 0) | (hw.qi.iqe ? 0x10 : 0) | (f.fri << 8);
}

/**
 * The registers as software reads them (VT-d 11.4): IQH/IQT hold the queue offset (index in bits
 * 18:4 for 128-bit descriptors, 18:5 for 256-bit), IQER the IQEI error-type code, PQH/PQT the page
 * request ring offsets (32-byte descriptors) and PRS its PPR (bit 0) and PRO (bit 1).
 */
export function readRegisters(hw: VtdHardware) {
  const r = hw.regs;
  const prq = hw.prq;
  return {
    CAP: hex64(capRegister(hw.caps)),
    ECAP: hex64(ecapRegister(hw.caps)),
    GSTS: r.gsts(),
    RTADDR: r.rtaddrRead(),
    CCMD: hex64(r.ccmd),
    FSTS: fsts(hw),
    FECTL: ((hw.faultRecorder.im ? 1 << 31 : 0) | (hw.faultRecorder.ip ? 1 << 30 : 0)) >>> 0,
    IQH: r.queueOffset(hw.qi.head),
    IQT: r.queueOffset(hw.qi.iqe ? r.tail : hw.qi.head),
    IQA: hex64(r.iqa),
    IQER: r.iqer(),
    ICS: hw.qi.iwc ? 1 : 0,
    IRTA: hex64(r.irtaLatched),
    PQH: prq === null ? 0 : prq.head * 32,
    PQT: prq === null ? 0 : prq.tail * 32,
    PRS: prq === null ? 0 : (prq.pending ? 1 : 0) | (prq.overflow ? 2 : 0),
    IVA: hex64(r.iva),
    IOTLB: hex64(r.iotlb),
  };
}

export const regsRead = vtdCommand(
  'vtd.regs.read',
  'Reads CAP, ECAP, GSTS, RTADDR, FSTS, FECTL and the queue registers.',
  {},
  readRegisters,
);

/** QEMU's vtd_reset_caches (a device reset; SRTP and TE toggles in the qemu profile): context, PASID and IOTLB emptied. */
export const cachesReset = vtdCommand(
  'vtd.caches.reset',
  "QEMU's vtd_reset_caches: empties the context, PASID and IOTLB caches (a device reset).",
  {},
  (hw) => ({ entries: hw.resetCaches('reset') }),
);

export const REGISTER_COMMANDS = [cachesReset, qiSubmit, faultClear, faultMask, regsRead, regsWrite] as const;
