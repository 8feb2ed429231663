/**
 * SMMUv3 event codes (spec 7.3; reference A.6) and command-queue error codes
 * (spec 7.1), with the spec's names, and their cross-architecture FAULT_KIND.
 */
import { FAULT_KIND, type FaultKind } from '../../core/model/translation.js';

export const SMMU_EVENT = {
  F_UUT: 0x01,
  C_BAD_STREAMID: 0x02,
  F_STE_FETCH: 0x03,
  C_BAD_STE: 0x04,
  F_BAD_ATS_TREQ: 0x05,
  F_STREAM_DISABLED: 0x06,
  F_TRANSL_FORBIDDEN: 0x07,
  C_BAD_SUBSTREAMID: 0x08,
  F_CD_FETCH: 0x09,
  C_BAD_CD: 0x0a,
  F_WALK_EABT: 0x0b,
  F_TRANSLATION: 0x10,
  F_ADDR_SIZE: 0x11,
  F_ACCESS: 0x12,
  F_PERMISSION: 0x13,
  F_TLB_CONFLICT: 0x20,
  F_CFG_CONFLICT: 0x21,
  E_PAGE_REQUEST: 0x24,
  F_VMS_FETCH: 0x25,
} as const;
export type SmmuEventCode = (typeof SMMU_EVENT)[keyof typeof SMMU_EVENT];

/** Event names by code, for events and reports. */
export const SMMU_EVENT_NAME: { readonly [code: number]: string } = Object.fromEntries(
  Object.entries(SMMU_EVENT).map(([k, v]) => [v, k]),
);

/** Event record CLASS field (dw1 41:40): what was being fetched or translated when the fault happened. */
export const EVENT_CLASS = { CD: 0b00, TTD: 0b01, IN: 0b10 } as const;

/** CMDQ_CONS.ERR codes (spec 7.1). */
export const CERROR = { NONE: 0x00, ILL: 0x01, ABT: 0x02, ATC_INV_SYNC: 0x03 } as const;

/** The events this model generates: each has a test (faults.test.ts, translate.test.ts). */
export const GENERATED_EVENTS: readonly SmmuEventCode[] = [
  SMMU_EVENT.C_BAD_STREAMID,
  SMMU_EVENT.F_STE_FETCH,
  SMMU_EVENT.C_BAD_STE,
  SMMU_EVENT.F_BAD_ATS_TREQ,
  SMMU_EVENT.C_BAD_SUBSTREAMID,
  SMMU_EVENT.F_CD_FETCH,
  SMMU_EVENT.C_BAD_CD,
  SMMU_EVENT.F_WALK_EABT,
  SMMU_EVENT.F_TRANSLATION,
  SMMU_EVENT.F_ADDR_SIZE,
  SMMU_EVENT.F_ACCESS,
  SMMU_EVENT.F_PERMISSION,
];

/** Cross-architecture kind of an event code. */
export function faultKindOf(code: number): FaultKind {
  switch (code) {
    case SMMU_EVENT.F_TRANSLATION:
      return FAULT_KIND.TRANSLATION;
    case SMMU_EVENT.F_PERMISSION:
      return FAULT_KIND.PERMISSION;
    case SMMU_EVENT.F_ADDR_SIZE:
      return FAULT_KIND.ADDRESS_SIZE;
    case SMMU_EVENT.F_ACCESS:
      return FAULT_KIND.ACCESS_FLAG;
    case SMMU_EVENT.C_BAD_SUBSTREAMID:
      return FAULT_KIND.BAD_PASID;
    case SMMU_EVENT.F_STE_FETCH:
    case SMMU_EVENT.F_CD_FETCH:
    case SMMU_EVENT.F_WALK_EABT:
      return FAULT_KIND.WALK_ABORT;
    case SMMU_EVENT.F_BAD_ATS_TREQ:
      return FAULT_KIND.NOT_MODELLED;
    default:
      return FAULT_KIND.BAD_CONFIG;
  }
}

/** Translation-class faults: recorded only when CD.R (stage 1) or STE.S2R (stage 2) is set. */
export function isTranslationClass(code: number): boolean {
  return code >= SMMU_EVENT.F_TRANSLATION && code <= SMMU_EVENT.F_PERMISSION;
}
