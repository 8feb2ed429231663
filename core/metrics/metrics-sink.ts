/**
 * A record sink that tallies a run's invalidations by scope and its simulated time, for
 * unitMetrics(). Which events are invalidations, and of what scope, only the plugin knows: it
 * says so with IommuPlugin.invalidationScope (events of other plugins are not asked about).
 */
import type { LogRecord } from '../events/log/records.js';
import type { IommuPlugin, UnitStats } from '../plugin/contract.js';
import { type UnitMetrics, unitMetrics } from './unit-metrics.js';

export class MetricsSink {
  readonly invalidations: { [scope: string]: number } = {};
  /** Template runs of generator workloads (`workload.ops.issued`), summed. */
  readonly ops: { [template: string]: number } = {};
  /** Time of the last record, ns. */
  lastT = 0;
  readonly #plugin: IommuPlugin<unknown>;
  readonly #prefix: string;

  constructor(plugin: IommuPlugin<unknown>) {
    this.#plugin = plugin;
    this.#prefix = `${plugin.meta.name}.`;
  }

  append(r: LogRecord): void {
    this.lastT = r.t;
    if (r.kind === 'event' && r.type === 'workload.ops.issued') {
      for (const [k, n] of Object.entries((r.data as { ops: { [k: string]: number } }).ops))
        this.ops[k] = (this.ops[k] ?? 0) + n;
    }
    const classify = this.#plugin.invalidationScope;
    if (r.kind !== 'event' || classify === undefined || !r.type.startsWith(this.#prefix)) return;
    const scope = classify(r.type, r.data);
    if (scope !== null) this.invalidations[scope] = (this.invalidations[scope] ?? 0) + 1;
  }

  /** The common metrics of the unit whose final stats are given. */
  metrics(stats: UnitStats): UnitMetrics {
    return unitMetrics(stats, this.invalidations, this.lastT);
  }
}
