/**
 * Scenario errors: a ViommuError whose message names the file and the field
 * path of every problem, e.g.
 * `scenarios/vtd/x.scenario.json: steps[3].data.iova: expected "0x..." hex, got 4096`.
 */
import { ViommuError } from '../errors/viommu-error.js';

export const SCENARIO_ERROR_CODES = {
  /** The file is not readable or not JSON. */
  UNREADABLE: 'VIOMMU_ERR_SCENARIO_UNREADABLE',
  /** The JSON does not follow the scenario format. */
  INVALID: 'VIOMMU_ERR_SCENARIO_INVALID',
} as const;

export interface ScenarioProblem {
  /** Field path inside the file, e.g. `steps[3].data.iova` ("" for the whole file). */
  readonly path: string;
  readonly message: string;
}

export class ScenarioError extends ViommuError {
  readonly file: string;
  readonly problems: readonly ScenarioProblem[];

  constructor(
    code: (typeof SCENARIO_ERROR_CODES)[keyof typeof SCENARIO_ERROR_CODES],
    file: string,
    problems: readonly ScenarioProblem[],
  ) {
    super(code, problems.map((p) => `${file}: ${p.path ? `${p.path}: ` : ''}${p.message}`).join('\n'));
    this.name = 'ScenarioError';
    this.file = file;
    this.problems = problems;
  }
}
