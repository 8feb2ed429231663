/**
 * Issues a generator's DMA accesses: one reused request/result pair, the unit's translate(),
 * the simulated time of the access and its walk, and a summary (accesses, hits, faults, first
 * fault, a digest of every output page) for `workload.dma.completed`. Nothing is allocated
 * per access.
 */
import { FAULT_KIND_NAME, NO_PASID, TranslationRequest, TranslationResult } from '../model/translation.js';
import type { IommuUnit } from '../plugin/contract.js';
import type { Simulator } from '../sim/simulator.js';

export const READ = 1;
export const WRITE = 2;

export class DmaIssuer {
  readonly #sim: Simulator;
  readonly #req = new TranslationRequest();
  readonly #res = new TranslationResult();
  accesses = 0;
  hits = 0;
  faults = 0;
  firstFault: { i: number; vpn: number; kind: string } | null = null;
  #h1 = 0x811c9dc5;
  #h2 = 0x01000193;

  constructor(sim: Simulator) {
    this.#sim = sim;
  }

  /** One access by `device` (a name known to the simulator) to page `pfn`, byte `offset`. */
  access(unit: IommuUnit, sid: number, pasid: number, pfn: number, offset: number, access: number): number {
    const req = this.#req;
    const res = this.#res;
    req.sid = sid;
    req.pasid = pasid < 0 ? NO_PASID : pasid;
    req.iovaPfn = pfn;
    req.offset = offset;
    req.access = access;
    req.ats = false;
    res.reset();
    const fault = unit.translate(req, res);
    const t = this.#sim.timing;
    this.#sim.clock.advance(t.translation + t.memRead * res.memReads);
    const i = this.accesses++;
    if (fault === 0) {
      if (res.hit) this.hits++;
      this.#h1 = Math.imul(this.#h1 ^ (res.outPfn | 0), 0x01000193);
      this.#h2 = Math.imul(this.#h2 ^ ((res.outPfn / 0x1_0000_0000) | 0) ^ i, 0x5bd1e995);
    } else {
      this.faults++;
      if (this.firstFault === null)
        this.firstFault = { i, vpn: pfn, kind: FAULT_KIND_NAME[fault] ?? String(fault) };
    }
    return fault;
  }

  digest(): string {
    return `0x${(this.#h1 >>> 0).toString(16).padStart(8, '0')}${(this.#h2 >>> 0).toString(16).padStart(8, '0')}`;
  }
}
