/**
 * The guest's serial console of a capture (shared/data/qemu-vtd/guest-init.sh):
 * each line starts with the host time in seconds; `VTDWL phase NAME` marks the
 * start of a workload phase, and the kernel's `DMAR: dmar0: ... cap X ecap Y`
 * line gives the CAP and ECAP registers QEMU advertised.
 */
import { existsSync, readFileSync } from 'node:fs';
import { TraceInputError } from './trace-lines.js';

export interface ConsoleInfo {
  readonly phases: readonly { readonly time: number; readonly name: string }[];
  /** CAP and ECAP as the guest read them, when the console shows them. */
  readonly cap: bigint | null;
  readonly ecap: bigint | null;
}

/** Reads a console log; throws a TraceInputError when it cannot be read. */
export function readConsoleLog(path: string): ConsoleInfo {
  let text: string;
  try {
    text = readFileSync(path, 'latin1');
  } catch (e) {
    throw new TraceInputError(`${path}: cannot read the console log (${(e as Error).message})`, { cause: e });
  }
  const phases: { time: number; name: string }[] = [];
  let cap: bigint | null = null;
  let ecap: bigint | null = null;
  for (const line of text.split('\n')) {
    const t = /^(\d+(?:\.\d+)?) /.exec(line);
    const ph = /VTDWL phase (\S+)/.exec(line);
    if (ph !== null && t !== null) phases.push({ time: Number(t[1]), name: ph[1]! });
    const c = /DMAR: dmar\d+: .*\bcap ([0-9a-f]+) ecap ([0-9a-f]+)/i.exec(line);
    if (c !== null && cap === null) {
      cap = BigInt(`0x${c[1]}`);
      ecap = BigInt(`0x${c[2]}`);
    }
  }
  phases.sort((a, b) => a.time - b.time);
  return { phases, cap, ecap };
}

/** The console log captured beside a trace (`NAME.trace.log[.gz]` → `NAME.console.log`), if present. */
export function consoleBeside(tracePath: string): string | undefined {
  const p = tracePath.replace(/\.trace\.log(\.gz)?$/, '.console.log');
  return p !== tracePath && existsSync(p) ? p : undefined;
}
