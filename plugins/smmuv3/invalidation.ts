/**
 * The command queue (reference A.5): 16-byte commands read from CMDQ_BASE
 * between CONS and PROD, executed at once when PROD is written (as QEMU does),
 * in order. CFGI_* drop config-cache entries, TLBI_* drop TLB entries (range
 * forms included, SMMUv3.2 RIL), CMD_SYNC completes (nothing is outstanding).
 * A command this SMMU cannot execute — unknown opcode, SSec = 1 on the
 * Non-secure queue, a feature not implemented (EL2/EL3, ATS, PRI, stall, a
 * missing stage), a reserved field value — stops the queue with CERROR_ILL in
 * CMDQ_CONS.ERR and GERROR.CMDQ_ERR toggled; consumption resumes once software
 * acknowledges through GERRORN and writes PROD again. An unreadable command
 * gives CERROR_ABT.
 */
import type { PhysMemory } from '../../core/memory/phys-memory.js';
import { type SmmuCaches, tlbVpn } from './caches.js';
import { NO_S2_VMID } from './config.js';
import { CERROR } from './faults.js';
import type { RegisterFile } from './register-file.js';
import {
  CFGI_ALL_RANGE,
  CMD_BYTES,
  CMD_OP,
  CMD_OP_NAME,
  CMD_WORDS,
  type CmdFields,
  cmdAddrPfn,
  decodeCmd,
} from './structures/command.js';
import { CONS_ERR_SHIFT, CR0, GERROR, queueBaseAddr, queueLog2Size } from './structures/registers.js';

export interface QueueFeatures {
  readonly s1: boolean;
  readonly s2: boolean;
  /** IDR3.RIL: range invalidation. */
  readonly ril: boolean;
}

export type CommandOutcome =
  | {
      readonly ok: true;
      readonly op: string;
      readonly detail: { [k: string]: number | string | boolean | null };
    }
  | { readonly ok: false; readonly op: string; readonly cerror: number; readonly reason: string };

export interface ConsumeReport {
  readonly executed: CommandOutcome[];
  /** The failing command, if the queue stopped on one. */
  readonly error: CommandOutcome | null;
  /** Why nothing ran, when the queue is disabled or halted. */
  readonly idle: string | null;
}

function ill(op: string, reason: string): CommandOutcome {
  return { ok: false, op, cerror: CERROR.ILL, reason };
}

export class CommandQueue {
  readonly #mem: PhysMemory;
  readonly #regs: RegisterFile;
  readonly #caches: SmmuCaches;
  readonly #hw: QueueFeatures;
  /** CMD_SYNCs completed (each would raise the CMD_SYNC interrupt when CS = IRQ). */
  syncs = 0;
  consumed = 0;

  constructor(mem: PhysMemory, regs: RegisterFile, caches: SmmuCaches, hw: QueueFeatures) {
    this.#mem = mem;
    this.#regs = regs;
    this.#caches = caches;
    this.#hw = hw;
  }

  /** True while a command error awaits acknowledgement (GERROR.CMDQ_ERR != GERRORN.CMDQ_ERR). */
  get halted(): boolean {
    return ((this.#regs.gerror ^ this.#regs.gerrorn) & GERROR.CMDQ_ERR) !== 0;
  }

  /** Consumes commands from CONS up to PROD. */
  consume(): ConsumeReport {
    const r = this.#regs;
    const executed: CommandOutcome[] = [];
    if ((r.cr0 & CR0.CMDQEN) === 0) return { executed, error: null, idle: 'CR0.CMDQEN = 0' };
    if (this.halted)
      return { executed, error: null, idle: 'halted on a command error (acknowledge via GERRORN)' };
    const log2 = queueLog2Size(r.cmdqBase);
    const wrap = 2 ** (log2 + 1);
    const base = queueBaseAddr(r.cmdqBase);
    // A new PROD write clears a previous error code once the error was acknowledged.
    r.cmdqCons = r.cmdqCons % wrap;
    while (r.cmdqCons !== r.cmdqProd % wrap) {
      const addr = base + (r.cmdqCons % 2 ** log2) * CMD_BYTES;
      const page = this.#mem.page(Math.floor(addr / 4096));
      let outcome: CommandOutcome;
      if (page === undefined) {
        outcome = {
          ok: false,
          op: 'unreadable',
          cerror: CERROR.ABT,
          reason: `command at 0x${addr.toString(16)} not readable`,
        };
      } else {
        const i = (addr % 4096) >>> 2;
        outcome = this.execute(page.subarray(i, i + CMD_WORDS));
      }
      if (!outcome.ok) {
        r.cmdqCons = (r.cmdqCons | (outcome.cerror << CONS_ERR_SHIFT)) >>> 0;
        r.gerror = (r.gerror ^ GERROR.CMDQ_ERR) >>> 0;
        return { executed, error: outcome, idle: null };
      }
      executed.push(outcome);
      this.consumed++;
      r.cmdqCons = (r.cmdqCons + 1) % wrap;
    }
    return { executed, error: null, idle: null };
  }

  /** Executes one command given as its 4 words. */
  execute(w: ArrayLike<number>): CommandOutcome {
    const c = decodeCmd(w);
    const op = CMD_OP_NAME[c.Op];
    if (op === undefined) return ill(`0x${c.Op.toString(16)}`, `unknown opcode 0x${c.Op.toString(16)}`);
    if (c.SSec !== 0) return ill(op, 'SSec = 1 on the Non-secure command queue');
    const hw = this.#hw;
    const caches = this.#caches;
    // Without stage 2 the stage-1 TLBIs ignore their VMID field (reference A.8): every entry
    // carries NO_S2_VMID, so NH_ALL drops everything and NH_ASID/NH_VA/NH_VAA match by ASID and
    // address alone. The executed event then reports no VMID.
    const vmid = hw.s2 ? c.VMID : NO_S2_VMID;
    const shownVmid = hw.s2 ? c.VMID : null;
    switch (c.Op) {
      case CMD_OP.CMD_PREFETCH_CONFIG:
      case CMD_OP.CMD_PREFETCH_ADDR:
        return { ok: true, op, detail: { sid: c.SID, prefetch: 'ignored (a hint)' } };
      case CMD_OP.CMD_CFGI_STE:
        return { ok: true, op, detail: { sid: c.SID, entries: caches.config.invalidateKey(0, c.SID) } };
      case CMD_OP.CMD_CFGI_STE_RANGE: {
        if (c.Range === CFGI_ALL_RANGE)
          return { ok: true, op: 'CMD_CFGI_ALL', detail: { entries: caches.config.invalidateAll() } };
        const n = 2 ** (c.Range + 1);
        const first = c.SID - (c.SID % n);
        return {
          ok: true,
          op,
          detail: { sid: first, count: n, entries: caches.config.invalidateKeys(0, first, n) },
        };
      }
      case CMD_OP.CMD_CFGI_CD:
      case CMD_OP.CMD_CFGI_CD_ALL:
        if (!hw.s1) return ill(op, 'stage 1 is not implemented');
        // One CD per stream: the CD lives in the stream's config entry, which goes whole.
        return {
          ok: true,
          op,
          detail: {
            sid: c.SID,
            ssid: c.Op === CMD_OP.CMD_CFGI_CD ? c.SSID : null,
            entries: caches.config.invalidateKey(0, c.SID),
          },
        };
      case CMD_OP.CMD_TLBI_NH_ALL:
        if (!hw.s1) return ill(op, 'stage 1 is not implemented');
        return { ok: true, op, detail: { vmid: shownVmid, entries: caches.invalidateVmid(vmid, false) } };
      case CMD_OP.CMD_TLBI_NH_ASID:
        if (!hw.s1) return ill(op, 'stage 1 is not implemented');
        return {
          ok: true,
          op,
          detail: { vmid: shownVmid, asid: c.ASID, entries: caches.invalidateAsid(vmid, c.ASID) },
        };
      case CMD_OP.CMD_TLBI_NH_VA:
      case CMD_OP.CMD_TLBI_NH_VAA: {
        if (!hw.s1) return ill(op, 'stage 1 is not implemented');
        const range = this.#range(c, op);
        if (typeof range === 'object') return range;
        const pfn = cmdAddrPfn(c);
        const vpn = tlbVpn(pfn);
        const asid = c.Op === CMD_OP.CMD_TLBI_NH_VA ? c.ASID : -1;
        const entries = vpn < 0 ? 0 : caches.invalidateVa(vmid, asid, vpn, range);
        return {
          ok: true,
          op,
          detail: {
            vmid: shownVmid,
            asid: asid < 0 ? null : asid,
            page: `0x${pfn.toString(16)}`,
            pages: range,
            entries,
          },
        };
      }
      case CMD_OP.CMD_TLBI_S12_VMALL:
        if (!hw.s2) return ill(op, 'stage 2 is not implemented');
        return { ok: true, op, detail: { vmid: c.VMID, entries: caches.invalidateVmid(c.VMID, true) } };
      case CMD_OP.CMD_TLBI_S2_IPA: {
        if (!hw.s2) return ill(op, 'stage 2 is not implemented');
        const range = this.#range(c, op);
        if (typeof range === 'object') return range;
        const pfn = c.IPA / 4096;
        return {
          ok: true,
          op,
          detail: {
            vmid: c.VMID,
            page: `0x${pfn.toString(16)}`,
            pages: range,
            entries: caches.invalidateIpa(c.VMID, pfn, range),
          },
        };
      }
      case CMD_OP.CMD_TLBI_NSNH_ALL:
        return { ok: true, op, detail: { entries: caches.tlb.invalidateAll() } };
      case CMD_OP.CMD_TLBI_EL2_ALL:
      case CMD_OP.CMD_TLBI_EL2_ASID:
      case CMD_OP.CMD_TLBI_EL2_VA:
      case CMD_OP.CMD_TLBI_EL2_VAA:
        return ill(op, 'EL2 translation regime not implemented (IDR0.HYP = 0)');
      case CMD_OP.CMD_TLBI_EL3_ALL:
      case CMD_OP.CMD_TLBI_EL3_VA:
        return ill(op, 'EL3 commands are not valid on the Non-secure command queue');
      case CMD_OP.CMD_ATC_INV:
        return ill(op, 'ATS is not implemented (IDR0.ATS = 0)');
      case CMD_OP.CMD_PRI_RESP:
        return ill(op, 'PRI is not implemented (IDR0.PRI = 0)');
      case CMD_OP.CMD_RESUME:
      case CMD_OP.CMD_STALL_TERM:
        return ill(op, 'stalls are not implemented (IDR0.STALL_MODEL = 1)');
      case CMD_OP.CMD_SYNC: {
        if (c.CS === 3) return ill(op, 'CMD_SYNC.CS = 3 (reserved)');
        this.syncs++;
        return { ok: true, op, detail: { cs: ['none', 'irq', 'sev', 'reserved'][c.CS]!, completed: true } };
      }
    }
    return ill(op, `opcode ${op} not handled`);
  }

  /** Pages (4 KiB) covered by a TLBI VA/IPA: one address (TG = 0) or (NUM+1)·2^SCALE granules. */
  #range(c: CmdFields, op: string): number | CommandOutcome {
    if (c.TG === 0) return 1; // NUM/SCALE are not used without TG

    if (!this.#hw.ril) return ill(op, 'TG != 0 but range invalidation is not implemented (IDR3.RIL = 0)');
    const granulePages = 4 ** (c.TG - 1); // TG 1/2/3 = 4K/16K/64K
    return (c.NUM + 1) * 2 ** c.SCALE * granulePages;
  }
}
