/**
 * The naive VT-d translation bench/vtd.bench.ts measures the model against: the model's own
 * structure readers and page walkers (plugins/vtd/walk) behind Map<string> caches with
 * full-scan invalidation (naive-cache.ts). One map holds the decoded context + PASID-table entry
 * per `${sid}:${pasid}`; the IOTLB is a NaiveCache keyed by (DID, page).
 *
 * Only what the bench exercises: scalable mode, requests without PASID (RID_PASID), read
 * access, PGTT second-level or nested, 4 KiB leaves (the IOTLB probes size code 0 only, as the
 * model probes only the sizes a context holds). No permission or fault bookkeeping: a walk that
 * fails returns -1.
 */
import type { PhysMemory } from '../../core/memory/phys-memory.js';
import type { VtdCaps } from '../../plugins/vtd/capabilities.js';
import {
  ContextInfo,
  PasidInfo,
  readPasidEntryInfo,
  readScalableContext,
} from '../../plugins/vtd/walk/context-read.js';
import { FlParams, walkFl } from '../../plugins/vtd/walk/fl-walk.js';
import { hawHiMask, walkSl } from '../../plugins/vtd/walk/sl-walk.js';
import { FLF, PERM_RWX, SLF, WALK, WalkState } from '../../plugins/vtd/walk/walk-state.js';
import { NaiveCache } from './naive-cache.js';

/** PGTT values of a PASID-table entry (VT-d 9.6). */
const PGTT_SL = 2;
const PGTT_NESTED = 3;

interface NaiveContext {
  readonly did: number;
  readonly pgtt: number;
  readonly slptPfn: number;
  readonly flptPfn: number;
  readonly slLevels: number;
  readonly flLevels: number;
  readonly nxe: boolean;
}

export class NaiveVtdWalk {
  readonly iotlb: NaiveCache;
  readonly contexts = new Map<string, NaiveContext>();
  readonly #mem: PhysMemory;
  readonly #caps: VtdCaps;
  readonly #rootTable: number;
  readonly #hiMask: number;
  readonly #ci = new ContextInfo();
  readonly #pi = new PasidInfo();
  readonly #st = new WalkState();
  readonly #sl = new WalkState();
  readonly #out2 = new WalkState();
  readonly #fl = new FlParams();

  constructor(mem: PhysMemory, caps: VtdCaps, rootTable: number, iotlbEntries: number) {
    this.#mem = mem;
    this.#caps = caps;
    this.#rootTable = rootTable;
    this.#hiMask = hawHiMask(caps.mgaw);
    this.iotlb = new NaiveCache(iotlbEntries);
  }

  /** Output page of `vpn` for a request of `sid` without PASID, or -1 when any step fails. */
  translate(sid: number, vpn: number): number {
    const c = this.#context(sid);
    if (c === undefined) return -1;
    const hit = this.iotlb.lookup(c.did, vpn, 0);
    if (hit !== undefined) return hit.outPage;
    const out = c.pgtt === PGTT_NESTED ? this.#nested(c, vpn) : this.#second(c, vpn);
    if (out >= 0) this.iotlb.insert(c.did, vpn, 0, out, 1);
    return out;
  }

  /** Full scan: every IOTLB entry of `did`. */
  invalidateDomain(did: number): number {
    return this.iotlb.invalidateContext(did);
  }

  /** Full scan: the IOTLB entries of `did` overlapping [vpn, vpn + pages). */
  invalidatePages(did: number, vpn: number, pages: number): number {
    return this.iotlb.invalidateRange(did, vpn, pages);
  }

  #context(sid: number): NaiveContext | undefined {
    const key = `${sid}:0`;
    const found = this.contexts.get(key);
    if (found !== undefined) return found;
    const ci = this.#ci;
    const pi = this.#pi;
    if (readScalableContext(this.#mem, this.#caps, this.#rootTable, sid, ci) !== 0) return undefined;
    if (readPasidEntryInfo(this.#mem, this.#caps, ci.dirPfn, ci.ridPasid, pi) !== 0) return undefined;
    if (pi.pgtt !== PGTT_SL && pi.pgtt !== PGTT_NESTED) return undefined;
    const c: NaiveContext = {
      did: pi.did,
      pgtt: pi.pgtt,
      slptPfn: pi.slptPfn,
      flptPfn: pi.flptPfn,
      slLevels: pi.aw + 2,
      flLevels: 4 + pi.flpm,
      nxe: pi.nxe,
    };
    this.contexts.set(key, c);
    return c;
  }

  #second(c: NaiveContext, vpn: number): number {
    const st = this.#st;
    st.reset();
    const r = walkSl(
      this.#mem,
      c.slptPfn,
      c.slLevels,
      vpn,
      slFlags(),
      this.#hiMask,
      false,
      st,
      c.slLevels,
      PERM_RWX,
    );
    return r === WALK.OK ? st.outPfn : -1;
  }

  #nested(c: NaiveContext, vpn: number): number {
    const st = this.#st;
    const p = this.#fl;
    st.reset();
    p.flags = FLF.LP_1G | FLF.NESTED | (c.nxe ? FLF.NXE : 0);
    p.hiMask = this.#hiMask;
    p.write = false;
    p.slRoot = c.slptPfn;
    p.slLevels = c.slLevels;
    p.slFlags = slFlags();
    p.slHiMask = this.#hiMask;
    p.slLimit = Math.min(2 ** (9 * c.slLevels), 2 ** (this.#caps.mgaw - 12));
    if (walkFl(this.#mem, c.flptPfn, true, true, c.flLevels, c.flLevels, vpn, p, st, this.#sl) !== WALK.OK)
      return -1;
    if (st.outPfn >= p.slLimit) return -1;
    const o2 = this.#out2;
    o2.reset();
    if (
      walkSl(
        this.#mem,
        c.slptPfn,
        c.slLevels,
        st.outPfn,
        p.slFlags,
        this.#hiMask,
        false,
        o2,
        c.slLevels,
        PERM_RWX,
      ) !== WALK.OK
    )
      return -1;
    st.mergeAd(o2);
    st.commitAd();
    return o2.outPfn;
  }
}

function slFlags(): number {
  return SLF.LP_2M | SLF.LP_1G | SLF.SNP_OK;
}
