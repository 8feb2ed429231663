/**
 * The queued-invalidation interface, hardware side (VT-d 6.5.2,
 * reference/vtd.md §5): descriptors are processed in order; the first invalid
 * one (unknown type, reserved bits, AM above MAMV, wrong width) sets FSTS.IQE,
 * records its index in IQER and stops the queue until software clears IQE.
 */
import { hex64 } from '../../../core/model/hex.js';
import { SL_TAG } from '../caches/vtd-caches.js';
import type { VtdHardware } from '../hardware.js';
import {
  atsRange,
  bits,
  descriptorWords,
  pageOf,
  QI_256_ONLY,
  QI_RSVD,
  QI_RSVD_WORDS,
  QI_TYPE,
} from './descriptor.js';

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
    const type = bits(w, 0, 4);
    if (bits(w, 9, 3) !== 0) return `unknown descriptor type 0x${((bits(w, 9, 3) << 4) | type).toString(16)}`;
    const rsvd = QI_RSVD_WORDS[type];
    if (rsvd === undefined) return `unknown descriptor type 0x${type.toString(16)}`;
    if (QI_256_ONLY.has(type) && d.length !== 4)
      return `type 0x${type.toString(16)} needs a 256-bit descriptor`;
    if ((w[0]! & rsvd[0]!) !== 0 || (w[1]! & rsvd[1]!) !== 0)
      return `reserved bits set in qw0 (0x${(d[0]! & QI_RSVD[type]![0]).toString(16)})`;
    if ((w[2]! & rsvd[2]!) !== 0 || (w[3]! & rsvd[3]!) !== 0)
      return `reserved bits set in qw1 (0x${(d[1]! & QI_RSVD[type]![1]).toString(16)})`;
    if (d.length === 4 && type !== QI_TYPE.PAGE_GROUP_RESPONSE && (d[2] !== 0n || d[3] !== 0n)) {
      return 'reserved bits set in qw2/qw3';
    }
    switch (type) {
      case QI_TYPE.CONTEXT_CACHE:
        return this.#contextCache(w);
      case QI_TYPE.IOTLB:
        return this.#iotlb(w);
      case QI_TYPE.DEVICE_TLB:
        return this.#devTlb(bits(w, 32, 16), SL_TAG, d[1]!);
      case QI_TYPE.INTERRUPT_ENTRY_CACHE:
        return null; // interrupt remapping is not modelled; the descriptor is valid and has nothing to drop
      case QI_TYPE.INVALIDATION_WAIT:
        return this.#wait(w, d[1]!);
      case QI_TYPE.PASID_IOTLB:
        return this.#piotlb(w);
      case QI_TYPE.PASID_CACHE:
        return this.#pasidCache(w);
      case QI_TYPE.PASID_DEVICE_TLB:
        return bits(w, 64, 1) === 1
          ? this.#devTlb(bits(w, 16, 16), 'all', d[1]!)
          : this.#devTlb(bits(w, 16, 16), bits(w, 32, 20), d[1]!);
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
    const g = bits(w, 4, 2);
    const c = this.#hw.caches;
    if (g === 0) return 'context-cache invalidation with granularity 0 (reserved)';
    if (g === 3) {
      const sid = bits(w, 32, 16);
      this.#emit('context', 'device', { sid, did: bits(w, 16, 16) }, c.contextDevice(sid, bits(w, 48, 2)));
    } else {
      // Domain-selective is performed as global (the actual granularity the spec lets hardware report).
      this.#emit(
        'context',
        g === 1 ? 'global' : 'domain-as-global',
        { did: g === 2 ? bits(w, 16, 16) : undefined },
        c.contextGlobal(),
      );
    }
    return null;
  }

  #iotlb(w: Uint32Array): string | null {
    const g = bits(w, 4, 2);
    const did = bits(w, 16, 16);
    const c = this.#hw.caches;
    if (g === 0) return 'IOTLB invalidation with granularity 0 (reserved)';
    if (g === 1) {
      this.#emit('iotlb', 'global', {}, c.iotlbGlobal());
      return null;
    }
    if (g === 3 && this.#hw.caps.psi) {
      const am = bits(w, 64, 6);
      if (am > this.#hw.caps.mamv) return `address mask ${am} above CAP.MAMV ${this.#hw.caps.mamv}`;
      const pages = 2 ** am;
      const vpn = Math.floor(pageOf(w, 1) / pages) * pages;
      const ih = bits(w, 64 + 6, 1) !== 0;
      this.#emit('iotlb', ih ? 'page-leaf' : 'page', { did, vpn, pages }, c.iotlbPages(did, vpn, pages, ih));
      return null;
    }
    // Domain-selective (or page-selective without CAP.PSI, performed as domain-selective).
    this.#emit('iotlb', 'domain', { did }, c.iotlbDomain(did));
    return null;
  }

  #piotlb(w: Uint32Array): string | null {
    const g = bits(w, 4, 2);
    const did = bits(w, 16, 16);
    const pasid = bits(w, 32, 20);
    const c = this.#hw.caches;
    if (g === 2) {
      this.#emit('iotlb', 'pasid', { did, pasid }, c.piotlbPasid(did, pasid));
      return null;
    }
    if (g !== 3) return `PASID-based IOTLB invalidation with granularity ${g} (reserved)`;
    const am = bits(w, 64, 6);
    if (am > this.#hw.caps.mamv) return `address mask ${am} above CAP.MAMV ${this.#hw.caps.mamv}`;
    const pages = 2 ** am;
    const vpn = Math.floor(pageOf(w, 1) / pages) * pages;
    const ih = bits(w, 64 + 6, 1) !== 0;
    this.#emit(
      'iotlb',
      ih ? 'pasid-page-leaf' : 'pasid-page',
      { did, pasid, vpn, pages },
      c.piotlbPages(did, pasid, vpn, pages, ih),
    );
    return null;
  }

  #pasidCache(w: Uint32Array): string | null {
    const g = bits(w, 4, 2);
    const did = bits(w, 16, 16);
    const pasid = bits(w, 32, 20);
    const c = this.#hw.caches;
    if (g === 2) return 'PASID-cache invalidation with granularity 2 (reserved)';
    if (g === 3) this.#emit('pasid', 'global', {}, c.pasidGlobal());
    else if (g === 0) this.#emit('pasid', 'domain', { did }, c.pasidDomain(did));
    else this.#emit('pasid', 'pasid', { did, pasid }, c.pasidSelective(did, pasid));
    return null;
  }

  #devTlb(sid: number, tag: number | 'all', qw1: bigint): string | null {
    const { vpn, pages } = atsRange(
      qw1 & ~0xfffn,
      (qw1 >> 11n) % 2n === 1n || (tag === SL_TAG && (qw1 & 1n) === 1n),
    );
    const n = this.#hw.caches.devTlbInvalidate(sid, tag, vpn, pages);
    this.#emit(
      'devTlb',
      tag === 'all' ? 'all-pasids' : tag === SL_TAG ? 'device' : 'pasid',
      { sid, pasid: typeof tag === 'number' && tag !== SL_TAG ? tag : undefined, vpn, pages },
      n,
    );
    return null;
  }

  #wait(w: Uint32Array, qw1: bigint): string | null {
    const sw = bits(w, 5, 1) !== 0;
    const intr = bits(w, 4, 1) !== 0;
    let statusAddr: string | null = null;
    let statusData: number | null = null;
    if (sw) {
      const pa = Number(qw1 & ~3n);
      if (!this.#hw.memory.isBacked(pa, 4))
        return `wait descriptor status address ${hex64(qw1 & ~3n)} is not backed`;
      statusData = bits(w, 32, 32);
      this.#hw.memory.write32(pa, statusData);
      statusAddr = hex64(BigInt(pa));
    }
    if (intr) this.iwc = true;
    this.waits++;
    this.#hw.events.emit('vtd.qi.waited', { unit: this.#hw.unitId, statusAddr, statusData, interrupt: intr });
    return null;
  }

  #pageResponse(w: Uint32Array, d: readonly bigint[]): string | null {
    const pasidPresent = bits(w, 4, 1) !== 0;
    const pdp = bits(w, 5, 1) !== 0;
    const r: PageGroupResponse = {
      sid: bits(w, 16, 16),
      pasid: pasidPresent ? bits(w, 32, 20) : null,
      grpid: bits(w, 64 + 3, 9),
      code: bits(w, 12, 4),
      last: bits(w, 64 + 2, 1) !== 0,
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
