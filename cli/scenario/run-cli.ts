/**
 * Runs the scenario commands (and sweep and merge, which also joins `run --shard` outputs) in-process with captured output, for end-to-end
 * tests that need no build: commander's exitOverride turns --help and usage
 * errors into exit codes (0 and 2) instead of process.exit.
 */
import { Command, CommanderError } from 'commander';
import type { AnyPlugin } from '../../core/plugin/host.js';
import { BUILTIN_PLUGINS } from '../builtin-plugins.js';
import { registerSweepCommands } from '../sweep/index.js';
import { registerTraceCommands } from '../trace/index.js';
import { type CliContext, EXIT } from './context.js';
import { registerScenarioCommands } from './index.js';

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunCliOptions {
  readonly cwd?: string;
  readonly plugins?: readonly AnyPlugin[];
  /** Pretend stderr is a terminal (progress bars). */
  readonly tty?: boolean;
  /** Behave as with the CI variable set (a missing golden fails); default false, whatever the environment. */
  readonly ci?: boolean;
}

/** `args` without the program name, e.g. ['run', 'scenarios', '--json']. */
export async function runCli(args: readonly string[], options: RunCliOptions = {}): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  let code = 0;
  const ctx: CliContext = {
    out: (t) => {
      stdout += t;
    },
    err: (t) => {
      stderr += t;
    },
    progress: options.tty ?? false,
    plugins: () => options.plugins ?? BUILTIN_PLUGINS,
    exit: (c) => {
      code = Math.max(code, c);
    },
    cwd: options.cwd ?? process.cwd(),
    ci: options.ci ?? false,
  };
  const program = new Command('viommu')
    .exitOverride()
    .configureOutput({ writeOut: ctx.out, writeErr: ctx.err })
    .showHelpAfterError();
  registerScenarioCommands(program, ctx);
  registerSweepCommands(program, ctx);
  registerTraceCommands(program, ctx);
  try {
    await program.parseAsync([...args], { from: 'user' });
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    code = e.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
  }
  return { code, stdout, stderr };
}
