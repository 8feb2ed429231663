/** The log header: checked when read and when written, encoded with a stable key order. */
import type { JsonValue } from '../../plugin/contract.js';
import { LOG_ERROR_CODES, LogError, type LogErrorCode, type LogLocation } from './errors.js';
import { checkPayload, isPlainObject } from './payload-check.js';
import { LOG_FORMAT, LOG_FORMAT_VERSION, type LogHeader } from './records.js';

const HEADER_KEYS = [
  'kind',
  'format',
  'formatVersion',
  'simulator',
  'plugins',
  'scenario',
  'seed',
  'config',
] as const;

/** The header as one line of JSON, keys in declared order (JSON Lines line 1, binary header frame). */
export function headerJson(h: LogHeader): string {
  return (
    `{"kind":"header","format":${JSON.stringify(h.format)},"formatVersion":${h.formatVersion}` +
    `,"simulator":${JSON.stringify(h.simulator)},"plugins":${JSON.stringify(h.plugins)}` +
    `,"scenario":${JSON.stringify(h.scenario)},"seed":${h.seed},"config":${JSON.stringify(h.config)}}`
  );
}

/**
 * Checks a parsed header and returns it as a fresh LogHeader with keys in
 * declared order. Throws VIOMMU_ERR_LOG_VERSION for a newer formatVersion,
 * VIOMMU_ERR_LOG_CORRUPT (or `code`, for writers) naming the field otherwise.
 */
export function parseHeader(
  value: unknown,
  where: LogLocation,
  code: LogErrorCode = LOG_ERROR_CODES.CORRUPT,
): LogHeader {
  const bad = (field: string, problem: string): never => {
    throw new LogError(code, { ...where, field }, `header: ${field}: ${problem}`);
  };
  if (!isPlainObject(value)) return bad('header', 'expected a JSON object');
  if (value.kind !== 'header')
    bad('kind', `expected "header", got ${JSON.stringify(value.kind) ?? 'nothing'}`);
  if (value.format !== LOG_FORMAT)
    bad('format', `expected "${LOG_FORMAT}", got ${JSON.stringify(value.format) ?? 'nothing'}`);
  const fv = value.formatVersion;
  if (typeof fv !== 'number' || !Number.isSafeInteger(fv) || fv < 1)
    bad('formatVersion', `expected a positive integer, got ${JSON.stringify(fv) ?? 'nothing'}`);
  if ((fv as number) > LOG_FORMAT_VERSION) {
    throw new LogError(
      LOG_ERROR_CODES.VERSION,
      { ...where, field: 'formatVersion' },
      `header: formatVersion ${fv} is newer than this reader (${LOG_FORMAT_VERSION}); use a newer viommu`,
    );
  }
  for (const k of Object.keys(value)) {
    if (!(HEADER_KEYS as readonly string[]).includes(k)) bad(k, 'unexpected field');
  }
  if (typeof value.simulator !== 'string') bad('simulator', 'expected a string');
  if (!isPlainObject(value.plugins)) bad('plugins', 'expected an object of name → version');
  const plugins = value.plugins as Record<string, unknown>;
  for (const name of Object.keys(plugins)) {
    if (typeof plugins[name] !== 'string') bad(`plugins.${name}`, 'expected a version string');
  }
  if (typeof value.scenario !== 'string') bad('scenario', 'expected a string');
  if (typeof value.seed !== 'number' || !Number.isSafeInteger(value.seed))
    bad('seed', 'expected a safe integer');
  if (!('config' in value)) bad('config', 'missing');
  const problem = checkPayload(value.config, 'config', true);
  if (problem) bad(problem.path, problem.problem);
  return {
    kind: 'header',
    format: LOG_FORMAT,
    formatVersion: LOG_FORMAT_VERSION,
    simulator: value.simulator as string,
    plugins: plugins as { [name: string]: string },
    scenario: value.scenario as string,
    seed: value.seed as number,
    config: value.config as JsonValue,
  };
}
