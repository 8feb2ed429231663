/**
 * The SMMU's programmable registers (reference A.1) as plain numbers. Only the
 * address bits of 64-bit base registers are kept (below 2^52), so every value
 * is exact; cacheability hints (RA/WA) are not modelled and read as zero.
 */
import { hex64 } from '../../core/model/hex.js';
import type { StrtabRegs } from './config.js';
import { REG, type RegName } from './structures/registers.js';

export class RegisterFile {
  /** Read-only ID registers, fixed by the options (capabilities.ts). */
  idr0 = 0;
  idr1 = 0;
  idr3 = 0;
  idr5 = 0;
  aidr = 0;
  cr0 = 0;
  gbpa = 0;
  irqCtrl = 0;
  gerror = 0;
  gerrorn = 0;
  strtabBase = 0;
  strtabCfg = 0;
  cmdqBase = 0;
  cmdqProd = 0;
  cmdqCons = 0;
  evtqBase = 0;
  evtqProd = 0;
  evtqCons = 0;

  /** The stream-table registers decoded: STRTAB_BASE 51:6; CFG LOG2SIZE 5:0, SPLIT 10:6, FMT 17:16. */
  strtab(): StrtabRegs {
    return {
      base: this.strtabBase - (this.strtabBase % 64),
      log2size: this.strtabCfg % 64,
      split: Math.floor(this.strtabCfg / 64) % 32,
      fmt: Math.floor(this.strtabCfg / 65536) % 4,
    };
  }

  read(name: RegName): number {
    switch (name) {
      case 'IDR0':
        return this.idr0;
      case 'IDR1':
        return this.idr1;
      case 'IDR3':
        return this.idr3;
      case 'IDR5':
        return this.idr5;
      case 'AIDR':
        return this.aidr;
      case 'CR0':
        return this.cr0;
      case 'CR0ACK':
        return this.cr0; // updates complete at once
      case 'GBPA':
        return this.gbpa;
      case 'IRQ_CTRL':
        return this.irqCtrl;
      case 'GERROR':
        return this.gerror;
      case 'GERRORN':
        return this.gerrorn;
      case 'STRTAB_BASE':
        return this.strtabBase;
      case 'STRTAB_BASE_CFG':
        return this.strtabCfg;
      case 'CMDQ_BASE':
        return this.cmdqBase;
      case 'CMDQ_PROD':
        return this.cmdqProd;
      case 'CMDQ_CONS':
        return this.cmdqCons;
      case 'EVTQ_BASE':
        return this.evtqBase;
      case 'EVTQ_PROD':
        return this.evtqProd;
      case 'EVTQ_CONS':
        return this.evtqCons;
    }
  }

  /** The register dump: every register by name in offset order, its value as `0x` and 16 hex digits, as every plugin prints registers (the unit's digest state). */
  dump(): { [reg: string]: string } {
    const out: { [reg: string]: string } = {};
    for (const name of Object.keys(REG) as RegName[]) out[name] = hex64(this.read(name));
    return out;
  }
}
