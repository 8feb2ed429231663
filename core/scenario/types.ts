/**
 * The scenario format (version 1), as the loader returns it after validation.
 * The published JSON Schema is scenarios/scenario.schema.json; the validator
 * (validate.ts) is the authority and names the file and field of each error.
 *
 * A scenario runs once per target. A target chooses the plugin, its options
 * (cache configuration), the devices and the set-up steps that build tables;
 * steps, workloads and expectations are shared by all targets. Steps may name
 * a template (`use`) that each target defines in its own terms, so one
 * "map this page" step becomes flat.map on one plugin and a page-table edit on
 * another.
 */
import type { JsonObject, JsonValue } from '../plugin/contract.js';

export const SCENARIO_FORMAT = 'viommu-scenario';
export const SCENARIO_VERSION = 1;

/** A number that must match exactly, or an inclusive range. */
export type Bound = number | { readonly min?: number; readonly max?: number };

export interface EventExpectation {
  readonly type: string;
  /** Partial match: every key given must be present and equal (recursively). */
  readonly data?: JsonObject;
}

/** What one step's command must produce. */
export interface StepExpectation {
  readonly ok?: boolean;
  /** The command fails with this errno (implies ok: false). */
  readonly errno?: string;
  /** Partial match against the result value. */
  readonly value?: JsonValue;
  /** Events the command must cause, in this order (others may come between). */
  readonly events?: readonly EventExpectation[];
  /** Event types the command must not cause. */
  readonly noEvents?: readonly string[];
}

export interface StatsExpectation {
  readonly translations?: Bound;
  readonly faults?: Bound;
  readonly memReads?: Bound;
  /** Hits / lookups over all of the unit's caches, in [0, 1]. */
  readonly hitRate?: Bound;
}

export interface RunExpectation {
  /** Counters of the target's unit at the end of the run. */
  readonly stats?: StatsExpectation;
  /** Number of records of each type over the whole run. */
  readonly counts?: { readonly [type: string]: Bound };
}

export const WORKLOAD_KINDS = ['streaming', 'random', 'ring', 'multi-pasid', 'churn', 'fault-burst'] as const;
export type WorkloadKind = (typeof WORKLOAD_KINDS)[number];

/** A seeded access-pattern generator (landscape.md §3.2). */
export interface WorkloadSpec {
  readonly kind: WorkloadKind;
  readonly seed: number;
  readonly device: string;
  /** First byte of the region the pattern covers, as "0x..." (the validator takes strings only). */
  readonly iova: string;
  /** Region size in 4 KiB pages. */
  readonly pages: number;
  /** Accesses (churn: map/access/unmap rounds). */
  readonly count: number;
  readonly access?: string;
  /** PASIDs for multi-pasid; a single pasid for the others. */
  readonly pasids?: readonly number[];
  readonly pasid?: number;
  /** Bytes between consecutive accesses of a stream (streaming, ring). Default 4096. */
  readonly stride?: number;
  /** Ring: slots of the ring (pages reused in order). */
  readonly slots?: number;
  /** Fault bursts: accesses per burst; bursts are separated by one clock advance. */
  readonly burst?: number;
  /** Churn: output address of the first mapped page. */
  readonly pa?: string | number;
  /** "summary" (one event per workload, default) or "each" (one event per access). */
  readonly events?: 'summary' | 'each';
}

/** What every kind of step may carry besides its form. */
interface StepCommon {
  readonly label?: string;
  readonly expect?: StepExpectation;
  /** A shared step's expectation per target name, instead of `expect` (a target not named has none). */
  readonly expectByTarget?: { readonly [target: string]: StepExpectation };
  /** Names the step's result for `${name}` references in later steps (see language.ts). */
  readonly as?: string;
}

/** One entry of `steps` or a target's `setup`, as written. */
export type StepSpec =
  | (StepCommon & { readonly kind: 'command'; readonly type: string; readonly data: JsonObject })
  | (StepCommon & { readonly kind: 'use'; readonly use: string; readonly with: JsonObject })
  | (StepCommon & { readonly kind: 'workload'; readonly workload: WorkloadSpec })
  | {
      /** `step` run `count` times with `${index}` = 0..count-1. */
      readonly kind: 'repeat';
      readonly count: number;
      readonly index: string;
      readonly step: StepSpec;
      readonly label?: string;
      readonly as?: undefined;
      readonly expect?: undefined;
      readonly expectByTarget?: undefined;
    };

export interface TemplateCommand {
  readonly type: string;
  readonly data: JsonObject;
}

export interface DeviceSpecInput {
  readonly name: string;
  readonly sid: number;
  readonly pci?: boolean;
  readonly pasidBits?: number;
  readonly ats?: boolean;
  readonly pri?: boolean;
  readonly auxDomain?: boolean;
}

export interface TargetSpec {
  /** Target name (defaults to the plugin name); names the golden log. */
  readonly name: string;
  readonly plugin: string;
  /** Unit options: cache sizes and policies, modes. */
  readonly options?: JsonObject;
  readonly devices: readonly DeviceSpecInput[];
  readonly setup: readonly StepSpec[];
  /** Named command sequences for `use` steps; "$name" strings are replaced by the step's `with` values. */
  readonly templates: { readonly [name: string]: readonly TemplateCommand[] };
  /** Extra expectations for this target only. */
  readonly expect?: RunExpectation;
}

export interface Scenario {
  /** Where it came from (for messages), e.g. scenarios/flat/streaming.scenario.json. */
  readonly file: string;
  readonly format: typeof SCENARIO_FORMAT;
  readonly version: 1;
  readonly id: string;
  readonly title: string;
  readonly description?: string;
  readonly tags: readonly string[];
  readonly kernel: string;
  readonly seed: number;
  readonly memoryBytes: number;
  /** Emit a core.state.digested checkpoint after every N commands (0 = never). */
  readonly checkpointEvery: number;
  readonly targets: readonly TargetSpec[];
  readonly steps: readonly StepSpec[];
  /** More steps, one JSON object per line, run after `steps` and read as they run (step-stream.ts). */
  readonly stepsFile?: string;
  readonly expect?: RunExpectation;
}
