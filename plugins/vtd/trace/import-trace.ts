/**
 * `viommu trace import`: a QEMU VT-d trace → a scenario in the streamed step
 * form: `NAME.scenario.json` (targets, devices, options; `stepsFile`) beside
 * `NAME.steps.jsonl`, one step object per line exactly as in `steps[]`. The
 * steps file is written while the trace is read, in bounded chunks.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { JsonObject } from '../../../core/plugin/contract.js';
import { capsFromRegisters, qemuAtLeast, qemuCaps, qemuVersion, type VtdCaps } from '../capabilities.js';
import { type ConsoleInfo, consoleBeside, readConsoleLog } from './console-log.js';
import { type ImportSummary, QemuVtdImporter, type TraceLookup } from './qemu-vtd-importer.js';
import { forEachLine, TraceInputError } from './trace-lines.js';

/** What the user tells the importer that the trace cannot. */
export interface TraceRunOptions {
  /** QEMU release the trace came from (default 7.2): its capabilities and IOTLB policy. */
  readonly qemuVersion?: string;
  readonly awBits?: 39 | 48;
  readonly cachingMode?: boolean;
  readonly scalableMode?: boolean;
  /** The console log (phases, CAP/ECAP); default: NAME.console.log beside the trace, if any. */
  readonly console?: string | null;
  /** Simulated memory (bytes): the guest's status-write addresses must lie in its lower half. */
  readonly memoryBytes?: number;
}

export interface ImportResult {
  readonly scenario: string;
  readonly steps: string;
  readonly stepCount: number;
  readonly summary: ImportSummary;
  readonly options: JsonObject;
}

/** 8 GiB: set-up tables go in the upper half (from 4 GiB), above a small guest's RAM. */
export const DEFAULT_TRACE_MEMORY = 2 ** 33;

/** The QEMU release's IOTLB policy: 7.2's page-invalidation mask bug lasted until 9.1. */
export function qemuIotlbPolicy(version: string): 'qemu' | 'qemu-7.2' {
  return qemuAtLeast(version, 9, 1) ? 'qemu' : 'qemu-7.2';
}

export function loadConsole(trace: string, o: TraceRunOptions): ConsoleInfo | null {
  const path = o.console === null ? undefined : (o.console ?? consoleBeside(trace));
  return path === undefined ? null : readConsoleLog(path);
}

/**
 * The unit options of a replay: profile qemu for the release, CAP/ECAP as the guest read them
 * (the console) over what the release advertises, and the mode.
 */
export function replayOptions(
  o: TraceRunOptions,
  mode: 'legacy' | 'scalable',
  maxAw: number,
  con: ConsoleInfo | null,
  ats: boolean,
): JsonObject {
  const version = o.qemuVersion ?? '7.2';
  qemuVersion(version);
  // What the guest read from CAP/ECAP (the console) decides what the options do not.
  const seen = con?.cap != null && con.ecap != null ? capsFromRegisters(con.cap, con.ecap) : null;
  const awBits =
    o.awBits ??
    (seen !== null ? (seen.mgaw >= 48 ? 48 : 39) : maxAw >= 2 ? 48 : maxAw === 1 ? 39 : undefined);
  const cachingMode = o.cachingMode ?? seen?.cm ?? false;
  const scalableMode = o.scalableMode ?? (mode === 'scalable' || (seen?.smts ?? false));
  const deviceIotlb = ats || (seen?.dt ?? false);
  const qemu: JsonObject = {
    version,
    ...(awBits !== undefined ? { awBits } : {}),
    cachingMode,
    scalableMode,
    deviceIotlb,
  };
  const base = qemuCaps({
    version,
    ...(awBits !== undefined ? { awBits } : {}),
    cachingMode,
    scalableMode,
    deviceIotlb,
  });
  const caps: { [k: string]: number | boolean } = {};
  if (seen !== null)
    for (const k of Object.keys(seen) as (keyof VtdCaps)[]) if (seen[k] !== base[k]) caps[k] = seen[k];
  return {
    mode,
    profile: 'qemu',
    qemu,
    ...(Object.keys(caps).length > 0 ? { caps } : {}),
    caches: { iotlb: { entries: 1024, ways: 'full', policy: qemuIotlbPolicy(version) } },
  };
}

/** A step line buffer flushed to a file descriptor in 256 KiB writes. */
class StepWriter {
  readonly #fd: number;
  #buf: string[] = [];
  #size = 0;
  count = 0;
  constructor(path: string) {
    this.#fd = openSync(path, 'w');
  }
  write(step: JsonObject): void {
    const s = `${JSON.stringify(step)}\n`;
    this.#buf.push(s);
    this.#size += s.length;
    this.count++;
    if (this.#size >= 1 << 18) this.flush();
  }
  flush(): void {
    if (this.#buf.length === 0) return;
    writeSync(this.#fd, this.#buf.join(''));
    this.#buf = [];
    this.#size = 0;
  }
  close(): void {
    this.flush();
    closeSync(this.#fd);
  }
}

/** The scenario file name for `--out` (a directory, or a `*.scenario.json` path). */
function outPaths(trace: string, out: string | undefined): { scenario: string; steps: string; id: string } {
  const base = basename(trace).replace(/(\.trace)?\.log(\.gz)?$|\.gz$/, '');
  let scenario: string;
  if (out === undefined) scenario = join(dirname(trace), `${base}.scenario.json`);
  else if (out.endsWith('.scenario.json')) scenario = out;
  else scenario = join(out, `${base}.scenario.json`);
  const stem = basename(scenario).replace(/\.scenario\.json$/, '');
  return { scenario, steps: join(dirname(scenario), `${stem}.steps.jsonl`), id: stem };
}

/** Imports a trace; throws TraceInputError (exit 4) for an unreadable or malformed one. */
export async function importTrace(
  trace: string,
  out: string | undefined,
  o: TraceRunOptions = {},
): Promise<ImportResult> {
  const con = loadConsole(trace, o);
  const paths = outPaths(trace, out);
  let w: StepWriter;
  try {
    w = new StepWriter(paths.steps);
  } catch (e) {
    throw new TraceInputError(`${paths.steps}: cannot write (${(e as Error).message})`, { cause: e });
  }
  const step = (type: string, data: JsonObject, label: string | undefined): void => {
    w.write(label === undefined ? { type, data } : { type, data, label });
  };
  const importer = new QemuVtdImporter(
    {
      command: (type, data, _line, label) => step(type, data, label),
      lookup: (l: TraceLookup, label) =>
        step(
          'device.dma.access',
          { device: l.device, iova: `0x${l.iova.toString(16)}`, access: l.access === 2 ? 'w' : 'r' },
          label,
        ),
    },
    { file: trace, ...(con ? { phases: con.phases } : {}), ...(o.awBits ? { awBits: o.awBits } : {}) },
  );
  try {
    await forEachLine(trace, (line, no) => importer.line(line, no));
  } finally {
    w.close();
  }
  const summary = importer.finish();
  const memoryBytes = o.memoryBytes ?? DEFAULT_TRACE_MEMORY;
  if (summary.maxStatusAddr >= memoryBytes / 2)
    throw new TraceInputError(
      `${trace}: a wait descriptor writes status at 0x${summary.maxStatusAddr.toString(16)}, above half of the simulated memory (use a larger --memory)`,
    );
  const ats = summary.devices.some((d) => d.ats);
  const options = replayOptions(o, summary.mode, summary.maxAw, con, ats);
  const scenario = {
    format: 'viommu-scenario',
    version: 1,
    id: `qemu-vtd/${paths.id}`,
    title: `QEMU VT-d trace ${basename(trace)}: ${summary.lookups} lookups (${summary.hits} IOTLB hits in QEMU), ${summary.descriptors} invalidation descriptors`,
    description: `Imported by viommu trace import from ${basename(trace)} (${summary.lines} lines; ${summary.mode} mode; devices ${summary.devices.map((d) => `${d.name} did ${d.did}${d.ats ? ' ATS' : ''}`).join(', ')}). Mappings are the leaf PTEs the trace shows, kept current in trace order.`,
    tags: ['imported', 'qemu-vtd'],
    kernel: 'v5.10',
    seed: 1,
    memoryBytes,
    targets: [
      {
        name: 'vtd',
        plugin: 'vtd',
        options,
        devices: summary.devices.map((d) => ({ name: d.name, sid: d.sid, ats: d.ats })),
        setup: [],
      },
    ],
    stepsFile: basename(paths.steps),
  };
  try {
    const fd = openSync(paths.scenario, 'w');
    writeSync(fd, `${JSON.stringify(scenario, null, 2)}\n`);
    closeSync(fd);
  } catch (e) {
    throw new TraceInputError(`${paths.scenario}: cannot write (${(e as Error).message})`, { cause: e });
  }
  return { scenario: paths.scenario, steps: paths.steps, stepCount: w.count, summary, options };
}
