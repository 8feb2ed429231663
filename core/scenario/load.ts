/**
 * Reading scenario files: one file, or every `*.scenario.json` under a
 * directory (sorted, so runs are in a stable order). JSON problems (syntax,
 * a BOM, duplicate keys, too deep or too large) name the line, column and
 * path; format errors come from validate.ts.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { DEFAULT_JSON_LIMITS, JsonInputError, parseStrictJson } from '../json/strict-json.js';
import type { JsonValue } from '../plugin/contract.js';
import { SCENARIO_ERROR_CODES, ScenarioError } from './errors.js';
import { checkNames } from './language.js';
import type { Scenario } from './types.js';
import { validateScenario } from './validate.js';

export const SCENARIO_SUFFIX = '.scenario.json';

/**
 * Parses scenario JSON text strictly (no BOM, no duplicate keys, nesting and size limited: see
 * core/json/strict-json.ts) and validates it; `file` is the name used in messages.
 */
export function parseScenario(text: string, file: string): Scenario {
  let raw: JsonValue;
  try {
    raw = parseStrictJson(text, file);
  } catch (e) {
    if (!(e instanceof JsonInputError)) throw e;
    const { line, column, path, message } = e.problem;
    throw new ScenarioError(SCENARIO_ERROR_CODES.UNREADABLE, file, [{ path, message, line, column }]);
  }
  const scenario = validateScenario(raw, file);
  const problems = checkNames(scenario);
  if (problems.length > 0) throw new ScenarioError(SCENARIO_ERROR_CODES.INVALID, file, problems);
  return scenario;
}

/** Reads and validates one scenario file. `shownAs` is how messages name it (default: the path). */
export function loadScenarioFile(path: string, shownAs = path): Scenario {
  let text: string;
  try {
    const size = statSync(path).size;
    if (size > DEFAULT_JSON_LIMITS.maxChars)
      throw new Error(`${size} bytes is larger than the limit of ${DEFAULT_JSON_LIMITS.maxChars}`);
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ScenarioError(SCENARIO_ERROR_CODES.UNREADABLE, shownAs, [
      { path: '', message: `cannot read: ${(e as Error).message}` },
    ]);
  }
  return parseScenario(text, shownAs);
}

/** Paths of every scenario file under `dir` (recursive), sorted. A file path is returned as is. */
export function findScenarioFiles(pathOrDir: string): string[] {
  if (!statSync(pathOrDir).isDirectory()) return [pathOrDir];
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    )) {
      if (e.isDirectory()) walk(join(d, e.name));
      else if (e.name.endsWith(SCENARIO_SUFFIX)) out.push(join(d, e.name));
    }
  };
  walk(pathOrDir);
  return out;
}

/** Relative path with forward slashes, for stable messages and ids. */
export function displayPath(path: string, base = process.cwd()): string {
  return relative(base, path).split('\\').join('/') || path;
}
