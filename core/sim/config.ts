/**
 * The set-up of one simulation run: seed, kernel version, memory, IOMMU units
 * and the devices behind them. Recorded in the event log header, so a log can
 * rebuild the simulator it came from.
 */
import type { DeviceConfig, JsonObject } from '../plugin/contract.js';

export interface UnitSpec {
  /** Unit instance id, e.g. "vtd0". */
  readonly id: string;
  /** Plugin name, e.g. "vtd". */
  readonly plugin: string;
  readonly options?: JsonObject;
}

export interface DeviceSpec {
  readonly name: string;
  readonly unit: string;
  readonly sid: number;
  readonly pci?: boolean;
  readonly pasidBits?: number;
  readonly ats?: boolean;
  readonly pri?: boolean;
  readonly auxDomain?: boolean;
}

/** Virtual-time costs (ns) the simulator charges; a rough latency model for comparing designs. */
export interface TimingSpec {
  /** Every command. */
  readonly command: number;
  /** Every DMA translation, on top of `command`. */
  readonly translation: number;
  /** Each table read a translation makes. */
  readonly memRead: number;
}

export interface SimConfig {
  readonly seed: number;
  /** Kernel version whose UAPI constants apply ("v5.10", "v5.13", ...). */
  readonly kernel: string;
  /** Simulated physical memory in bytes. */
  readonly memoryBytes: number;
  readonly units: readonly UnitSpec[];
  readonly devices: readonly DeviceSpec[];
  readonly timing?: TimingSpec;
}

export const DEFAULT_TIMING: TimingSpec = { command: 10, translation: 5, memRead: 80 };

export function deviceConfig(d: DeviceSpec): DeviceConfig {
  return {
    name: d.name,
    unit: d.unit,
    sid: d.sid,
    pci: d.pci ?? true,
    pasidBits: d.pasidBits ?? 20,
    ats: d.ats ?? false,
    pri: d.pri ?? false,
    auxDomain: d.auxDomain ?? false,
  };
}
