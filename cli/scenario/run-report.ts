/**
 * The machine report of `viommu run` (--reporter json): a record per run, a summary per plugin,
 * and the exit code's verdict. Built from run entries, or from the records of merged shards: the
 * same records give the same bytes.
 */
import { divergenceJson } from '../../core/replay/describe.js';
import { EXIT } from './context.js';
import type { RunEntry } from './run-scenarios.js';

/** A run as the JSON report writes it: no exit code, time or exception object, the divergence as JSON. */
export type RunRecord = Omit<RunEntry, 'divergence' | 'exit' | 'seconds' | 'pluginError'> & {
  readonly divergence: ReturnType<typeof divergenceJson> | null;
};

type Counted = Pick<RunEntry, 'plugin' | 'status' | 'events' | 'translations' | 'iotlbHits' | 'iotlbLookups'>;

export interface PluginSummary {
  plugin: string;
  scenarios: number;
  passed: number;
  failed: number;
  skipped: number;
  events: number;
  translations: number;
  iotlbHitRate: number | null;
}

export function summarise(entries: readonly Counted[]): PluginSummary[] {
  const by = new Map<string, PluginSummary & { hits: number; lookups: number }>();
  for (const e of entries) {
    let s = by.get(e.plugin);
    if (!s) {
      s = {
        plugin: e.plugin,
        scenarios: 0,
        passed: 0,
        failed: 0,
        skipped: 0,
        events: 0,
        translations: 0,
        iotlbHitRate: null,
        hits: 0,
        lookups: 0,
      };
      by.set(e.plugin, s);
    }
    s.scenarios++;
    if (e.status === 'passed') s.passed++;
    else if (e.status === 'skipped') s.skipped++;
    else s.failed++;
    s.events += e.events;
    s.translations += e.translations;
    s.hits += e.iotlbHits;
    s.lookups += e.iotlbLookups;
  }
  return [...by.values()].map(({ hits, lookups, ...s }) => ({
    ...s,
    iotlbHitRate: lookups ? hits / lookups : null,
  }));
}

export function runRecord(entry: RunEntry): RunRecord {
  const { divergence, exit: _exit, seconds: _seconds, pluginError: _pluginError, ...e } = entry;
  return { ...e, divergence: divergence ? divergenceJson(divergence) : null };
}

/**
 * The exit code of a list of runs: the worst run's; a plugin error when every run was skipped;
 * at least `floor` (what is wrong with the whole command: no files, a filter matching nothing).
 */
export function runsExitCode(
  runs: readonly { readonly exit: number; readonly status: RunEntry['status'] }[],
  floor: number,
): number {
  let code = Math.max(EXIT.OK, floor, ...runs.map((e) => e.exit));
  if (runs.length > 0 && runs.every((e) => e.status === 'skipped')) code = Math.max(code, EXIT.PLUGIN);
  return code;
}

/** The --reporter json text. */
export function encodeRunReport(runs: readonly RunRecord[], out: string | null, code: number): string {
  const report = {
    // What the exit code says: a run of nothing (no files, a filter that matches nothing) is not ok.
    ok: code === EXIT.OK,
    logs: out,
    summary: summarise(runs),
    runs,
  };
  return `${JSON.stringify(report, null, 2)}\n`;
}
