/**
 * Programmer errors and unreadable input: the only things that throw. Each
 * carries a stable `code` that tests, the CLI and callers can match on.
 */
export const ERROR_CODES = {
  PLUGIN_INVALID: 'VIOMMU_ERR_PLUGIN_INVALID',
  PLUGIN_DUPLICATE: 'VIOMMU_ERR_PLUGIN_DUPLICATE',
  PLUGIN_CONTRACT_VERSION: 'VIOMMU_ERR_PLUGIN_CONTRACT_VERSION',
  PLUGIN_DEPENDENCY_MISSING: 'VIOMMU_ERR_PLUGIN_DEPENDENCY_MISSING',
  PLUGIN_UNKNOWN: 'VIOMMU_ERR_PLUGIN_UNKNOWN',
  PLUGIN_THREW: 'VIOMMU_ERR_PLUGIN_THREW',
  HOST_FROZEN: 'VIOMMU_ERR_HOST_FROZEN',
  CONFIG_INVALID: 'VIOMMU_ERR_CONFIG_INVALID',
  COMMAND_INVALID: 'VIOMMU_ERR_COMMAND_INVALID',
  COMMAND_UNKNOWN: 'VIOMMU_ERR_COMMAND_UNKNOWN',
  /** A unit's plugin has no saveState/loadState. */
  SNAPSHOT_UNSUPPORTED: 'VIOMMU_ERR_SNAPSHOT_UNSUPPORTED',
  /** A restored run's state digest differs from the one saved with it (a plugin's loadState is incomplete). */
  SNAPSHOT_RESTORE: 'VIOMMU_ERR_SNAPSHOT_RESTORE',
} as const;

export type ViommuErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES] | `VIOMMU_ERR_${string}`;

export class ViommuError extends Error {
  readonly code: ViommuErrorCode;

  constructor(code: ViommuErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ViommuError';
    this.code = code;
  }
}

/** Structural check (works across copies of the module), optionally for one code. */
export function isViommuError(e: unknown, code?: string): e is ViommuError {
  return (
    typeof e === 'object' &&
    e !== null &&
    typeof (e as { code?: unknown }).code === 'string' &&
    (e as { code: string }).code.startsWith('VIOMMU_ERR_') &&
    (code === undefined || (e as { code: string }).code === code)
  );
}
