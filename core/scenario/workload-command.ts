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

import { type DataOf, defineCommand, fieldFault } from '../command/catalog.js';
import { access, type Decoded, device, int, list, oneOf, pasid, u32, u64 } from '../command/field.js';
import { FAULT_KIND_NAME, NO_PASID, TranslationRequest, TranslationResult } from '../model/translation.js';
import type { JsonValue } from '../plugin/contract.js';
import { SeededRng } from '../sim/rng.js';
import type { Simulator } from '../sim/simulator.js';
import { ok, type UapiResult } from '../uapi/errno.js';

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
export const WORKLOAD_PATTERNS = ['streaming', 'ring', 'random', 'multi-pasid', 'fault-burst'] as const;

/** The generator's fields; a scenario's `workload` step takes the same (its kind may also be "churn"). */
export const WORKLOAD_FIELDS = {
  kind: oneOf(WORKLOAD_PATTERNS).describe('the access pattern'),
  seed: u32().describe("the generator's own seed"),
  device: device(),
  iova: u64().describe('first byte of the region the pattern covers'),
  pages: int(1, 1 << 30).describe('region size in 4 KiB pages'),
  count: int(0, 1e8).describe('accesses (churn: map/access/unmap rounds)'),
  access: access().def('r'),
  pasids: list(pasid()).describe('multi-pasid: the PASIDs to draw from').opt(),
  pasid: pasid().describe('one PASID for every access (the other patterns)').opt(),
  stride: int(1, 1 << 30)
    .describe('streaming, ring: bytes between accesses')
    .def(4096),
  slots: int(1, 1 << 30)
    .describe('ring: buffers reused in order')
    .def(16),
  burst: int(1, 1 << 30)
    .describe('fault-burst: accesses per burst')
    .def(8),
  pa: u64().describe('churn: first output address mapped (default 0x100000)').opt(),
  events: oneOf(['summary', 'each'] as const)
    .describe('"each": one workload.dma.translated event per access too')
    .def('summary'),
};

/** multi-pasid needs its list. */
export function workloadRule(d: { kind: string; pasids?: readonly number[] | undefined }): void {
  if (d.kind === 'multi-pasid' && (d.pasids === undefined || d.pasids.length === 0))
    fieldFault('pasids', 'multi-pasid needs a list of PASIDs');
}

declare module '../command/catalog.js' {
  interface CommandMap {
    'workload.dma.run': DataOf<typeof workloadDmaRun>;
  }
}

export const workloadDmaRun = defineCommand('workload.dma.run', {
  doc: 'A seeded access-pattern generator: `count` DMA translations from one device in one command.',
  fields: WORKLOAD_FIELDS,
  refine: workloadRule,
  handler: (sim: Simulator, d) => runWorkload(sim, d),
});

function runWorkload(sim: Simulator, d: Decoded<typeof WORKLOAD_FIELDS>): UapiResult<JsonValue> {
  const kind = d.kind;
  const dev = sim.device(d.device);
  const unit = dev.unit;
  const rng = new SeededRng(d.seed);
  const basePfn = Number(d.iova >> 12n);
  const pages = d.pages;
  const count = d.count;
  const stride = d.stride;
  const slots = Math.min(d.slots, pages * Math.max(1, Math.floor(4096 / stride)));
  const burst = d.burst;
  const each = d.events === 'each';
  const pasids = d.pasids ?? [];
  const accessBits = d.access;
  const span = pages * 4096;
  const timing = sim.timing;

  req.sid = dev.config.sid;
  req.pasid = d.pasid ?? NO_PASID;
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
}
