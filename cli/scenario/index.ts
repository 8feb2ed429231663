/**
 * The scenario and log commands of `viommu`: run, replay, inspect, diff.
 * `registerScenarioCommands(program)` adds them to the main program; tests
 * pass their own context (captured output, exit code) through runCli.
 */
import type { Command } from 'commander';
import { type CliContext, processContext } from './context.js';
import { registerDiff } from './diff-command.js';
import { registerInspect } from './inspect-command.js';
import { registerReplay } from './replay-command.js';
import { registerRun } from './run-command.js';

export type { CliContext } from './context.js';
export { EXIT } from './context.js';
export { type CliResult, runCli } from './run-cli.js';

export function registerScenarioCommands(program: Command, ctx: CliContext = processContext()): void {
  registerRun(program, ctx);
  registerReplay(program, ctx);
  registerInspect(program, ctx);
  registerDiff(program, ctx);
}
