/**
 * `viommu uapi check --batch FILE`: JSON Lines in, one JSON result per line out,
 * in order. A bad line becomes a result line with an "error" naming the file and
 * line; the caller turns any such line into exit code 4.
 */
import { hexToBytes } from '../../core/model/hex.js';
import { isKernelName, KERNEL_NAMES, type KernelName } from '../../core/uapi/kernel-versions.js';
import { CHECK_OPS, isCheckOp, runCheck } from './check-run.js';

const KEYS = new Set(['op', 'hex', 'readable', 'kernel', 'id']);

export interface BatchOutput {
  /** One JSON text per non-blank input line, in order. */
  readonly lines: string[];
  readonly bad: number;
}

/** Parses and checks one input line; a string is the error message for a bad line. */
function checkLine(file: string, n: number, text: string, kernel: KernelName): object | string {
  const where = `${file} line ${n}`;
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch (e) {
    return `${where}: invalid JSON (${e instanceof Error ? e.message : String(e)})`;
  }
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    return `${where}: expected a JSON object`;
  const o = input as { [k: string]: unknown };
  const unknown = Object.keys(o).find((key) => !KEYS.has(key));
  if (unknown !== undefined) return `${where}: unknown field "${unknown}" (allowed: ${[...KEYS].join(', ')})`;
  if (!isCheckOp(o.op))
    return `${where}: "op" must be one of ${CHECK_OPS.join(', ')}, got ${JSON.stringify(o.op)}`;
  if (typeof o.hex !== 'string') return `${where}: "hex" must be a string of hex bytes`;
  let payload: Uint8Array;
  try {
    payload = hexToBytes(o.hex, `${where}: "hex"`);
  } catch (e) {
    return (e as Error).message;
  }
  let readable = payload.length;
  if (o.readable !== undefined) {
    if (
      !Number.isSafeInteger(o.readable) ||
      (o.readable as number) < 0 ||
      (o.readable as number) > payload.length
    ) {
      return `${where}: "readable" must be an integer from 0 to ${payload.length} (the payload length), got ${JSON.stringify(o.readable)}`;
    }
    readable = o.readable as number;
  }
  let k = kernel;
  if (o.kernel !== undefined) {
    if (typeof o.kernel !== 'string' || !isKernelName(o.kernel)) {
      return `${where}: "kernel" must be one of ${KERNEL_NAMES.join(', ')}, got ${JSON.stringify(o.kernel)}`;
    }
    k = o.kernel;
  }
  return { line: n, ...(o.id !== undefined ? { id: o.id } : {}), ...runCheck(o.op, payload, readable, k) };
}

export function runBatch(file: string, text: string, kernel: KernelName): BatchOutput {
  const lines: string[] = [];
  let bad = 0;
  text.split(/\r?\n/).forEach((raw, i) => {
    if (raw.trim() === '') return;
    const r = checkLine(file, i + 1, raw, kernel);
    if (typeof r === 'string') {
      bad++;
      lines.push(JSON.stringify({ line: i + 1, error: r }));
    } else {
      lines.push(JSON.stringify(r));
    }
  });
  return { lines, bad };
}
