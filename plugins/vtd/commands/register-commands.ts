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

const regsRead: Handler = (hw) => ({
  CAP: hex64(capRegister(hw.caps)),
  ECAP: hex64(ecapRegister(hw.caps)),
  // Composed as unsigned 32-bit values: `|` alone turns bit 31 into a sign.
  GSTS:
    ((hw.translationEnabled ? 1 << 31 : 0) | (hw.rootSet ? 1 << 30 : 0) | (hw.caps.qi ? 1 << 26 : 0)) >>> 0,
  RTADDR: hex64(BigInt(hw.rootTable) | (hw.scalable ? 1n << 10n : 0n)),
  FSTS: fsts(hw),
  FECTL: ((hw.faultRecorder.im ? 1 << 31 : 0) | (hw.faultRecorder.ip ? 1 << 30 : 0)) >>> 0,
  IQH: hw.qi.head,
  /** Index of the descriptor that stopped the queue, or null while IQE is clear. */
  IQER: hw.qi.errorIndex < 0 ? null : hw.qi.errorIndex,
  ICS: hw.qi.iwc ? 1 : 0,
});

/** QEMU's vtd_reset_caches (a device reset; SRTP and TE toggles in the qemu profile): context, PASID and IOTLB emptied. */
const cachesReset: Handler = (hw) => ({ entries: hw.resetCaches('reset') });

export const REGISTER_COMMANDS: Readonly<Record<string, Handler>> = {
  'vtd.caches.reset': cachesReset,
  'vtd.qi.submit': qiSubmit,
  'vtd.fault.clear': faultClear,
  'vtd.fault.mask': faultMask,
  'vtd.regs.read': regsRead,
};
