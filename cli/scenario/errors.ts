/** Mapping thrown errors to exit codes and messages (style-anchors §4.6). */
import { ERROR_CODES, isViommuError } from '../../core/errors/viommu-error.js';
import { type CliContext, EXIT } from './context.js';

export function exitCodeFor(e: unknown): number {
  if (isViommuError(e)) {
    if (
      e.code.startsWith('VIOMMU_ERR_LOG_') ||
      e.code.startsWith('VIOMMU_ERR_SCENARIO_') ||
      (e.code.startsWith('VIOMMU_ERR_SNAPSHOT_') &&
        e.code !== ERROR_CODES.SNAPSHOT_UNSUPPORTED &&
        e.code !== ERROR_CODES.SNAPSHOT_RESTORE) ||
      e.code === 'VIOMMU_ERR_INPUT'
    ) {
      return EXIT.INPUT;
    }
    return EXIT.PLUGIN;
  }
  if (typeof e === 'object' && e !== null && typeof (e as { code?: unknown }).code === 'string') {
    const code = (e as { code: string }).code;
    if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR') return EXIT.INPUT;
  }
  return EXIT.PLUGIN;
}

export function errorCode(e: unknown): string {
  const c = typeof e === 'object' && e !== null ? (e as { code?: unknown }).code : undefined;
  return typeof c === 'string' ? c : 'VIOMMU_ERR_INTERNAL';
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Reports an error that ends a command: JSON on stdout with --json, else a message on stderr. */
export function reportFatal(ctx: CliContext, e: unknown, json: boolean): void {
  const code = exitCodeFor(e);
  if (json)
    ctx.out(`${JSON.stringify({ ok: false, error: { code: errorCode(e), message: errorMessage(e) } })}\n`);
  else ctx.err(`viommu: ${errorMessage(e)}\n`);
  ctx.exit(code);
}
