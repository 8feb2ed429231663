/**
 * Turns a QEMU VT-d trace (qemu-events.ts) into VT-d plugin commands and DMA
 * lookups, in trace order, line by line: nothing is kept per line, so memory
 * follows the guest's mappings and devices, not the trace's length.
 *
 * - Devices: every source-id that does DMA (an IOTLB hit or update line). Its
 *   domain is the line's `domain`; its context entry (TT, AW) comes from the
 *   context-cache lines (`vtd_iotlb_cc_hit`/`_update`). A device is attached
 *   (`vtd.device.attach`, after `vtd.domain.create`) before its first lookup,
 *   and again when its domain or translation type changes.
 * - Mappings: the trace holds only each lookup's leaf PTE. Before a lookup that
 *   missed in QEMU (an update line: QEMU walked the tables and found this PTE)
 *   the importer makes the simulated table hold that PTE (`vtd.pt.map`) when it
 *   holds another one; before a hit it maps the page only if it was never
 *   mapped (a hit shows a cached PTE, not the table). Writing a PTE never
 *   invalidates: the simulated caches keep what they hold, as hardware does.
 * - Queued invalidation: every `vtd_inv_desc` descriptor goes to `vtd.qi.submit`
 *   verbatim, one submit per tail write (QEMU processes the queue up to the tail).
 *   The `vtd_inv_desc_*` lines (QEMU's decoding) are reported to the sink as
 *   QEMU's view of each invalidation.
 * - Registers: `vtd_reg_dmar_root` → `vtd.root.set` (mode from `scalable`),
 *   `vtd_dmar_enable` → `vtd.translation.enable`, a context-cache reset that is
 *   not the effect of those two (a device reset) → `vtd.caches.reset` once
 *   something may be cached; IQA writes set the descriptor width.
 * - Faults: `vtd_dmar_fault` ends the pending lookup as a fault; the page is
 *   unmapped in the simulated table first if it was mapped.
 */
import { hex64 } from '../../../core/model/hex.js';
import type { JsonObject } from '../../../core/plugin/contract.js';
import {
  bdfField,
  bdfName,
  decField,
  fieldText,
  hexField,
  hexWord,
  type LineParts,
  lineTime,
  parseHex52,
  splitLine,
  USED_EVENTS,
  type UsedEvent,
} from './qemu-events.js';
import { TraceInputError } from './trace-lines.js';

/** One DMA lookup of the trace: what QEMU did (reused object: copy what you keep). */
export class TraceLookup {
  /** Trace line of the hit/update (or fault) line. */
  line = 0;
  sid = 0;
  /** The device's name in the imported scenario (`BB:DD.F`). */
  device = '';
  /** The IOVA as QEMU logged it (not page aligned). */
  iova = 0;
  did = 0;
  /** QEMU's IOTLB: true = hit, false = miss (walked and filled). */
  recordedHit = false;
  /** QEMU's result: the output page (byte address) and its mask (0xfff, 0x1fffff, 0x3fffffff); -1 = fault. */
  gpa = 0;
  mask = 0xfff;
  /** The leaf PTE the line shows (low 52 bits). */
  pte = 0;
  /** Access the replay issues: 1 read, 2 write (the trace does not say; chosen from the PTE's R/W). */
  access = 1;
  /** QEMU faulted this request (vtd_dmar_fault). */
  fault = false;
}

/** QEMU's decoding of one invalidation (the `vtd_inv_desc_*` line), for naming causes. */
export interface TraceInvalidation {
  readonly line: number;
  readonly event: string;
  readonly did: number | null;
  /** Page-selective: first page address and AM (2^AM pages). */
  readonly addr: number | null;
  readonly am: number | null;
  readonly pasid: number | null;
}

/** Where the importer's output goes: the steps writer, or the in-process comparer. */
export interface ImportSink {
  /** A plugin command, in order; `label` is a console phase starting here. */
  command(type: string, data: JsonObject, line: number, label: string | undefined): void;
  /** A DMA lookup (after the commands that prepare it). */
  lookup(l: TraceLookup, label: string | undefined): void;
  /** QEMU's view of an invalidation (its `vtd_inv_desc_*` line). */
  invalidation?(inv: TraceInvalidation): void;
  /** QEMU emptied its IOTLB because it was full (`vtd_iotlb_reset`). */
  iotlbReset?(line: number, reason: string): void;
  /**
   * When given, receives the second-level leaf writes in place of `vtd.pt.map` / `vtd.pt.unmap`
   * commands (same order, same fields, as numbers: page `vpn` of domain `did` maps `pages` 4 KiB
   * pages at frame `pfn`; `pfn` -1 unmaps), so that an in-process replay builds no JSON payload.
   */
  leaf?(did: number, vpn: number, pfn: number, pages: number, r: boolean, w: boolean, line: number): void;
  /**
   * When given, receives each queue batch in place of its `vtd.qi.submit` command: the same
   * descriptors, as 64-bit words (low qword first, 4 words when IQA.DW made them 256-bit).
   */
  queue?(descriptors: bigint[][], line: number): void;
}

export interface ImportOptions {
  /** The file name used in error messages. */
  readonly file: string;
  /** Mode before any root-table event (a trace that starts late): default legacy. */
  readonly mode?: 'legacy' | 'scalable';
  /** aw-bits: the table depth when no context entry says (scalable mode): default 39 → 3 levels. */
  readonly awBits?: number;
  /** Console phases (`VTDWL phase NAME`) by host time, ascending. */
  readonly phases?: readonly { readonly time: number; readonly name: string }[];
}

interface DeviceState {
  readonly sid: number;
  readonly name: string;
  did: number;
  ats: boolean;
  /** Root-table generation it was attached under (-1: not attached). */
  rootGen: number;
  lookups: number;
}

/** Context entry of a source-id as the context-cache lines show it. */
interface ContextSeen {
  tt: number;
  aw: number;
  did: number;
  dte: boolean;
}

export interface ImportSummary {
  readonly lines: number;
  /** Lines of each used event. */
  readonly records: { [event: string]: number };
  /** Lines of each unused event ("(not an event)" for other text). */
  readonly unused: { [event: string]: number };
  readonly mode: 'legacy' | 'scalable';
  readonly devices: readonly { name: string; sid: number; did: number; ats: boolean; lookups: number }[];
  readonly domains: readonly { did: number; levels: number }[];
  readonly lookups: number;
  readonly hits: number;
  /** Translations QEMU logged without an IOTLB lookup (translation off, pass-through). */
  readonly untranslated: number;
  readonly faults: number;
  readonly descriptors: number;
  readonly maps: number;
  /** Largest AW (levels - 2) in a context entry, -1 when none was seen. */
  readonly maxAw: number;
  /** The queue's descriptors were 256-bit (IQA.DW). */
  readonly wideDescriptors: boolean;
  readonly iotlbResets: number;
  /** Wait descriptors' status addresses: the highest one (the run needs memory up to it). */
  readonly maxStatusAddr: number;
}

const USED = new Map<string, number>(USED_EVENTS.map((e, i) => [e, i]));
/** Each used event's index: the dispatch switches on it (a line's name is a fresh, uninterned string). */
const E = Object.fromEntries(USED_EVENTS.map((e, i) => [e, i])) as { readonly [K in UsedEvent]: number };
const SIZE_OF_MASK: { [mask: number]: number | string } = {
  4095: 4096,
  2097151: '0x200000',
  1073741823: '0x40000000',
};

export class QemuVtdImporter {
  readonly #sink: ImportSink;
  readonly #file: string;
  readonly #awBits: number;
  readonly #parts: LineParts = { nameStart: 0, nameEnd: 0, argsStart: 0, timeAt: -1 };
  readonly #records = new Map<string, number>();
  readonly #unused = new Map<string, number>();
  readonly #devices = new Map<number, DeviceState>();
  readonly #contexts = new Map<number, ContextSeen>();
  readonly #domains = new Map<number, number>();
  /** Current leaf PTE per domain and page-aligned IOVA page (the table as far as the trace shows it). */
  readonly #maps = new Map<number, Map<number, number>>();
  readonly #lookup = new TraceLookup();
  readonly #phases: readonly { readonly time: number; readonly name: string }[];
  #phase = 0;
  #label: string | undefined;

  #mode: 'legacy' | 'scalable';
  #rootGen = -1;
  #te = false;
  #wide = false;
  /** Something may be cached (a lookup ran since the last reset). */
  #dirty = false;
  /** The last root/enable event's line: a context-cache reset right after it is its effect. */
  #resetCause = false;
  #batch: string[][] = [];
  /** The batch as words, for a sink with `queue`. */
  #words: bigint[][] = [];
  #batchLine = 0;
  #pending = false;
  /** vtd_dmar_translate lines without an IOTLB lookup (translation off, pass-through). */
  #untranslated = 0;

  #lines = 0;
  #lookups = 0;
  #hits = 0;
  #faults = 0;
  #descriptors = 0;
  #mapCount = 0;
  #maxAw = -1;
  #iotlbResets = 0;
  #maxStatus = 0;

  constructor(sink: ImportSink, o: ImportOptions) {
    this.#sink = sink;
    this.#file = o.file;
    this.#mode = o.mode ?? 'legacy';
    this.#awBits = o.awBits ?? 39;
    this.#phases = o.phases ?? [];
  }

  #bad(no: number, event: string, what: string, line: string): never {
    throw new TraceInputError(`${this.#file} line ${no}: ${event}: cannot read ${what} in "${line}"`);
  }

  #count(m: Map<string, number>, k: string): void {
    m.set(k, (m.get(k) ?? 0) + 1);
  }

  /** Lines of each unused event (one hash lookup per line). */
  readonly #unusedCounts = new Map<string, { n: number }>();
  /** Lines of each used event, by its index in USED_EVENTS. */
  readonly #used = new Int32Array(USED_EVENTS.length);

  #emit(type: string, data: JsonObject, line: number): void {
    const label = this.#label;
    this.#label = undefined;
    this.#sink.command(type, data, line, label);
  }

  /** Feeds one line (1-based number). */
  line(text: string, no: number): void {
    this.#lines = no;
    const p = this.#parts;
    const isEvent = splitLine(text, p);
    if (this.#phase < this.#phases.length && p.timeAt >= 0) {
      const t = lineTime(text, p.timeAt);
      // The latest phase that has started labels the next step.
      while (this.#phase < this.#phases.length && this.#phases[this.#phase]!.time <= t)
        this.#label = this.#phases[this.#phase++]!.name;
    }
    if (!isEvent) {
      this.#count(this.#unused, text.trim() === '' ? '(empty line)' : '(not a vtd event)');
      return;
    }
    // One substring and one hash lookup per line (faster here than matching the name in place).
    const name = text.slice(p.nameStart, p.nameEnd);
    const k = USED.get(name);
    if (k !== undefined) {
      this.#used[k]!++;
      this.#event(k, USED_EVENTS[k]!, text, no, p.argsStart);
      return;
    }
    const c = this.#unusedCounts.get(name);
    if (c === undefined) this.#unusedCounts.set(name, { n: 1 });
    else c.n++;
  }

  #event(k: number, name: UsedEvent, s: string, no: number, a: number): void {
    switch (k) {
      case E.vtd_iotlb_page_hit:
      case E.vtd_iotlb_page_update:
        this.#pageLine(name, s, no, a, name === 'vtd_iotlb_page_hit');
        return;
      case E.vtd_dmar_translate:
        this.#translate(s, no, a);
        return;
      case E.vtd_dmar_fault:
        this.#fault(s, no, a);
        return;
      case E.vtd_iotlb_cc_hit:
      case E.vtd_iotlb_cc_update:
        this.#contextLine(name, s, no, a);
        return;
      case E.vtd_iotlb_reset:
        this.#iotlbResets++;
        this.#sink.iotlbReset?.(no, s.slice(a));
        return;
      case E.vtd_context_cache_reset:
        // The effect of SRTP or a TE toggle (already imported as that command), or a device reset.
        if (!this.#resetCause && this.#dirty) {
          this.#flushQueue();
          this.#emit('vtd.caches.reset', {}, no);
          this.#dirty = false;
        }
        this.#resetCause = false;
        return;
      case E.vtd_inv_desc:
        this.#descriptor(s, no, a);
        return;
      case E.vtd_inv_qi_tail:
        this.#flushQueue();
        return;
      case E.vtd_inv_desc_iotlb_pages:
      case E.vtd_inv_desc_iotlb_pasid_pages:
        this.#invalidation(name, s, no, a, true);
        return;
      case E.vtd_inv_desc_iotlb_domain:
      case E.vtd_inv_desc_iotlb_pasid:
      case E.vtd_inv_desc_cc_domain:
        this.#invalidation(name, s, no, a, false);
        return;
      case E.vtd_inv_desc_iotlb_global:
      case E.vtd_inv_desc_cc_global:
      case E.vtd_inv_desc_cc_devices:
      case E.vtd_inv_desc_cc_device:
        this.#sink.invalidation?.({ line: no, event: name, did: null, addr: null, am: null, pasid: null });
        return;
      case E.vtd_inv_desc_wait_sw: {
        const addr = hexField(s, 'addr', a);
        if (!(addr >= 0)) this.#bad(no, name, 'addr', s);
        if (addr > this.#maxStatus) this.#maxStatus = addr;
        return;
      }
      case E.vtd_reg_dmar_root: {
        const sc = decField(s, 'scalable', a);
        if (sc !== 0 && sc !== 1) this.#bad(no, name, 'scalable', s);
        this.#flushQueue();
        this.#mode = sc === 1 ? 'scalable' : 'legacy';
        this.#setRoot(no);
        this.#resetCause = true;
        return;
      }
      case E.vtd_dmar_enable: {
        const en = decField(s, 'enable', a);
        if (en !== 0 && en !== 1) this.#bad(no, name, 'enable', s);
        this.#flushQueue();
        this.#te = en === 1;
        if (this.#rootGen >= 0) this.#emit('vtd.translation.enable', { enable: this.#te }, no);
        this.#resetCause = true;
        return;
      }
      case E.vtd_reg_write: {
        // Only IQA (0x90) matters: its DW bit (11) makes descriptors 256-bit.
        const off = hexField(s, 'addr', a);
        if (!(off >= 0)) this.#bad(no, name, 'addr', s);
        if (off === 0x90) {
          const v = hexField(s, 'value', a);
          if (!(v >= 0)) this.#bad(no, name, 'value', s);
          this.#flushQueue();
          this.#wide = Math.floor(v / 2048) % 2 === 1;
        }
        return;
      }
    }
  }

  #setRoot(no: number): void {
    this.#rootGen++;
    this.#emit('vtd.root.set', { mode: this.#mode, enable: this.#te }, no);
  }

  #pageLine(name: string, s: string, no: number, a: number, hit: boolean): void {
    if (this.#pending) this.#endPending(false);
    const sid = hexField(s, 'sid', a);
    const iova = hexField(s, 'iova', a);
    let pte = hexField(s, 'slpte', a);
    if (Number.isNaN(pte)) pte = hexField(s, 'pte', a);
    const did = hexField(s, 'domain', a);
    if (!(sid >= 0 && sid <= 0xffff)) this.#bad(no, name, 'sid', s);
    if (!(iova >= 0)) this.#bad(no, name, 'iova', s);
    if (!(pte >= 0)) this.#bad(no, name, 'slpte', s);
    if (!(did >= 0 && did <= 0xffff)) this.#bad(no, name, 'domain', s);
    const l = this.#lookup;
    l.line = no;
    l.sid = sid;
    l.iova = iova;
    l.pte = pte;
    l.did = did;
    l.recordedHit = hit;
    l.fault = false;
    l.gpa = -1;
    l.mask = 0xfff;
    l.access = pte % 2 === 1 ? 1 : 2;
    this.#pending = true;
  }

  #translate(s: string, no: number, a: number): void {
    const sid = bdfField(s, a);
    const iova = hexField(s, 'iova', a);
    const gpa = hexField(s, 'gpa', a);
    const mask = hexField(s, 'mask', a);
    if (Number.isNaN(sid)) this.#bad(no, 'vtd_dmar_translate', 'dev', s);
    if (!(iova >= 0)) this.#bad(no, 'vtd_dmar_translate', 'iova', s);
    if (!(gpa >= 0)) this.#bad(no, 'vtd_dmar_translate', 'gpa', s);
    if (SIZE_OF_MASK[mask] === undefined) this.#bad(no, 'vtd_dmar_translate', 'mask', s);
    const l = this.#lookup;
    // Without a hit/update line of this device the request did not use the IOTLB (translation
    // off, pass-through): nothing to replay.
    if (!this.#pending || l.sid !== sid) {
      this.#untranslated++;
      return;
    }
    l.gpa = gpa;
    l.mask = mask;
    this.#endPending(true);
  }

  #fault(s: string, no: number, a: number): void {
    const sid = hexField(s, 'sid', a);
    const addr = hexField(s, 'addr', a);
    const w = decField(s, 'write', a);
    if (!(sid >= 0 && sid <= 0xffff)) this.#bad(no, 'vtd_dmar_fault', 'sid', s);
    if (!(addr >= 0)) this.#bad(no, 'vtd_dmar_fault', 'addr', s);
    const l = this.#lookup;
    if (this.#pending && l.sid === sid) {
      l.fault = true;
      l.access = w === 1 ? 2 : 1;
      this.#endPending(true);
      return;
    }
    if (this.#pending) this.#endPending(false);
    const dev = this.#devices.get(sid);
    if (dev === undefined || dev.rootGen !== this.#rootGen) return; // never did DMA here: nothing to replay
    l.line = no;
    l.sid = sid;
    l.iova = addr;
    l.did = dev.did;
    l.recordedHit = false;
    l.fault = true;
    l.gpa = -1;
    l.mask = 0xfff;
    l.pte = 0;
    l.access = w === 1 ? 2 : 1;
    this.#pending = true;
    this.#endPending(true);
  }

  /** Emits the pending lookup (with what prepares it); `complete` false: it had no result line. */
  #endPending(complete: boolean): void {
    this.#pending = false;
    const l = this.#lookup;
    if (!complete) {
      this.#count(
        this.#unused,
        l.recordedHit ? 'vtd_iotlb_page_hit (no result)' : 'vtd_iotlb_page_update (no result)',
      );
      return;
    }
    this.#flushQueue();
    const dev = this.#device(l.sid, l.did, l.line);
    l.device = dev.name;
    dev.lookups++;
    const pages = (l.mask + 1) / 4096;
    const vpn = Math.floor(l.iova / 4096 / pages) * pages;
    let table = this.#maps.get(l.did);
    if (table === undefined) {
      table = new Map();
      this.#maps.set(l.did, table);
    }
    const cur = table.get(vpn);
    const sink = this.#sink;
    if (l.fault) {
      if (cur !== undefined) {
        table.delete(vpn);
        if (sink.leaf !== undefined) {
          this.#label = undefined;
          sink.leaf(l.did, vpn, -1, 1, false, false, l.line);
        } else
          this.#emit('vtd.pt.unmap', { table: 'sl', did: l.did, iova: hex64(BigInt(vpn * 4096)) }, l.line);
      }
      this.#faults++;
    } else {
      const leaf = Math.floor(l.gpa / 4096) * 4096 + (l.pte % 4);
      if (cur === undefined || (!l.recordedHit && cur !== leaf)) {
        table.set(vpn, leaf);
        this.#mapCount++;
        if (sink.leaf !== undefined) {
          this.#label = undefined;
          sink.leaf(
            l.did,
            vpn,
            Math.floor(l.gpa / 4096),
            pages,
            l.pte % 2 === 1,
            Math.floor(l.pte / 2) % 2 === 1,
            l.line,
          );
        } else
          this.#emit(
            'vtd.pt.map',
            {
              table: 'sl',
              did: l.did,
              iova: hex64(BigInt(vpn * 4096)),
              pa: hex64(BigInt(l.gpa)),
              size: SIZE_OF_MASK[l.mask]!,
              perm: (l.pte % 2 === 1 ? 'r' : '') + (Math.floor(l.pte / 2) % 2 === 1 ? 'w' : ''),
            },
            l.line,
          );
      }
      if (l.recordedHit) this.#hits++;
    }
    this.#lookups++;
    this.#dirty = true;
    const label = this.#label;
    this.#label = undefined;
    this.#sink.lookup(l, label);
  }

  /** The device of `sid`, attached to `did` with the context the trace last showed for it. */
  #device(sid: number, did: number, no: number): DeviceState {
    let dev = this.#devices.get(sid);
    if (dev === undefined) {
      dev = { sid, name: bdfName(sid), did: -1, ats: false, rootGen: -1, lookups: 0 };
      this.#devices.set(sid, dev);
    }
    const ctx = this.#contexts.get(sid);
    const ats = ctx === undefined ? false : this.#mode === 'legacy' ? ctx.tt === 1 : ctx.dte;
    if (dev.did === did && dev.ats === ats && dev.rootGen === this.#rootGen && this.#rootGen >= 0) return dev;
    if (this.#rootGen < 0) this.#setRoot(no);
    if (!this.#domains.has(did)) {
      const aw = this.#mode === 'legacy' && ctx !== undefined ? ctx.aw : this.#awBits >= 48 ? 2 : 1;
      this.#domains.set(did, aw + 2);
      this.#emit('vtd.domain.create', { did, levels: aw + 2 }, no);
    }
    this.#emit('vtd.device.attach', { device: dev.name, did, ats }, no);
    dev.did = did;
    dev.ats = dev.ats || ats;
    dev.rootGen = this.#rootGen;
    return dev;
  }

  #contextLine(name: string, s: string, no: number, a: number): void {
    const bus = hexField(s, 'bus', a);
    const devfn = hexField(s, 'devfn', a);
    if (!(bus >= 0 && bus <= 0xff)) this.#bad(no, name, 'bus', s);
    if (!(devfn >= 0 && devfn <= 0xff)) this.#bad(no, name, 'devfn', s);
    const h = hexField(s, 'high', a);
    const l = hexField(s, 'low', a);
    if (!(h >= 0)) this.#bad(no, name, 'high', s);
    if (!(l >= 0)) this.#bad(no, name, 'low', s);
    // Legacy context entry (VT-d 9.3): TT 3:2 of the low qword; AW 66:64, DID 87:72 of the high one.
    // Scalable (9.4): DTE is bit 2 of the low qword.
    const aw = h % 8;
    const sid = (bus << 8) | devfn;
    let c = this.#contexts.get(sid);
    if (c === undefined) {
      c = { tt: 0, aw: 0, did: 0, dte: false };
      this.#contexts.set(sid, c);
    }
    c.tt = Math.floor(l / 4) % 4;
    c.aw = aw;
    c.did = Math.floor(h / 256) % 65536;
    c.dte = Math.floor(l / 4) % 2 === 1;
    if (this.#mode === 'legacy' && aw > this.#maxAw) this.#maxAw = aw;
  }

  #descriptor(s: string, no: number, a: number): void {
    // A sink that takes words: each qword read in place (null when absent, malformed or too long).
    const words = this.#sink.queue !== undefined;
    const hiWord = words ? hexWord(s, 'high', a) : null;
    const loWord = words ? hexWord(s, 'low', a) : null;
    if (hiWord === null || loWord === null) {
      const hi = fieldText(s, 'high', a);
      const lo = fieldText(s, 'low', a);
      if (hi === undefined || Number.isNaN(parseHex52(hi))) this.#bad(no, 'vtd_inv_desc', 'high', s);
      if (lo === undefined || Number.isNaN(parseHex52(lo))) this.#bad(no, 'vtd_inv_desc', 'low', s);
      if (hi.length > 16 || lo.length > 16) this.#bad(no, 'vtd_inv_desc', 'a 64-bit qword', s);
      if (!words) {
        if (this.#pending) this.#endPending(false);
        if (this.#batch.length === 0) this.#batchLine = no;
        const d = [`0x${lo}`, `0x${hi}`];
        if (this.#wide) d.push('0x0', '0x0');
        this.#batch.push(d);
        this.#descriptors++;
        return;
      }
    }
    if (this.#pending) this.#endPending(false);
    if (this.#words.length === 0) this.#batchLine = no;
    const d = [loWord!, hiWord!];
    if (this.#wide) d.push(0n, 0n);
    this.#words.push(d);
    this.#descriptors++;
  }

  #flushQueue(): void {
    if (this.#words.length > 0) {
      const words = this.#words;
      this.#words = [];
      this.#label = undefined;
      this.#sink.queue!(words, this.#batchLine);
      return;
    }
    if (this.#batch.length === 0) return;
    const descriptors = this.#batch;
    this.#batch = [];
    this.#emit('vtd.qi.submit', { descriptors }, this.#batchLine);
  }

  #invalidation(name: string, s: string, no: number, a: number, pages: boolean): void {
    const did = hexField(s, 'domain', a);
    if (!(did >= 0 && did <= 0xffff)) this.#bad(no, name, 'domain', s);
    const pasidText = fieldText(s, 'pasid', a);
    const pasid = pasidText === undefined ? null : parseHex52(pasidText);
    if (pasid !== null && !(pasid >= 0)) this.#bad(no, name, 'pasid', s);
    let addr: number | null = null;
    let am: number | null = null;
    if (pages) {
      addr = hexField(s, 'addr', a);
      am = hexField(s, 'mask', a);
      if (!(addr >= 0)) this.#bad(no, name, 'addr', s);
      if (!(am >= 0 && am <= 63)) this.#bad(no, name, 'mask', s);
    }
    this.#sink.invalidation?.({ line: no, event: name, did, addr, am, pasid });
  }

  /** Ends the trace: a pending lookup without its result line is counted; the last queue batch runs. */
  finish(): ImportSummary {
    if (this.#pending) this.#endPending(false);
    this.#flushQueue();
    const sorted = (m: Map<string, number>): { [k: string]: number } =>
      Object.fromEntries([...m].sort((x, y) => (x[0] < y[0] ? -1 : 1)));
    for (const [name, c] of this.#unusedCounts) this.#unused.set(name, (this.#unused.get(name) ?? 0) + c.n);
    this.#unusedCounts.clear();
    USED_EVENTS.forEach((e, i) => {
      if (this.#used[i]! > 0) this.#records.set(e, this.#used[i]!);
    });
    return {
      lines: this.#lines,
      records: sorted(this.#records),
      unused: sorted(this.#unused),
      mode: this.#mode,
      devices: [...this.#devices.values()]
        .sort((x, y) => x.sid - y.sid)
        .map((d) => ({ name: d.name, sid: d.sid, did: d.did, ats: d.ats, lookups: d.lookups })),
      domains: [...this.#domains].sort((x, y) => x[0] - y[0]).map(([did, levels]) => ({ did, levels })),
      lookups: this.#lookups,
      hits: this.#hits,
      untranslated: this.#untranslated,
      faults: this.#faults,
      descriptors: this.#descriptors,
      maps: this.#mapCount,
      maxAw: this.#maxAw,
      wideDescriptors: this.#wide,
      iotlbResets: this.#iotlbResets,
      maxStatusAddr: this.#maxStatus,
    };
  }
}
