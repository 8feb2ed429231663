#!/usr/bin/env node
/**
 * The `viommu` command. Every subcommand has --help; exit codes are
 * 0 ok, 1 expectation or replay mismatch, 2 usage, 3 plugin error,
 * 4 unreadable or invalid input file.
 */
import 'reflect-metadata';
import { Command, CommanderError } from 'commander';
import { BUILTIN_PLUGINS } from './builtin-plugins.js';
import { registerLogCommands } from './log/index.js';
import { packageVersion } from './package-root.js';
import { registerPluginCommands } from './plugin/commands.js';
import { registerReportCommands } from './report/index.js';
import { registerScenarioCommands } from './scenario/index.js';
import { registerSweepCommands } from './sweep/index.js';
import { registerTraceCommands } from './trace/index.js';
import { registerUapiCommands } from './uapi/index.js';

export function buildProgram(): Command {
  const program = new Command('viommu')
    .description('Simulate virtual IOMMUs (VT-d, SMMUv3, AMD-Vi) behind the Linux v5.10 IOMMU UAPI')
    .version(packageVersion())
    .showHelpAfterError()
    .exitOverride();
  registerUapiCommands(program);
  registerScenarioCommands(program);
  registerPluginCommands(program, () => BUILTIN_PLUGINS);
  registerTraceCommands(program);
  registerLogCommands(program);
  registerSweepCommands(program);
  registerReportCommands(program);
  return program;
}

// `viommu inspect log | head`: a reader that goes away is not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}

try {
  await buildProgram().parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    // --help and --version exit 0; parse errors are usage errors.
    process.exitCode = e.exitCode === 0 ? 0 : 2;
  } else {
    process.stderr.write(`viommu: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 3;
  }
}
