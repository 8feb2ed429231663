/** Usage errors of the `viommu` subcommands: the message, then the command's help, exit code 2. */
import type { Command } from 'commander';

/** Ends the command with a usage error (exit code 2 in every subcommand's table). */
export function usage(cmd: Command, message: string): never {
  cmd.error(`error: ${message}`, { exitCode: 2, code: 'viommu.usage' });
}
