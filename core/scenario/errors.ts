/**
 * Scenario errors: a ViommuError whose message names the file and the field
 * path of every problem, e.g.
 * `scenarios/vtd/x.scenario.json: steps[3].data.iova: expected "0x..." hex, got 4096`.
 */
import { ViommuError } from '../errors/viommu-error.js';

export const SCENARIO_ERROR_CODES = {
  /** The file is not readable, or not strict JSON (syntax, BOM, duplicate key, too deep or large). */
  UNREADABLE: 'VIOMMU_ERR_SCENARIO_UNREADABLE',
  /** The JSON does not follow the scenario format. */
  INVALID: 'VIOMMU_ERR_SCENARIO_INVALID',
} as const;

export interface ScenarioProblem {
  /** Field path inside the file, e.g. `steps[3].data.iova` ("" for the whole file). */
  readonly path: string;
  readonly message: string;
  /** 1-based line and column in the file, when the problem is one of JSON text. */
  readonly line?: number;
  readonly column?: number;
}

/** `file line L column C: path: message`, or `file: path: message`. */
function describeProblem(file: string, p: ScenarioProblem): string {
  const where = p.line !== undefined ? `${file} line ${p.line} column ${p.column ?? 1}:` : `${file}:`;
  return `${where} ${p.path ? `${p.path}: ` : ''}${p.message}`;
}

export class ScenarioError extends ViommuError {
  readonly file: string;
  readonly problems: readonly ScenarioProblem[];

  constructor(
    code: (typeof SCENARIO_ERROR_CODES)[keyof typeof SCENARIO_ERROR_CODES],
    file: string,
    problems: readonly ScenarioProblem[],
  ) {
    super(code, problems.map((p) => describeProblem(file, p)).join('\n'));
    this.name = 'ScenarioError';
    this.file = file;
    this.problems = problems;
  }
}
