/**
 * `workload.dma.run`: a seeded access-pattern generator (landscape.md §3.2) that
 * issues `count` DMA translations from one device in one command. The loop calls
 * the unit's translate() directly with one reused request/result pair, so it
 * allocates nothing per access unless asked for one event per access
 * (`events: "each"`, used by the replay benchmark); by default it closes with one
 * `workload.dma.completed` summary whose `outDigest` covers every output page.
 *
 * Patterns: streaming (sequential, `stride` bytes apart, wrapping), ring (a ring
 * of `slots` buffers reused in order: the rIOMMU pattern, mostly IOTLB hits),
 * random (uniform pages and 8-byte offsets), multi-pasid (random pages under
 * PASIDs drawn from `pasids`), fault-burst (bursts of `burst` accesses to
 * consecutive pages, each burst followed by 1 us of idle time).
 */
import { FAULT_KIND_NAME, NO_PASID, TranslationRequest, TranslationResult } from '../model/translation.js';
import type { JsonObject } from '../plugin/contract.js';
import type { CommandHandler } from '../sim/commands/index.js';
import { SeededRng } from '../sim/rng.js';
import { ok } from '../uapi/errno.js';
import { GENERATORS, runGenerator } from '../workloads/index.js';

declare module '../events/event-map.js' {
  interface SimEventMap {
    /** One access of a workload (only with events: "each"). vpn/out are 4 KiB page numbers; fault is a FAULT_KIND (0 = ok). */
    'workload.dma.translated': { i: number; vpn: number; out: number; hit: boolean; fault: number };
    /** Summary of a workload command. */
    'workload.dma.completed': {
      kind: string;
      accesses: number;
      hits: number;
      faults: number;
      firstFault: { i: number; vpn: number; kind: string } | null;
      outDigest: string;
    };
  }
}

const req = new TranslationRequest();
const res = new TranslationResult();
const PATTERNS = ['streaming', 'ring', 'random', 'multi-pasid', 'fault-burst'];

function num(data: JsonObject, k: string, fallback: number): number {
  const v = data[k];
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0)
    throw new RangeError(`${k}: expected a non-negative integer, got ${JSON.stringify(v)}`);
  return v;
}

export const workloadDmaRun: CommandHandler = (sim, data) => {
  const kind = String(data.kind);
  if (GENERATORS.has(kind)) return runGenerator(sim, data);
  if (!PATTERNS.includes(kind))
    throw new RangeError(`kind: expected one of ${PATTERNS.join(', ')}, got ${JSON.stringify(data.kind)}`);
  const dev = sim.device(data.device);
  const unit = dev.unit;
  const rng = new SeededRng(num(data, 'seed', 0));
  if (typeof data.iova !== 'string' || !/^0x[0-9a-fA-F]+$/.test(data.iova))
    throw new RangeError('iova: expected "0x..." hex');
  const basePfn = Number(BigInt(data.iova) >> 12n);
  const pages = Math.max(1, num(data, 'pages', 1));
  const count = num(data, 'count', 0);
  const stride = Math.max(1, num(data, 'stride', 4096));
  const slots = Math.min(num(data, 'slots', 16), pages * Math.max(1, Math.floor(4096 / stride)));
  const burst = Math.max(1, num(data, 'burst', 8));
  const each = data.events === 'each';
  const pasids = Array.isArray(data.pasids) ? (data.pasids as number[]) : [];
  const access = String(data.access ?? 'r');
  let accessBits = 0;
  for (const c of access) accessBits |= c === 'r' ? 1 : c === 'w' ? 2 : c === 'x' ? 4 : c === 'p' ? 8 : 0;
  const span = pages * 4096;
  const timing = sim.timing;

  req.sid = dev.config.sid;
  req.pasid = typeof data.pasid === 'number' ? data.pasid : NO_PASID;
  req.access = accessBits;
  req.ats = false;
  let hits = 0;
  let faults = 0;
  let firstFault: { i: number; vpn: number; kind: string } | null = null;
  // Two-lane word-wise FNV over the output page numbers (perf-notes §5).
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  for (let i = 0; i < count; i++) {
    let byte: number;
    switch (kind) {
      case 'streaming':
        byte = (i * stride) % span;
        break;
      case 'ring':
        byte = ((i % slots) * stride) % span;
        break;
      case 'fault-burst':
        byte = (i * 4096) % span;
        break;
      case 'multi-pasid':
        req.pasid = pasids[rng.below(pasids.length)];
        byte = rng.below(pages) * 4096 + rng.below(512) * 8;
        break;
      default:
        byte = rng.below(pages) * 4096 + rng.below(512) * 8;
    }
    req.iovaPfn = basePfn + Math.floor(byte / 4096);
    req.offset = byte % 4096;
    res.reset();
    const fault = unit.translate(req, res);
    sim.clock.advance(timing.translation + timing.memRead * res.memReads);
    if (fault === 0) {
      if (res.hit) hits++;
      h1 = Math.imul(h1 ^ (res.outPfn | 0), 0x01000193);
      h2 = Math.imul(h2 ^ ((res.outPfn / 0x1_0000_0000) | 0) ^ i, 0x5bd1e995);
    } else {
      faults++;
      if (firstFault === null)
        firstFault = { i, vpn: req.iovaPfn, kind: FAULT_KIND_NAME[fault] ?? String(fault) };
    }
    if (each)
      sim.emit('workload.dma.translated', {
        i,
        vpn: req.iovaPfn,
        out: fault === 0 ? res.outPfn : 0,
        hit: res.hit,
        fault,
      });
    if (kind === 'fault-burst' && (i + 1) % burst === 0) sim.clock.advance(1000);
  }
  const outDigest = `0x${(h1 >>> 0).toString(16).padStart(8, '0')}${(h2 >>> 0).toString(16).padStart(8, '0')}`;
  sim.emit('workload.dma.completed', { kind, accesses: count, hits, faults, firstFault, outDigest });
  return ok({ accesses: count, hits, faults });
};
