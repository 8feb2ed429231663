/**
 * `viommu trace compare`: imports a QEMU VT-d trace and replays it in process,
 * as it is read, on one VT-d simulator per IOTLB design; every lookup's
 * simulated IOTLB hit/miss and output address is compared with what QEMU
 * logged. Commands go straight to the unit and lookups straight to its
 * translate(): no steps file, no event log, one parse for every design.
 */
import 'reflect-metadata';
import { defineCommand } from '../../../core/command/catalog.js';
import { NO_PASID, TranslationRequest, TranslationResult } from '../../../core/model/translation.js';
import type { JsonObject, JsonValue } from '../../../core/plugin/contract.js';
import { PluginHost } from '../../../core/plugin/host.js';
import { Simulator } from '../../../core/sim/simulator.js';
import type { UapiResult } from '../../../core/uapi/errno.js';
import type { IotlbKey } from '../caches/cache-options.js';
import vtd from '../index.js';
import {
  hostSpace,
  type SlPerm,
  slMap,
  type TableSpace,
  unmapPage,
} from '../structures/page-table-builder.js';
import type { VtdUnit } from '../unit.js';
import { DEFAULT_TRACE_MEMORY, loadConsole, replayOptions, type TraceRunOptions } from './import-trace.js';
import { HISTORY_WINDOW, InvalidationHistory, type PageTouch } from './invalidation-history.js';
import type { IotlbDesign } from './iotlb-design.js';
import { bdfName } from './qemu-events.js';
import { type ImportSummary, QemuVtdImporter, TraceLookup } from './qemu-vtd-importer.js';
import { forEachLine } from './trace-lines.js';

/** How many disagreements each design lists (all are counted). */
export const DISAGREEMENTS_LISTED = 20;

export interface Disagreement {
  readonly line: number;
  readonly sid: string;
  readonly did: number;
  readonly iova: string;
  readonly recorded: { readonly hit: boolean; readonly out: string | null };
  /** `fault`: the architecture's fault reason of a simulated fault. */
  readonly simulated: { readonly hit: boolean; readonly out: string | null; readonly fault?: number };
  /**
   * The last invalidation (QEMU's decoding, of the last 4096) that touched the page, or the last
   * simulated IOTLB eviction before this lookup when that came later (which page an eviction took
   * is not tracked).
   */
  readonly cause:
    | PageTouch
    | { readonly line: number; readonly event: string; readonly touch: 'eviction' }
    | null;
}

export interface DesignReport {
  readonly design: string;
  readonly iotlb: { policy: string; entries: number; ways: number | 'full'; key: IotlbKey };
  readonly lookups: number;
  readonly recordedHits: number;
  readonly simulatedHits: number;
  /** Lookups whose simulated hit/miss equals QEMU's. */
  readonly agree: number;
  /** Lookups whose simulated output address equals QEMU's (or both faulted). */
  readonly translationsMatched: number;
  readonly disagreementCount: number;
  readonly disagreements: readonly Disagreement[];
  /** All disagreements by cause: range, alias-8bit, domain, global, eviction, none. */
  readonly causes: { readonly [touch: string]: number };
  readonly hitRate: number;
  readonly misses: number;
  /** Lookups that walked the tables (simulated misses that did not fault early). */
  readonly walks: number;
  readonly memReads: number;
  readonly memReadsPerTranslation: number;
  readonly evictions: number;
  /** Commands the unit refused (first message kept): an import the model cannot follow. */
  readonly commandErrors: number;
  readonly firstCommandError: string | null;
  readonly cacheCounters: JsonObject;
}

export interface CompareReport {
  readonly trace: string;
  readonly lines: number;
  readonly lookups: number;
  readonly recordedHits: number;
  readonly recordedHitRate: number;
  /** QEMU's own full-IOTLB flushes (vtd_iotlb_reset). */
  readonly recordedIotlbResets: number;
  readonly records: { [event: string]: number };
  readonly unused: { [event: string]: number };
  readonly options: JsonObject;
  readonly designs: readonly DesignReport[];
}

/**
 * The one command a replay defines on its simulator: it runs a closure, so that lookups (whose
 * faults record events) and descriptor batches happen inside a command, as the simulator requires,
 * without a JSON payload to parse per design.
 */
const CALL = 'trace.call';
const NO_FIELDS: JsonObject = Object.freeze({});

class DesignRun {
  readonly design: IotlbDesign;
  readonly sim: Simulator;
  readonly unit: VtdUnit;
  #fn: () => JsonValue = () => null;
  lookups = 0;
  recordedHits = 0;
  simulatedHits = 0;
  agree = 0;
  matched = 0;
  walks = 0;
  memReads = 0;
  disagreementCount = 0;
  readonly disagreements: Disagreement[] = [];
  /** Every disagreement by how its cause touched the page ('none': nothing did). */
  readonly causes: { [touch: string]: number } = {};
  commandErrors = 0;
  firstCommandError: string | null = null;
  /** IOTLB evictions seen so far, and the trace line of the last lookup that caused some. */
  evictions = 0;
  lastEvictionLine = -1;
  /** A queue batch stopped on an error (IQE set): the replay clears it before going on. */
  iqe = false;
  /** Where the unit's page-table writes take frames (as `vtd.pt.map` on a domain's table). */
  readonly space: TableSpace;

  constructor(design: IotlbDesign, options: JsonObject, memoryBytes: number) {
    this.design = design;
    const host = new PluginHost().use(vtd);
    const iotlb = {
      entries: design.entries,
      ways: design.ways,
      policy: design.policy,
      ...(design.key !== undefined ? { key: design.key } : {}),
    };
    const sim = new Simulator(host, {
      seed: 1,
      kernel: 'v5.10',
      memoryBytes,
      units: [
        {
          id: 'vtd0',
          plugin: 'vtd',
          options: { ...options, caches: { ...(options.caches as JsonObject), iotlb } },
        },
      ],
      devices: [],
    });
    this.sim = sim;
    this.unit = sim.units.get('vtd0') as VtdUnit;
    this.space = hostSpace(this.unit.hw.frames);
    sim.defineCommand(
      CALL,
      defineCommand(CALL, {
        doc: 'Runs held work of a trace replay (lookups, page-table writes, queue batches) inside one command (trace compare only).',
        fields: {},
        handler: () => ({ ok: true, value: this.#fn() }),
      }),
    );
  }

  /** A command the unit refused: counted, the first one kept. */
  error(message: string): void {
    this.commandErrors++;
    this.firstCommandError ??= message;
  }

  /** Runs `fn` as one command of this replay's simulator. */
  call(fn: () => JsonValue): UapiResult<JsonValue> {
    this.#fn = fn;
    return this.sim.execute({ type: CALL, data: NO_FIELDS });
  }
}

const K_LOOKUP = 0;
const K_LEAF = 1;
const K_QUEUE = 2;

/**
 * The work between two simulator commands, in trace order: lookups, second-level leaf writes and
 * queue batches, held so that a run of them costs one command per design. Held in columns (no
 * object per entry); a lookup's fields are TraceLookup's, a leaf write's are (did, vpn, pfn,
 * pages, r, w), a batch's are its descriptors.
 */
class WorkQueue {
  static readonly SIZE = 4096;
  readonly kind = new Int8Array(WorkQueue.SIZE);
  readonly line = new Float64Array(WorkQueue.SIZE);
  /** Lookup: sid. */
  readonly sid = new Int32Array(WorkQueue.SIZE);
  /** Lookup: IOVA; leaf: first page number. */
  readonly iova = new Float64Array(WorkQueue.SIZE);
  readonly did = new Int32Array(WorkQueue.SIZE);
  /** Lookup: access; leaf: R (bit 0) and W (bit 1). */
  readonly access = new Int8Array(WorkQueue.SIZE);
  readonly hit = new Uint8Array(WorkQueue.SIZE);
  readonly fault = new Uint8Array(WorkQueue.SIZE);
  /** Lookup: QEMU's output address; leaf: the frame (-1: unmap). */
  readonly gpa = new Float64Array(WorkQueue.SIZE);
  /** Lookup: QEMU's page mask; leaf: pages. */
  readonly mask = new Float64Array(WorkQueue.SIZE);
  readonly descriptors: (bigint[][] | null)[] = new Array<bigint[][] | null>(WorkQueue.SIZE).fill(null);
  n = 0;

  lookup(l: TraceLookup): void {
    const i = this.n++;
    this.kind[i] = K_LOOKUP;
    this.line[i] = l.line;
    this.sid[i] = l.sid;
    this.iova[i] = l.iova;
    this.did[i] = l.did;
    this.access[i] = l.access;
    this.hit[i] = l.recordedHit ? 1 : 0;
    this.fault[i] = l.fault ? 1 : 0;
    this.gpa[i] = l.gpa;
    this.mask[i] = l.mask;
  }

  leaf(did: number, vpn: number, pfn: number, pages: number, r: boolean, w: boolean, line: number): void {
    const i = this.n++;
    this.kind[i] = K_LEAF;
    this.line[i] = line;
    this.did[i] = did;
    this.iova[i] = vpn;
    this.gpa[i] = pfn;
    this.mask[i] = pages;
    this.access[i] = (r ? 1 : 0) | (w ? 2 : 0);
  }

  queue(descriptors: bigint[][], line: number): void {
    const i = this.n++;
    this.kind[i] = K_QUEUE;
    this.line[i] = line;
    this.descriptors[i] = descriptors;
  }

  /** Copies lookup `i` into `l`. */
  read(i: number, l: TraceLookup): void {
    l.line = this.line[i]!;
    l.sid = this.sid[i]!;
    l.iova = this.iova[i]!;
    l.did = this.did[i]!;
    l.access = this.access[i]!;
    l.recordedHit = this.hit[i] === 1;
    l.fault = this.fault[i] === 1;
    l.gpa = this.gpa[i]!;
    l.mask = this.mask[i]!;
  }

  clear(): void {
    this.descriptors.fill(null, 0, this.n);
    this.n = 0;
  }
}

/** Second-level leaf permissions by R (bit 0) and W (bit 1), as `vtd.pt.map` sets them. */
const SL_PERMS: readonly SlPerm[] = [0, 1, 2, 3].map((b) =>
  Object.freeze({ r: (b & 1) !== 0, w: (b & 2) !== 0, x: false, snp: false }),
);

// One request/result pair for every lookup: the replay is single-threaded.
const req = new TranslationRequest();
const res = new TranslationResult();

function hexAddr(n: number): string {
  return `0x${n.toString(16)}`;
}

/**
 * The unit options for a replay before the trace is read: the mode comes from the trace's first
 * root-table event (the comparer holds commands back until it), the address width from the
 * options or the console (else 48 bits, which also accepts 39-bit tables).
 */
function optionsFor(o: TraceRunOptions, mode: 'legacy' | 'scalable', trace: string): JsonObject {
  const con = loadConsole(trace, o);
  // Without a console, 48-bit tables: SAGAW then accepts 3- and 4-level tables alike.
  return replayOptions(
    con === null && o.awBits === undefined ? { ...o, awBits: 48 } : o,
    mode,
    -1,
    con,
    true,
  );
}

/** Replays `trace` on each design and compares every lookup with QEMU's. */
export async function compareTrace(
  trace: string,
  designs: readonly IotlbDesign[],
  o: TraceRunOptions = {},
): Promise<CompareReport> {
  const memoryBytes = o.memoryBytes ?? DEFAULT_TRACE_MEMORY;
  const history = new InvalidationHistory();
  let runs: DesignRun[] = [];
  let options: JsonObject = {};
  // Commands before the first root-table event wait until the mode is known.
  const held: (() => void)[] = [];
  let recordedResets = 0;

  const start = (mode: 'legacy' | 'scalable'): void => {
    options = optionsFor(o, mode, trace);
    runs = designs.map((d) => new DesignRun(d, options, memoryBytes));
    for (const h of held) h();
    held.length = 0;
  };

  /** A command other than a leaf write or a queue batch (a handful per trace): run as it is. */
  const run = (type: string, data: JsonObject): void => {
    flush();
    for (const r of runs) {
      const x = r.sim.execute({ type, data });
      if (!x.ok) r.error(`${type}: ${x.errno} ${x.detail ?? ''}`);
    }
  };

  const work = new WorkQueue();
  const cur = new TraceLookup();
  /** Invalidations QEMU logged since the last flush: the history must still hold what came before them. */
  let invalidationsHeld = 0;
  /**
   * Runs the held work on every design, in trace order, as one command per design (or more when
   * a queue error stops it: the guest would clear IQE and go on, as `vtd.fault.clear` does).
   */
  const flush = (): void => {
    invalidationsHeld = 0;
    if (work.n === 0 || runs.length === 0) return;
    for (const r of runs) {
      let from = 0;
      while (from < work.n) {
        const x = r.call(() => replay(r, from));
        if (!x.ok) throw new Error(`trace.call: ${x.errno} ${x.detail ?? ''}`);
        from = x.value as number;
        if (r.iqe) {
          r.iqe = false;
          r.sim.execute({ type: 'vtd.fault.clear', data: { iqe: true } });
        }
      }
    }
    work.clear();
  };

  /** Replays held work from `from` on `r`; returns where it stopped (a queue error stops it). */
  const replay = (r: DesignRun, from: number): number => {
    const hw = r.unit.hw;
    for (let i = from; i < work.n; i++) {
      const k = work.kind[i];
      if (k === K_LOOKUP) {
        work.read(i, cur);
        judge(r, cur);
      } else if (k === K_LEAF) {
        leaf(r, i);
      } else {
        const v = hw.submitDescriptors(work.descriptors[i]!);
        if (v.error !== null) {
          r.error(`vtd.qi.submit: ${v.error.reason}`);
          r.iqe = true;
          return i + 1;
        }
      }
    }
    return work.n;
  };

  /** Held leaf write `i` on `r`'s tables: what `vtd.pt.map` / `vtd.pt.unmap` do with a domain's table. */
  const leaf = (r: DesignRun, i: number): void => {
    const hw = r.unit.hw;
    const did = work.did[i]!;
    const vpn = work.iova[i]!;
    const pfn = work.gpa[i]!;
    const pages = work.mask[i]!;
    const type = pfn < 0 ? 'vtd.pt.unmap' : 'vtd.pt.map';
    try {
      const d = hw.domains.get(did);
      if (d === undefined) throw new RangeError(`did: no domain ${did}`);
      const space = r.space;
      if (pfn < 0) unmapPage(hw.memory, space, d.slptptr / 4096, d.levels, vpn, false);
      else {
        slMap(
          hw.memory,
          space,
          d.slptptr / 4096,
          d.levels,
          vpn,
          pfn,
          pages === 1 ? 12 : pages === 512 ? 21 : 30,
          SL_PERMS[work.access[i]!]!,
        );
        const end = (vpn + pages) * 4096;
        if (end > Number(d.maxAddr)) d.maxAddr = BigInt(end);
      }
    } catch (e) {
      if (!(e instanceof RangeError || e instanceof TypeError)) throw e;
      r.error(`${type}: EINVAL ${type}: ${e.message}`);
    }
  };

  const judge = (r: DesignRun, l: TraceLookup): void => {
    const vpn = Math.floor(l.iova / 4096);
    req.sid = l.sid;
    req.pasid = NO_PASID;
    req.iovaPfn = vpn;
    req.offset = l.iova % 4096;
    req.access = l.access;
    req.ats = false;
    const size = l.mask + 1;
    const kind = r.unit.translate(req, res);
    r.lookups++;
    r.memReads += res.memReads;
    if (l.recordedHit) r.recordedHits++;
    const simHit = kind === 0 && res.hit;
    if (simHit) r.simulatedHits++;
    else if (res.memReads > 0) r.walks++;
    const out = kind === 0 ? Math.floor((res.outPfn * 4096) / size) * size : -1;
    const recOut = l.fault ? -1 : l.gpa;
    const sameHit = simHit === l.recordedHit;
    const sameOut = out === recOut;
    if (sameHit) r.agree++;
    if (sameOut) r.matched++;
    if (!(sameHit && sameOut)) disagree(r, l, vpn, simHit, out, recOut);
    if (!simHit) {
      // Evictions happen on fills: remember the line of the last lookup that caused some.
      const ev = r.unit.hw.caches.iotlb.counters().evictions;
      if (ev !== r.evictions) {
        r.evictions = ev;
        r.lastEvictionLine = l.line;
      }
    }
  };

  const disagree = (
    r: DesignRun,
    l: TraceLookup,
    vpn: number,
    simHit: boolean,
    out: number,
    recOut: number,
  ): void => {
    r.disagreementCount++;
    const touch = history.lastTouching(l.did, vpn, l.line);
    const cause =
      r.lastEvictionLine >= 0 && (touch === null || r.lastEvictionLine > touch.line)
        ? { line: r.lastEvictionLine, event: 'iotlb eviction (simulated)', touch: 'eviction' as const }
        : touch;
    const k = cause === null ? 'none' : cause.touch;
    r.causes[k] = (r.causes[k] ?? 0) + 1;
    if (r.disagreements.length >= DISAGREEMENTS_LISTED) return;
    r.disagreements.push({
      line: l.line,
      sid: bdfName(l.sid),
      did: l.did,
      iova: hexAddr(l.iova),
      recorded: { hit: l.recordedHit, out: recOut < 0 ? null : hexAddr(recOut) },
      simulated: {
        hit: simHit,
        out: out < 0 ? null : hexAddr(out),
        ...(out < 0 ? { fault: res.archCode } : {}),
      },
      cause,
    });
  };

  const importer = new QemuVtdImporter(
    {
      command(type, data, line) {
        if (runs.length === 0) {
          if (type !== 'vtd.root.set') {
            held.push(() => this.command(type, data, line, undefined));
            return;
          }
          start(data.mode === 'scalable' ? 'scalable' : 'legacy');
        }
        // The replay's units know no device names: attach by source-id.
        if (type === 'vtd.device.attach') {
          const { device, ...rest } = data;
          const m = /^([0-9a-f]{2}):([0-9a-f]{2})\.([0-7])$/.exec(String(device));
          const sid = m
            ? (Number.parseInt(m[1]!, 16) << 8) | (Number.parseInt(m[2]!, 16) << 3) | Number(m[3])
            : 0;
          run(type, { ...rest, sid });
          return;
        }
        run(type, data);
      },
      // Before the first root-table event (none yet: the mode is unknown) work waits with the commands.
      lookup(l) {
        if (runs.length === 0) {
          const copy = Object.assign(new TraceLookup(), l);
          held.push(() => this.lookup(copy, undefined));
          return;
        }
        work.lookup(l);
        if (work.n === WorkQueue.SIZE) flush();
      },
      leaf(did, vpn, pfn, pages, r, w, line) {
        if (runs.length === 0) {
          held.push(() => this.leaf!(did, vpn, pfn, pages, r, w, line));
          return;
        }
        work.leaf(did, vpn, pfn, pages, r, w, line);
        if (work.n === WorkQueue.SIZE) flush();
      },
      queue(descriptors, line) {
        if (runs.length === 0) {
          held.push(() => this.queue!(descriptors, line));
          return;
        }
        work.queue(descriptors, line);
        if (work.n === WorkQueue.SIZE) flush();
      },
      invalidation: (inv) => {
        // Lookups held before it are judged against the history as of their own line.
        history.add(inv);
        if (++invalidationsHeld === HISTORY_WINDOW) flush();
      },
      iotlbReset: () => {
        recordedResets++;
      },
    },
    { file: trace, ...(o.awBits ? { awBits: o.awBits } : {}) },
  );
  await forEachLine(trace, (line, no) => importer.line(line, no));
  const summary: ImportSummary = importer.finish();
  if (runs.length === 0) start(summary.mode);
  flush();
  return {
    trace,
    lines: summary.lines,
    lookups: summary.lookups,
    recordedHits: summary.hits,
    recordedHitRate: summary.lookups === 0 ? 0 : summary.hits / summary.lookups,
    recordedIotlbResets: recordedResets,
    records: summary.records,
    unused: summary.unused,
    options,
    designs: runs.map((r) => report(r)),
  };
}

function report(r: DesignRun): DesignReport {
  const c = r.unit.hw.caches;
  const counters = c.counters();
  return {
    design: r.design.label,
    iotlb: {
      policy: r.design.policy,
      entries: r.design.entries,
      ways: r.design.ways,
      key: c.iotlbBySid ? 'sid' : 'domain',
    },
    lookups: r.lookups,
    recordedHits: r.recordedHits,
    simulatedHits: r.simulatedHits,
    agree: r.agree,
    translationsMatched: r.matched,
    disagreementCount: r.disagreementCount,
    disagreements: r.disagreements,
    causes: r.causes,
    hitRate: r.lookups === 0 ? 0 : r.simulatedHits / r.lookups,
    misses: r.lookups - r.simulatedHits,
    walks: r.walks,
    memReads: r.memReads,
    memReadsPerTranslation: r.lookups === 0 ? 0 : r.memReads / r.lookups,
    evictions: counters.iotlb!.evictions,
    commandErrors: r.commandErrors,
    firstCommandError: r.firstCommandError,
    cacheCounters: counters as unknown as JsonObject,
  };
}
