/**
 * Root table entries (reference/vtd.md §1.1): 256 × 128-bit entries indexed by
 * PCI bus. Legacy: P + CTP. Scalable: a lower half (devfn 0..127) and an upper
 * half (devfn 128..255), each with its own present bit and table pointer.
 */
import type { PhysMemory } from '../../../core/memory/phys-memory.js';

export interface LegacyRootEntry {
  readonly P: boolean;
  /** Context-table pointer (HPA). */
  readonly CTP: bigint;
}

export interface ScalableRootEntry {
  readonly LP: boolean;
  readonly LCTP: bigint;
  readonly UP: boolean;
  readonly UCTP: bigint;
}

const ADDR = 0xffff_ffff_ffff_f000n;

/** Reserved bits: legacy qw0 11:1 and all of qw1; scalable qw0 11:1 and qw1 11:1. */
export const LEGACY_ROOT_RSVD: readonly [bigint, bigint] = [0xffen, 0xffff_ffff_ffff_ffffn];
export const SCALABLE_ROOT_RSVD: readonly [bigint, bigint] = [0xffen, 0xffen];

export function encodeLegacyRoot(e: LegacyRootEntry): [bigint, bigint] {
  return [(e.P ? 1n : 0n) | (e.CTP & ADDR), 0n];
}

export function decodeLegacyRoot(qw: readonly bigint[]): LegacyRootEntry {
  return { P: ((qw[0] ?? 0n) & 1n) === 1n, CTP: (qw[0] ?? 0n) & ADDR };
}

export function encodeScalableRoot(e: ScalableRootEntry): [bigint, bigint] {
  return [(e.LP ? 1n : 0n) | (e.LCTP & ADDR), (e.UP ? 1n : 0n) | (e.UCTP & ADDR)];
}

export function decodeScalableRoot(qw: readonly bigint[]): ScalableRootEntry {
  const lo = qw[0] ?? 0n;
  const hi = qw[1] ?? 0n;
  return { LP: (lo & 1n) === 1n, LCTP: lo & ADDR, UP: (hi & 1n) === 1n, UCTP: hi & ADDR };
}

/** Address of the root entry for `bus` in the table at `rta`. */
export function rootEntryAddress(rta: number, bus: number): number {
  return rta + 16 * (bus & 0xff);
}

export function writeEntry128(mem: PhysMemory, pa: number, qw: readonly bigint[]): void {
  mem.write64(pa, qw[0] ?? 0n);
  mem.write64(pa + 8, qw[1] ?? 0n);
}

export function readEntry128(mem: PhysMemory, pa: number): [bigint, bigint] | undefined {
  const a = mem.read64(pa);
  const b = mem.read64(pa + 8);
  return a === undefined || b === undefined ? undefined : [a, b];
}
