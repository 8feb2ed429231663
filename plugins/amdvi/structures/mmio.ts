/**
 * MMIO register offsets and bits (AMD IOMMU spec "MMIO Registers"; reference
 * smmuv3-amdvi.md B.1). Only the registers this model acts on are listed.
 */
export const AMDVI_MMIO = {
  DEV_TAB_BASE: 0x0000,
  CMD_BUF_BASE: 0x0008,
  EVT_LOG_BASE: 0x0010,
  CONTROL: 0x0018,
  EXCL_BASE: 0x0020,
  EXCL_LIMIT: 0x0028,
  EFR: 0x0030,
  PPR_LOG_BASE: 0x0038,
  CMD_HEAD: 0x2000,
  CMD_TAIL: 0x2008,
  EVT_HEAD: 0x2010,
  EVT_TAIL: 0x2018,
  STATUS: 0x2020,
} as const;
export type AmdviMmioName = keyof typeof AMDVI_MMIO;

/** Control register bits (offset 0x18). */
export const AMDVI_CTRL = {
  IOMMUEn: 1n << 0n,
  HTTunEn: 1n << 1n,
  EventLogEn: 1n << 2n,
  EventIntEn: 1n << 3n,
  ComWaitIntEn: 1n << 4n,
  CmdBufEn: 1n << 12n,
  PPRLogEn: 1n << 13n,
  PPRIntEn: 1n << 14n,
  PPREn: 1n << 15n,
  GTEn: 1n << 16n,
  GAEn: 1n << 17n,
  GALogEn: 1n << 28n,
  XTEn: 1n << 50n,
} as const;

/** Control bits for features this model does not have; writing them is refused, never ignored. */
export const CTRL_UNSUPPORTED: readonly (keyof typeof AMDVI_CTRL)[] = [
  'HTTunEn',
  'PPRLogEn',
  'PPRIntEn',
  'PPREn',
  'GTEn',
  'GAEn',
  'GALogEn',
  'XTEn',
];

/** Status register bits (offset 0x2020); the first three are write-1-to-clear. */
export const AMDVI_STATUS = {
  EventOverflow: 1 << 0,
  EventLogInt: 1 << 1,
  ComWaitInt: 1 << 2,
  EventLogRun: 1 << 3,
  CmdBufRun: 1 << 4,
} as const;
export const STATUS_W1C = AMDVI_STATUS.EventOverflow | AMDVI_STATUS.EventLogInt | AMDVI_STATUS.ComWaitInt;

/** Extended Feature Register bits the model reads (offset 0x30; reference B.1). */
export const AMDVI_EFR_BIT = {
  GTSup: 1n << 4n,
  IASup: 1n << 6n,
} as const;

/**
 * Extended Feature Register as this model advertises it: IASup (bit 6) and
 * HATS = 2 (6-level host tables, bits 11:10). No GT, PPR, NX, XT, GA, HE, PC,
 * prefetch: they are not modelled, so they are not advertised (D.2).
 */
export const AMDVI_EFR = AMDVI_EFR_BIT.IASup | (2n << 10n);

/** Queue length field (bits 59:56 of a base register): log2(entries), 8..15 valid. */
export const QUEUE_LEN_MIN = 8;
export const QUEUE_LEN_MAX = 15;
