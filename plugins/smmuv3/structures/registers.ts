/**
 * The MMIO registers this model implements (SMMUv3 spec 6.3; reference A.1),
 * by name with their page-0 offsets, and the bit fields the model reads.
 */
export const REG = {
  IDR0: 0x00,
  IDR1: 0x04,
  IDR3: 0x0c,
  IDR5: 0x14,
  AIDR: 0x1c,
  CR0: 0x20,
  CR0ACK: 0x24,
  GBPA: 0x44,
  IRQ_CTRL: 0x50,
  GERROR: 0x60,
  GERRORN: 0x64,
  STRTAB_BASE: 0x80,
  STRTAB_BASE_CFG: 0x88,
  CMDQ_BASE: 0x90,
  CMDQ_PROD: 0x98,
  CMDQ_CONS: 0x9c,
  EVTQ_BASE: 0xa0,
  EVTQ_PROD: 0xa8,
  EVTQ_CONS: 0xac,
} as const;
export type RegName = keyof typeof REG;

/** Registers software may write (the rest are read-only or written by the SMMU). */
export const WRITABLE_REGS: readonly RegName[] = [
  'CR0',
  'GBPA',
  'IRQ_CTRL',
  'GERRORN',
  'STRTAB_BASE',
  'STRTAB_BASE_CFG',
  'CMDQ_BASE',
  'CMDQ_PROD',
  'EVTQ_BASE',
  'EVTQ_CONS',
];

export const CR0 = { SMMUEN: 1 << 0, PRIQEN: 1 << 1, EVTQEN: 1 << 2, CMDQEN: 1 << 3 } as const;
export const GBPA = { ABORT: 1 << 20, UPDATE: 1 << 31 } as const;
export const GERROR = { CMDQ_ERR: 1 << 0, EVTQ_ABT_ERR: 1 << 2 } as const;
export const IRQ_CTRL = { GERROR_IRQEN: 1 << 0, PRIQ_IRQEN: 1 << 1, EVTQ_IRQEN: 1 << 2 } as const;

/** STRTAB_BASE: address 51:6. STRTAB_BASE_CFG: LOG2SIZE 5:0, SPLIT 10:6, FMT 17:16. */
export const STRTAB_FMT = { LINEAR: 0, TWO_LEVEL: 1 } as const;
/** SPLIT values the spec allows: 4 KiB, 16 KiB or 64 KiB level-2 tables. */
export const STRTAB_SPLITS: readonly number[] = [6, 8, 10];

/** Queue base registers: address 51:5, LOG2SIZE 4:0. */
export function queueBaseAddr(v: number): number {
  return v - (v % 32);
}
export function queueLog2Size(v: number): number {
  return v % 32;
}

/** CMDQ_CONS.ERR (30:24). */
export const CONS_ERR_SHIFT = 24;
/** EVTQ_PROD.OVFLG (bit 31). */
export const PROD_OVFLG = 0x8000_0000;

/** Index part (wrap bit included) of a PROD/CONS value for a queue of 2^log2 entries. */
export function queueIndex(v: number, log2: number): number {
  return v % 2 ** (log2 + 1);
}

/** True when a queue with these PROD/CONS index values is full (same index, different wrap). */
export function queueFull(prod: number, cons: number, log2: number): boolean {
  const n = 2 ** log2;
  return prod % n === cons % n && prod !== cons;
}
