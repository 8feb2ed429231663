/**
 * The command buffer (reference smmuv3-amdvi.md B.5): a ring of 16-byte
 * commands between CMD_HEAD (the IOMMU) and CMD_TAIL (software). Writing the
 * tail runs the commands in order. A malformed command raises
 * ILLEGAL_COMMAND_ERROR (so does one that needs a feature EFR does not
 * advertise: GN=1), an unreadable one COMMAND_HARDWARE_ERROR; either way
 * command processing stops with the head on that command and
 * STATUS.CmdBufRun cleared, until software re-enables CONTROL.CmdBufEn.
 * The same executor runs host-issued commands from the UAPI path.
 */
import type { EventSink } from '../../core/events/event-map.js';
import type { PhysMemory } from '../../core/memory/phys-memory.js';
import { hex, hex64 } from '../../core/model/hex.js';
import { NO_PASID } from '../../core/model/translation.js';
import type { AmdviIotlb, DteCache } from './caches.js';
import type { EventLog } from './event-log.js';
import { AMDVI_EVENT } from './faults.js';
import type { AmdviRegisters } from './registers.js';
import { type AmdviCommand, CMD_BYTES, commandName, decodeCommand } from './structures/command.js';
import { decodeInvRange } from './structures/inv-range.js';
import { AMDVI_EFR_BIT, AMDVI_STATUS } from './structures/mmio.js';
import './events.js';

/** Outcome of running the ring. */
export interface RingResult {
  executed: number;
  /** Set when processing stopped on an error: the event code raised. */
  stoppedBy: number | null;
}

export class CommandExecutor {
  readonly #unit: string;
  readonly #mem: PhysMemory;
  readonly #regs: AmdviRegisters;
  readonly #dte: DteCache;
  readonly #iotlb: AmdviIotlb;
  readonly #log: EventLog;
  readonly #events: EventSink;
  /** Commands executed per name, for stats and snapshots. */
  readonly executed = new Map<string, number>();

  constructor(
    unit: string,
    mem: PhysMemory,
    regs: AmdviRegisters,
    dte: DteCache,
    iotlb: AmdviIotlb,
    log: EventLog,
    events: EventSink,
  ) {
    this.#unit = unit;
    this.#mem = mem;
    this.#regs = regs;
    this.#dte = dte;
    this.#iotlb = iotlb;
    this.#log = log;
    this.#events = events;
  }

  /** Runs the commands between head and tail while the buffer is enabled and running. */
  runRing(): RingResult {
    const r = this.#regs;
    let executed = 0;
    while (r.cmdBufEn && r.status & AMDVI_STATUS.CmdBufRun && r.cmdHead !== r.cmdTail && r.cmdBytes > 0) {
      const pa = r.cmdBase + r.cmdHead;
      const page = this.#mem.page(Math.floor(pa / 4096));
      if (page === undefined)
        return this.#stop(
          AMDVI_EVENT.COMMAND_HARDWARE_ERROR,
          pa,
          'command buffer entry not in backed memory',
          executed,
        );
      const i = (pa % 4096) / 4;
      const d = decodeCommand(page[i]!, page[i + 1]!, page[i + 2]!, page[i + 3]!);
      if (!d.ok) {
        const why =
          d.why === 'reserved-bits'
            ? `${commandName(d.opcode)} with reserved bits set`
            : d.why === 'unknown-opcode'
              ? `unknown opcode 0x${d.opcode.toString(16)}`
              : `${commandName(d.opcode)} is not modelled (no ATS device IOTLB, prefetch or PPR support advertised)`;
        return this.#stop(AMDVI_EVENT.ILLEGAL_COMMAND_ERROR, pa, why, executed);
      }
      const unadvertised = this.#unadvertised(d.cmd);
      if (unadvertised !== '')
        return this.#stop(AMDVI_EVENT.ILLEGAL_COMMAND_ERROR, pa, unadvertised, executed);
      const err = this.execute(d.cmd, 'ring');
      if (err !== '') return this.#stop(AMDVI_EVENT.COMMAND_HARDWARE_ERROR, pa, err, executed);
      r.cmdHead = (r.cmdHead + CMD_BYTES) % r.cmdBytes;
      executed++;
    }
    return { executed, stoppedBy: null };
  }

  /**
   * Why a well-formed command asks for a feature EFR does not advertise, or ''. GN=1 names
   * guest translations, which need EFR.GTSup (D.3: "GN rejected if no GT").
   */
  #unadvertised(c: AmdviCommand): string {
    if (c.op === 'INVALIDATE_IOMMU_PAGES' && c.gn && !(this.#regs.read('EFR') & AMDVI_EFR_BIT.GTSup))
      return 'INVALIDATE_IOMMU_PAGES with GN=1, but EFR.GTSup = 0 (guest translation is not modelled)';
    return '';
  }

  #stop(code: number, pa: number, detail: string, executed: number): RingResult {
    this.#regs.status &= ~AMDVI_STATUS.CmdBufRun;
    this.#log.record({
      code,
      deviceId: 0,
      domainId: 0,
      pasid: NO_PASID,
      flags: 0,
      address: BigInt(pa),
      detail,
    });
    return { executed, stoppedBy: code };
  }

  /** Executes one decoded command. Returns '' or why it could not complete (a hardware error). */
  execute(c: AmdviCommand, source: 'ring' | 'host'): string {
    this.executed.set(c.op, (this.executed.get(c.op) ?? 0) + 1);
    switch (c.op) {
      case 'COMPLETION_WAIT': {
        if (c.s) {
          if (!this.#mem.isBacked(c.storeAddr, 8))
            return `COMPLETION_WAIT store address 0x${c.storeAddr.toString(16)} is not backed memory`;
          this.#mem.write64(c.storeAddr, c.data);
        }
        if (c.i) this.#regs.status |= AMDVI_STATUS.ComWaitInt;
        this.#events.emit('amdvi.completion.signalled', {
          unit: this.#unit,
          store: c.s ? hex64(c.storeAddr) : null,
          data: hex64(c.data),
          interrupt: c.i,
        });
        break;
      }
      case 'INVALIDATE_DEVTAB_ENTRY': {
        const dropped = this.#dte.invalidate(c.deviceId);
        this.#events.emit('amdvi.dte.invalidated', { unit: this.#unit, deviceId: c.deviceId, dropped });
        break;
      }
      case 'INVALIDATE_IOMMU_PAGES': {
        const range = decodeInvRange(c.s, c.addrPfn);
        const pasid = c.gn ? c.pasid : NO_PASID;
        const dropped = this.#iotlb.invalidatePages(c.domainId, pasid, range);
        this.#events.emit('amdvi.iotlb.invalidated', {
          unit: this.#unit,
          domainId: c.domainId,
          pasid: c.gn ? c.pasid : null,
          base: hex64(range.basePfn * 4096),
          pages: range.all ? 'all' : hex(range.pages),
          dropped,
        });
        break;
      }
      case 'INVALIDATE_INTERRUPT_TABLE':
        // Interrupt remapping is not modelled, so no interrupt-table entries are cached: nothing to drop.
        break;
      case 'INVALIDATE_IOMMU_ALL': {
        const dtes = this.#dte.invalidateAll();
        const dropped = this.#iotlb.invalidateAll();
        this.#events.emit('amdvi.dte.invalidated', { unit: this.#unit, deviceId: null, dropped: dtes });
        this.#events.emit('amdvi.iotlb.invalidated', {
          unit: this.#unit,
          domainId: null,
          pasid: null,
          base: hex64(0),
          pages: 'all',
          dropped,
        });
        break;
      }
    }
    this.#events.emit('amdvi.command.executed', {
      unit: this.#unit,
      source,
      name: c.op,
      detail: commandDetail(c),
    });
    return '';
  }
}

function commandDetail(c: AmdviCommand): { [k: string]: string | number | boolean } {
  switch (c.op) {
    case 'COMPLETION_WAIT':
      return { s: c.s, i: c.i, f: c.f, storeAddr: hex64(c.storeAddr), data: hex64(c.data) };
    case 'INVALIDATE_DEVTAB_ENTRY':
    case 'INVALIDATE_INTERRUPT_TABLE':
      return { deviceId: c.deviceId };
    case 'INVALIDATE_IOMMU_PAGES':
      return {
        domainId: c.domainId,
        pasid: c.pasid,
        s: c.s,
        pde: c.pde,
        gn: c.gn,
        address: hex64(c.addrPfn * 4096),
      };
    case 'INVALIDATE_IOMMU_ALL':
      return {};
  }
}
