/**
 * The queued-invalidation interface, hardware side (VT-d 6.5.2,
 * reference/vtd.md §5): descriptors are processed in order; the first invalid
 * one (unknown type, reserved bits, AM above MAMV, wrong width) sets FSTS.IQE,
 * records its index in IQER and stops the queue until software clears IQE.
 */
import type { FieldSpec } from '../../../core/bits/index.js';
import { hex64 } from '../../../core/model/hex.js';
import { SL_TAG } from '../caches/vtd-caches.js';
import type { VtdHardware } from '../hardware.js';
import {
  atsRange,
  descriptorWords,
  QI,
  QI_256_ONLY,
  QI_BY_TYPE,
  QI_RSVD,
  QI_RSVD_WORDS,
  QI_TYPE,
  QI_TYPE_FIELDS,
  qiAddr,
  qiField,
  qiPage,
} from './descriptor.js';

const CC = QI.CONTEXT_CACHE.fields;
const IOTLB = QI.IOTLB.fields;
const DT = QI.DEVICE_TLB.fields;
const WAIT = QI.INVALIDATION_WAIT.fields;
const PIOTLB = QI.PASID_IOTLB.fields;
const PC = QI.PASID_CACHE.fields;
const PDT = QI.PASID_DEVICE_TLB.fields;
const PGR = QI.PAGE_GROUP_RESPONSE.fields;

export interface SubmitResult {
  readonly processed: number;
  readonly error: null | { readonly index: number; readonly reason: string };
}

/** What a page group response descriptor carries to the device (for the page-request side). */
export interface PageGroupResponse {
  readonly sid: number;
  readonly pasid: number | null;
  readonly grpid: number;
  readonly code: number;
  readonly last: boolean;
  readonly privateData: readonly [bigint, bigint] | null;
}

export class QueuedInvalidation {
  readonly #hw: VtdHardware;
  /** FSTS.IQE and IQER.IQEI/the index of the descriptor that stopped the queue. */
  iqe = false;
  errorIndex = -1;
  errorReason = '';
  /** ICS.IWC: an invalidation wait with IF completed. */
  iwc = false;
  /** Descriptors processed since reset (IQH, counting from 0). */
  head = 0;
  waits = 0;
  /** Hook for the page-request side: a page group response left the queue. */
  onPageResponse: ((r: PageGroupResponse) => void) | undefined;

  /** The descriptor being run, as 32-bit words (descriptorWords). */
  readonly #w = new Uint32Array(8);
  /** The last page-selective range decoded (#pageRange), reused from descriptor to descriptor. */
  readonly #range = { vpn: 0, pages: 0, ih: false };

  constructor(hw: VtdHardware) {
    this.#hw = hw;
  }

  /** The queue's registers, for snapshots (the page-response hook is wiring, not state). */
  saveState(): {
    iqe: boolean;
    errorIndex: number;
    errorReason: string;
    iwc: boolean;
    head: number;
    waits: number;
  } {
    const { iqe, errorIndex, errorReason, iwc, head, waits } = this;
    return { iqe, errorIndex, errorReason, iwc, head, waits };
  }

  loadState(s: ReturnType<QueuedInvalidation['saveState']>): void {
    ({
      iqe: this.iqe,
      errorIndex: this.errorIndex,
      errorReason: this.errorReason,
      iwc: this.iwc,
      head: this.head,
      waits: this.waits,
    } = s);
  }

  /** Software clears FSTS.IQE (write 1): the queue runs again. */
  clearError(): void {
    this.iqe = false;
    this.errorIndex = -1;
    this.errorReason = '';
  }

  submit(descs: readonly (readonly bigint[])[]): SubmitResult {
    if (this.iqe) return { processed: 0, error: { index: 0, reason: 'queue stopped: FSTS.IQE is set' } };
    for (let i = 0; i < descs.length; i++) {
      const reason = this.#run(descs[i]!);
      if (reason !== null) {
        this.iqe = true;
        this.errorIndex = i;
        this.errorReason = reason;
        this.#hw.events.emit('vtd.qi.stopped', { unit: this.#hw.unitId, index: i, reason });
        return { processed: i, error: { index: i, reason } };
      }
      this.head++;
    }
    return { processed: descs.length, error: null };
  }

  /** Runs one descriptor; returns null or why it is invalid. */
  #run(d: readonly bigint[]): string | null {
    if (d.length !== 2 && d.length !== 4) return `descriptor has ${d.length} qwords (2 or 4 expected)`;
    if (d.length === 4 && !this.#hw.caps.smts) return '256-bit descriptor without ECAP.SMTS';
    const w = this.#w;
    descriptorWords(d, w);
    const type = qiField(w, QI_TYPE_FIELDS.type);
    const typeHi = qiField(w, QI_TYPE_FIELDS.typeHi);
    if (typeHi !== 0) return `unknown descriptor type 0x${((typeHi << 4) | type).toString(16)}`;
    const rsvd = QI_RSVD_WORDS[type];
    if (rsvd === undefined) return `unknown descriptor type 0x${type.toString(16)}`;
    if (QI_256_ONLY.has(type) && d.length !== 4)
      return `type 0x${type.toString(16)} needs a 256-bit descriptor`;
    if ((w[0]! & rsvd[0]!) !== 0 || (w[1]! & rsvd[1]!) !== 0)
      return `reserved bits set in qw0 (0x${(d[0]! & QI_RSVD[type]![0]).toString(16)})`;
    if ((w[2]! & rsvd[2]!) !== 0 || (w[3]! & rsvd[3]!) !== 0)
      return `reserved bits set in qw1 (0x${(d[1]! & QI_RSVD[type]![1]).toString(16)})`;
    if (d.length === 4 && !QI_BY_TYPE.get(type)!.data23 && (d[2] !== 0n || d[3] !== 0n)) {
      return 'reserved bits set in qw2/qw3';
    }
    switch (type) {
      case QI_TYPE.CONTEXT_CACHE:
        return this.#contextCache(w);
      case QI_TYPE.IOTLB:
        return this.#iotlb(w);
      case QI_TYPE.DEVICE_TLB:
        return this.#devTlb(qiField(w, DT.sid), SL_TAG, qiAddr(d, DT.addr), qiField(w, DT.s) === 1);
      case QI_TYPE.INTERRUPT_ENTRY_CACHE:
        return null; // interrupt remapping is not modelled; the descriptor is valid and has nothing to drop
      case QI_TYPE.INVALIDATION_WAIT:
        return this.#wait(w, qiAddr(d, WAIT.statusAddr));
      case QI_TYPE.PASID_IOTLB:
        return this.#piotlb(w);
      case QI_TYPE.PASID_CACHE:
        return this.#pasidCache(w);
      case QI_TYPE.PASID_DEVICE_TLB: {
        const all = qiField(w, PDT.g) === 1;
        const tag = all ? 'all' : qiField(w, PDT.pasid);
        return this.#devTlb(qiField(w, PDT.sid), tag, qiAddr(d, PDT.addr), qiField(w, PDT.s) === 1);
      }
      default:
        return this.#pageResponse(w, d);
    }
  }

  #emit(
    cache: string,
    granularity: string,
    o: { did?: number; pasid?: number; sid?: number; vpn?: number; pages?: number },
    entries: number,
  ): void {
    this.#hw.events.emit('vtd.cache.invalidated', {
      unit: this.#hw.unitId,
      cache,
      granularity,
      did: o.did ?? null,
      pasid: o.pasid ?? null,
      sid: o.sid ?? null,
      addr: o.vpn === undefined ? null : hex64(BigInt(o.vpn) << 12n),
      pages: o.pages ?? null,
      entries,
    });
  }

  #contextCache(w: Uint32Array): string | null {
    const g = qiField(w, CC.g);
    const c = this.#hw.caches;
    if (g === 0) return 'context-cache invalidation with granularity 0 (reserved)';
    if (g === 3) {
      const sid = qiField(w, CC.sid);
      this.#emit(
        'context',
        'device',
        { sid, did: qiField(w, CC.did) },
        c.contextDevice(sid, qiField(w, CC.fm)),
      );
    } else {
      // Domain-selective is performed as global (the actual granularity the spec lets hardware report).
      this.#emit(
        'context',
        g === 1 ? 'global' : 'domain-as-global',
        { did: g === 2 ? qiField(w, CC.did) : undefined },
        c.contextGlobal(),
      );
    }
    return null;
  }

  #iotlb(w: Uint32Array): string | null {
    const g = qiField(w, IOTLB.g);
    const did = qiField(w, IOTLB.did);
    const c = this.#hw.caches;
    if (g === 0) return 'IOTLB invalidation with granularity 0 (reserved)';
    if (g === 1) {
      this.#emit('iotlb', 'global', {}, c.iotlbGlobal());
      return null;
    }
    if (g === 3 && this.#hw.caps.psi) {
      const bad = this.#pageRange(w, IOTLB);
      if (bad !== null) return bad;
      const { vpn, pages, ih } = this.#range;
      this.#emit('iotlb', ih ? 'page-leaf' : 'page', { did, vpn, pages }, c.iotlbPages(did, vpn, pages, ih));
      return null;
    }
    // Domain-selective (or page-selective without CAP.PSI, performed as domain-selective).
    this.#emit('iotlb', 'domain', { did }, c.iotlbDomain(did));
    return null;
  }

  /** The page-selective range of an IOTLB or P_IOTLB descriptor (AM, ADDR, IH) in #range, or why it is invalid. */
  #pageRange(
    w: Uint32Array,
    f: { readonly am: FieldSpec; readonly addr: FieldSpec; readonly ih: FieldSpec },
  ): string | null {
    const am = qiField(w, f.am);
    if (am > this.#hw.caps.mamv) return `address mask ${am} above CAP.MAMV ${this.#hw.caps.mamv}`;
    const r = this.#range;
    r.pages = 2 ** am;
    r.vpn = Math.floor(qiPage(w, f.addr) / r.pages) * r.pages;
    r.ih = qiField(w, f.ih) !== 0;
    return null;
  }

  #piotlb(w: Uint32Array): string | null {
    const g = qiField(w, PIOTLB.g);
    const did = qiField(w, PIOTLB.did);
    const pasid = qiField(w, PIOTLB.pasid);
    const c = this.#hw.caches;
    if (g === 2) {
      this.#emit('iotlb', 'pasid', { did, pasid }, c.piotlbPasid(did, pasid));
      return null;
    }
    if (g !== 3) return `PASID-based IOTLB invalidation with granularity ${g} (reserved)`;
    const bad = this.#pageRange(w, PIOTLB);
    if (bad !== null) return bad;
    const { vpn, pages, ih } = this.#range;
    this.#emit(
      'iotlb',
      ih ? 'pasid-page-leaf' : 'pasid-page',
      { did, pasid, vpn, pages },
      c.piotlbPages(did, pasid, vpn, pages, ih),
    );
    return null;
  }

  #pasidCache(w: Uint32Array): string | null {
    const g = qiField(w, PC.g);
    const did = qiField(w, PC.did);
    const pasid = qiField(w, PC.pasid);
    const c = this.#hw.caches;
    if (g === 2) return 'PASID-cache invalidation with granularity 2 (reserved)';
    if (g === 3) this.#emit('pasid', 'global', {}, c.pasidGlobal());
    else if (g === 0) this.#emit('pasid', 'domain', { did }, c.pasidDomain(did));
    else this.#emit('pasid', 'pasid', { did, pasid }, c.pasidSelective(did, pasid));
    return null;
  }

  #devTlb(sid: number, tag: number | 'all', addr: bigint, s: boolean): string | null {
    const { vpn, pages } = atsRange(addr, s);
    const n = this.#hw.caches.devTlbInvalidate(sid, tag, vpn, pages);
    this.#emit(
      'devTlb',
      tag === 'all' ? 'all-pasids' : tag === SL_TAG ? 'device' : 'pasid',
      { sid, pasid: typeof tag === 'number' && tag !== SL_TAG ? tag : undefined, vpn, pages },
      n,
    );
    return null;
  }

  #wait(w: Uint32Array, statusAddress: bigint): string | null {
    const sw = qiField(w, WAIT.sw) !== 0;
    const intr = qiField(w, WAIT.if) !== 0;
    let statusAddr: string | null = null;
    let statusData: number | null = null;
    if (sw) {
      const pa = Number(statusAddress);
      if (!this.#hw.memory.isBacked(pa, 4))
        return `wait descriptor status address ${hex64(statusAddress)} is not backed`;
      statusData = qiField(w, WAIT.statusData);
      this.#hw.memory.write32(pa, statusData);
      statusAddr = hex64(BigInt(pa));
    }
    if (intr) this.iwc = true;
    this.waits++;
    this.#hw.events.emit('vtd.qi.waited', { unit: this.#hw.unitId, statusAddr, statusData, interrupt: intr });
    return null;
  }

  #pageResponse(w: Uint32Array, d: readonly bigint[]): string | null {
    const pasidPresent = qiField(w, PGR.pasidPresent) !== 0;
    const pdp = qiField(w, PGR.pdp) !== 0;
    const r: PageGroupResponse = {
      sid: qiField(w, PGR.rid),
      pasid: pasidPresent ? qiField(w, PGR.pasid) : null,
      grpid: qiField(w, PGR.prgIndex),
      code: qiField(w, PGR.code),
      last: qiField(w, PGR.lpig) !== 0,
      privateData: pdp ? [d[2]!, d[3]!] : null,
    };
    this.#hw.events.emit('vtd.page-response.sent', {
      unit: this.#hw.unitId,
      sid: r.sid,
      pasid: r.pasid,
      grpid: r.grpid,
      code: r.code,
    });
    this.onPageResponse?.(r);
    return null;
  }
}
