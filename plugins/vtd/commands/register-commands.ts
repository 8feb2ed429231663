/**
 * Register-level commands: queued invalidation (`vtd.qi.submit`), fault
 * status and recording registers (`vtd.fault.clear`, `vtd.fault.mask`) and a
 * register read-out (`vtd.regs.read`).
 */
import { hex64 } from '../../../core/model/hex.js';
import { capRegister, ecapRegister } from '../capabilities.js';
import { bool, descriptors, int } from './fields.js';
import type { Handler } from './setup-commands.js';

const qiSubmit: Handler = (hw, _id, data) => {
  const r = hw.submitDescriptors(descriptors(data, 'descriptors'));
  return {
    processed: r.processed,
    error: r.error === null ? null : { index: r.error.index, reason: r.error.reason },
  };
};

const faultClear: Handler = (hw, _id, data) => {
  if (data.index !== undefined) hw.faultRecorder.clear(int(data, 'index', 0, hw.caps.nfr - 1));
  if (bool(data, 'overflow', false)) hw.faultRecorder.clearOverflow();
  if (bool(data, 'iqe', false)) hw.qi.clearError();
  return { ppf: hw.faultRecorder.ppf, pfo: hw.faultRecorder.pfo, iqe: hw.qi.iqe };
};

const faultMask: Handler = (hw, _id, data) => {
  hw.faultRecorder.setMask(bool(data, 'masked', true));
  return { im: hw.faultRecorder.im };
};

/** FSTS bits (VT-d 11.4.9): PFO 0, PPF 1, IQE 4, FRI 15:8. */
function fsts(hw: Parameters<Handler>[0]): number {
  const f = hw.faultRecorder;
  return (f.pfo ? 1 : 0) | (f.ppf ? 2 : 0) | (hw.qi.iqe ? 0x10 : 0) | (f.fri << 8);
}

/**
 * The registers as software reads them (VT-d 11.4): IQH/IQT hold the queue offset (index in bits
 * 18:4 for 128-bit descriptors, 18:5 for 256-bit), IQER the IQEI error-type code, PQH/PQT the page
 * request ring offsets (32-byte descriptors) and PRS its PPR (bit 0) and PRO (bit 1).
 */
const regsRead: Handler = (hw) => {
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
};

/** QEMU's vtd_reset_caches (a device reset; SRTP and TE toggles in the qemu profile): context, PASID and IOTLB emptied. */
const cachesReset: Handler = (hw) => ({ entries: hw.resetCaches('reset') });

export const REGISTER_COMMANDS: Readonly<Record<string, Handler>> = {
  'vtd.caches.reset': cachesReset,
  'vtd.qi.submit': qiSubmit,
  'vtd.fault.clear': faultClear,
  'vtd.fault.mask': faultMask,
  'vtd.regs.read': regsRead,
};
