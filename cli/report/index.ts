/** `viommu report`: the sweep report command. */
import type { Command } from 'commander';
import { type CliContext, processContext } from '../scenario/context.js';
import { registerReport } from './report-command.js';

export function registerReportCommands(program: Command, ctx: CliContext = processContext()): void {
  registerReport(program, ctx);
}
