/**
 * What the scenario commands need from the outside world, so tests can run
 * them in-process: output streams, whether stderr is a terminal, the plugins,
 * and where the exit code goes.
 */

import type { AnyPlugin } from '../../core/plugin/host.js';
import { BUILTIN_PLUGINS } from '../builtin-plugins.js';

export const EXIT = {
  OK: 0,
  /** An expectation failed, a golden or a replay did not match, two logs differ. */
  MISMATCH: 1,
  USAGE: 2,
  /** A plugin is missing, invalid, or threw while loading. */
  PLUGIN: 3,
  /** A scenario or log file is unreadable or invalid. */
  INPUT: 4,
} as const;

export interface CliContext {
  out(text: string): void;
  err(text: string): void;
  /** Progress bars only when stderr is a terminal and not in CI. */
  readonly progress: boolean;
  readonly plugins: () => readonly AnyPlugin[];
  /** Records the exit code; the worst (highest) code wins. */
  exit(code: number): void;
  /** Base for relative display paths. */
  readonly cwd: string;
  /** The CI environment variable is set (not "false" or "0"): `viommu run` requires golden logs. */
  readonly ci?: boolean;
}

/** The CI variable set to anything but an empty string, "false" or "0" (what CI services export). */
export function isCi(env: NodeJS.ProcessEnv): boolean {
  const v = env.CI;
  return v !== undefined && v !== '' && v !== 'false' && v !== '0';
}

export function processContext(): CliContext {
  return {
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
    progress: Boolean(process.stderr.isTTY) && !process.env.CI,
    plugins: () => BUILTIN_PLUGINS,
    exit: (code) => {
      process.exitCode = Math.max(Number(process.exitCode ?? 0), code);
    },
    cwd: process.cwd(),
    ci: isCi(process.env),
  };
}
