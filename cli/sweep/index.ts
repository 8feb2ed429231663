/** The design-comparison commands of `viommu`: sweep and merge. */
import type { Command } from 'commander';
import { type CliContext, processContext } from '../scenario/context.js';
import { registerMerge } from './merge-command.js';
import { registerSweep } from './sweep-command.js';

export function registerSweepCommands(program: Command, ctx: CliContext = processContext()): void {
  registerSweep(program, ctx);
  registerMerge(program, ctx);
}
