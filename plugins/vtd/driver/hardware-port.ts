/**
 * The part of vtd-hw's VtdHardware the driver uses (plugins/vtd/SEAM.md),
 * stated structurally so the driver's tests can run against a small fake and
 * the real VtdHardware fits without an adapter.
 */
import type { PhysMemory } from '../../../core/memory/phys-memory.js';
import type { VtdCaps } from '../capabilities.js';

/** CAP/ECAP fields the driver reads (VtdCaps names), plus SMPWC which VtdCaps may add later. */
export type DriverCaps = Pick<
  VtdCaps,
  'nest' | 'srs' | 'eafs' | 'fl5lp' | 'dt' | 'cm' | 'prs' | 'smts' | 'sagaw' | 'dit'
> & {
  /** ECAP.SMPWC: scalable-mode page-walk coherency (the kernel sets the PASID entry's PWSNP from it). */
  readonly smpwc?: boolean;
};

/** The host (second-level) domain a device is attached to. */
export interface DriverHostDomain {
  readonly did: number;
  /** Physical address of the second-level root. */
  readonly slptptr: number;
  readonly levels: 3 | 4 | 5;
  readonly agaw: number;
  readonly nesting: boolean;
  /** Highest second-level address mapped so far (the kernel's domain->max_addr). */
  readonly maxAddr: bigint;
}

export interface SubmitResult {
  readonly processed: number;
  readonly error: null | { readonly index: number; readonly reason: string };
}

export interface DriverHardware {
  readonly unitId?: string;
  readonly caps: DriverCaps;
  readonly memory: PhysMemory;
  /** Runs queued-invalidation descriptors with IQE semantics. */
  submitDescriptors(descs: readonly (readonly bigint[])[]): SubmitResult;
  /** Physical address of the scalable-mode PASID-table entry, allocating PASID-table pages when asked. */
  pasidEntryAddress(sid: number, pasid: number, allocate: boolean): number | undefined;
  hostDomainOf(sid: number): DriverHostDomain | undefined;
  /** The invalidation queue's error state: the kernel clears FSTS.IQE after a bad descriptor. */
  readonly qi?: { clearError(): void };
}
