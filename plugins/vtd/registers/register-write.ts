/**
 * `vtd.regs.write { reg, value }`: software's register writes (VT-d 11.4):
 * GCMD (TE, SRTP, QIE, IRE, SIRTP, WBF, CFI; one-shot SRTP/SIRTP/WBF, the
 * others compared with GSTS), RTADDR, IRTA, IQA, IQT (the hardware fetches the
 * descriptors between IQH and the new tail from simulated memory and runs
 * them), CCMD and IVA/IOTLB (register-based invalidation, with the actual
 * granularity reported in CAIG/IAIG). Returns the register as read back.
 */

import { oneOf, u64 } from '../../../core/command/field.js';
import { hex64 } from '../../../core/model/hex.js';
import type { JsonObject, JsonValue } from '../../../core/plugin/contract.js';
import { vtdCommand } from '../commands/vtd-command.js';
import type { VtdHardware } from '../hardware.js';
import { GCMD } from './register-file.js';

const REGS = ['GCMD', 'RTADDR', 'IRTA', 'IQA', 'IQT', 'CCMD', 'IVA', 'IOTLB'] as const;

const bit = (v: bigint, n: number): boolean => ((v >> BigInt(n)) & 1n) === 1n;
const field = (v: bigint, lo: number, width: number): number =>
  Number((v >> BigInt(lo)) & ((1n << BigInt(width)) - 1n));

function emit(hw: VtdHardware, cache: string, granularity: string, o: JsonObject, entries: number): void {
  hw.events.emit('vtd.cache.invalidated', {
    unit: hw.unitId,
    cache,
    granularity: `register-${granularity}`,
    did: (o.did as number | undefined) ?? null,
    pasid: null,
    sid: (o.sid as number | undefined) ?? null,
    addr: (o.addr as string | undefined) ?? null,
    pages: (o.pages as number | undefined) ?? null,
    entries,
  });
}

/** The qemu profile ignores register-based invalidation while queued invalidation is on (as QEMU does). */
function ignored(hw: VtdHardware): boolean {
  return hw.profile === 'qemu' && hw.regs.qies;
}

function gcmd(hw: VtdHardware, v: bigint): JsonValue {
  const r = hw.regs;
  const done: string[] = [];
  const te = bit(v, GCMD.TE);
  if (te !== hw.translationEnabled) {
    hw.translationEnabled = te;
    done.push(te ? 'TE' : 'TE off');
  }
  if (bit(v, GCMD.SRTP)) {
    hw.setRootTable(Number(r.rtaddr & ~0xfffn), bit(r.rtaddr, 10));
    done.push('SRTP');
  }
  const qie = bit(v, GCMD.QIE);
  if (qie !== r.qies) {
    if (qie && !hw.caps.qi) throw new RangeError('value: GCMD.QIE without ECAP.QI');
    r.qies = qie;
    // IQH reads 0 whenever queued invalidation is disabled (VT-d 11.4.7.1).
    if (!qie) {
      hw.qi.head = 0;
      r.tail = 0;
    }
    done.push(qie ? 'QIE' : 'QIE off');
  }
  const ire = bit(v, GCMD.IRE);
  if (ire !== r.ires) {
    r.ires = ire;
    done.push(ire ? 'IRE' : 'IRE off');
  }
  if (bit(v, GCMD.SIRTP)) {
    r.irtaLatched = r.irta;
    r.irtps = true;
    done.push('SIRTP');
  }
  const cfi = bit(v, GCMD.CFI);
  if (cfi !== r.cfis) {
    r.cfis = cfi;
    done.push(cfi ? 'CFI' : 'CFI off');
  }
  // Write-buffer flush: simulated memory has no write buffer; it completes at once (WBFS reads 0).
  if (bit(v, GCMD.WBF)) done.push('WBF');
  const obsolete = [GCMD.SFL, GCMD.EAFL]
    .filter((b) => bit(v, b))
    .map((b) => (b === GCMD.SFL ? 'SFL' : 'EAFL'));
  return { GSTS: r.gsts(), done, ignored: obsolete };
}

/** CCMD with ICC set: CIRG 1 global, 2 domain (performed as global: CAIG 1), 3 device (CAIG 3). */
function ccmd(hw: VtdHardware, v: bigint): JsonValue {
  const r = hw.regs;
  if (!bit(v, 63)) {
    r.ccmd = v;
    return { CCMD: hex64(v), performed: false };
  }
  if (ignored(hw)) {
    r.ccmd = v & ~(1n << 63n);
    return {
      CCMD: hex64(r.ccmd),
      performed: false,
      why: 'qemu profile: register invalidation is ignored while QI is enabled',
    };
  }
  const cirg = field(v, 61, 2);
  const c = hw.caches;
  let caig = 0;
  if (cirg === 1 || cirg === 2) {
    caig = 1;
    const did = field(v, 0, 16);
    emit(
      hw,
      'context',
      cirg === 1 ? 'global' : 'domain-as-global',
      cirg === 2 ? { did } : {},
      c.contextGlobal(),
    );
  } else if (cirg === 3) {
    caig = 3;
    const sid = field(v, 16, 16);
    emit(hw, 'context', 'device', { sid, did: field(v, 0, 16) }, c.contextDevice(sid, field(v, 32, 2)));
  }
  r.ccmd = (v & ~(1n << 63n) & ~(3n << 59n)) | (BigInt(caig) << 59n);
  return { CCMD: hex64(r.ccmd), performed: caig !== 0, CAIG: caig };
}

/** IOTLB with IVT set: IIRG 1 global, 2 domain, 3 page (IVA: ADDR, IH, AM); IAIG the granularity done. */
function iotlb(hw: VtdHardware, v: bigint): JsonValue {
  const r = hw.regs;
  if (!bit(v, 63)) {
    r.iotlb = v;
    return { IOTLB: hex64(v), performed: false };
  }
  if (ignored(hw)) {
    r.iotlb = v & ~(1n << 63n);
    return {
      IOTLB: hex64(r.iotlb),
      performed: false,
      why: 'qemu profile: register invalidation is ignored while QI is enabled',
    };
  }
  const iirg = field(v, 60, 2);
  const did = field(v, 32, 16);
  const c = hw.caches;
  let iaig = 0;
  if (iirg === 1) {
    iaig = 1;
    emit(hw, 'iotlb', 'global', {}, c.iotlbGlobal());
  } else if (iirg === 2 || (iirg === 3 && !hw.caps.psi)) {
    iaig = 2;
    emit(hw, 'iotlb', 'domain', { did }, c.iotlbDomain(did));
  } else if (iirg === 3) {
    const am = field(r.iva, 0, 6);
    if (am <= hw.caps.mamv) {
      iaig = 3;
      const pages = 2 ** am;
      const vpn = Math.floor(Number(r.iva >> 12n) / pages) * pages;
      const ih = bit(r.iva, 6);
      emit(
        hw,
        'iotlb',
        ih ? 'page-leaf' : 'page',
        { did, addr: hex64(BigInt(vpn) << 12n), pages },
        c.iotlbPages(did, vpn, pages, ih),
      );
    }
  }
  r.iotlb = (v & ~(1n << 63n) & ~(3n << 57n)) | (BigInt(iaig) << 57n);
  return { IOTLB: hex64(r.iotlb), performed: iaig !== 0, IAIG: iaig };
}

/**
 * IQT: the hardware fetches the descriptors from IQH up to the new tail out of the queue in
 * simulated memory (IQA base, 128- or 256-bit each) and runs them. A tail with bit 4 set in
 * 256-bit mode, or a descriptor it cannot read, stops the queue with IQE.
 */
function iqt(hw: VtdHardware, v: bigint): JsonValue {
  const r = hw.regs;
  const wide = r.wide;
  if (wide && bit(v, 4)) return queueError(hw, 'invalid tail: IQT bit 4 set with 256-bit descriptors');
  const entries = r.queueEntries;
  const tail = field(v, wide ? 5 : 4, wide ? 14 : 15) % entries;
  r.tail = tail;
  if (!r.qies || hw.qi.iqe) return { IQH: r.queueOffset(hw.qi.head), IQT: r.queueOffset(tail), processed: 0 };
  const base = Number(r.iqa & ~0xfffn);
  const size = wide ? 4 : 2;
  const descs: bigint[][] = [];
  for (let i = hw.qi.head % entries; i !== tail; i = (i + 1) % entries) {
    const d: bigint[] = [];
    for (let q = 0; q < size; q++) {
      const w = hw.memory.read64(base + i * size * 8 + q * 8);
      if (w === undefined)
        return queueError(hw, `descriptor ${i} at 0x${(base + i * size * 8).toString(16)} cannot be fetched`);
      d.push(w);
    }
    descs.push(d);
  }
  const res = hw.submitDescriptors(descs);
  return {
    IQH: r.queueOffset(hw.qi.head),
    IQT: r.queueOffset(tail),
    processed: res.processed,
    error: res.error === null ? null : { index: res.error.index, reason: res.error.reason },
  };
}

/** A queue error found before any descriptor ran: IQE set, IQH left at the descriptor it stopped at. */
function queueError(hw: VtdHardware, reason: string): JsonValue {
  hw.qi.iqe = true;
  hw.qi.errorIndex = hw.qi.head;
  hw.qi.errorReason = reason;
  return { IQH: hw.regs.queueOffset(hw.qi.head), processed: 0, error: { index: 0, reason } };
}

export const regsWrite = vtdCommand(
  'vtd.regs.write',
  'Writes a register as software does (GCMD, RTADDR, IRTA, IQA, IQT, CCMD, IVA, IOTLB); answers it as read back.',
  { reg: oneOf(REGS), value: u64({ int: true }) },
  (hw, _id, d) => writeRegister(hw, d.reg, d.value),
);

function writeRegister(hw: VtdHardware, reg: (typeof REGS)[number], v: bigint): JsonValue {
  const r = hw.regs;
  switch (reg) {
    case 'GCMD':
      return gcmd(hw, v & 0xffff_ffffn);
    case 'RTADDR':
      r.rtaddr = v;
      return { RTADDR: hex64(v) };
    case 'IRTA':
      r.irta = v;
      return { IRTA: hex64(v) };
    case 'IQA':
      if (bit(v, 11) && !hw.caps.smts)
        throw new RangeError('value: IQA.DW (256-bit descriptors) needs ECAP.SMTS');
      r.iqa = v;
      return { IQA: hex64(v), entries: r.queueEntries };
    case 'IQT':
      return iqt(hw, v);
    case 'CCMD':
      return ccmd(hw, v);
    case 'IVA':
      r.iva = v;
      return { IVA: hex64(v) };
    case 'IOTLB':
      return iotlb(hw, v);
  }
}
