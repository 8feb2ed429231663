/**
 * The declarative layout kit lives in core/bits/layout.ts (VT-d's queued-invalidation codec uses
 * it too). This re-export keeps commands.ts's import until the command catalog rewrites that file.
 */
export * from '../../../core/bits/layout.js';
