/**
 * The SMMUv3 plugin's events (module augmentation of SimEventMap). Payloads
 * are JSON-safe; addresses as "0x..." strings.
 */
import type { JsonObject } from '../../core/plugin/contract.js';

declare module '../../core/events/event-map.js' {
  interface SimEventMap {
    /**
     * A translation or configuration fault was raised; `outcome` says where its event record went:
     * "queued", or why not ("not-recorded" when CD.R / STE.S2R suppress it, "queue-disabled",
     * "overflow", "write-abort"). (Named smmuv3.event.recorded before: most faults are not recorded.)
     */
    'smmuv3.fault.raised': {
      unit: string;
      code: number;
      name: string;
      sid: number;
      ssid: number | null;
      s2: boolean;
      class: string;
      input: string;
      ipa: string | null;
      fetchAddr: string | null;
      read: boolean;
      outcome: string;
      notModelled: boolean;
      reason: string | null;
    };
    /** A command queue entry executed (source "cmdq", or "uapi" for the proposed vendor ops). */
    'smmuv3.command.executed': { unit: string; source: string; op: string; detail: JsonObject };
    /** The command queue stopped on an entry: CMDQ_CONS.ERR = cerror, GERROR.CMDQ_ERR toggled. */
    'smmuv3.command.failed': {
      unit: string;
      source: string;
      op: string;
      cerror: string;
      reason: string;
      cons: number;
    };
    /** A register written by software. */
    'smmuv3.register.written': { unit: string; reg: string; value: string };
    /** Proposed UAPI: a guest CD table attached to a stream (nested) or detached. */
    'smmuv3.pasid-table.attached': { unit: string; sid: number; config: string; basePtr: string };
    'smmuv3.pasid-table.detached': { unit: string; sid: number };
  }
}
