/**
 * `viommu uapi ...`: the layout report, payload checks against the IOMMU core,
 * and the compatibility demo. Exit codes: 0 ok, 1 the call returned an errno
 * (single check), 2 usage, 4 unreadable or invalid input file.
 */
import { readFileSync } from 'node:fs';
import { Argument, Command, CommanderError, Option } from 'commander';
import { hexToBytes } from '../../core/model/hex.js';
import { isKernelName, KERNEL_NAMES, type KernelName } from '../../core/uapi/kernel-versions.js';
import { layoutReport } from '../../core/uapi/layout-report.js';
import { HEADERS, type HeaderVersion } from '../../core/uapi/layouts.js';
import { usage } from '../usage.js';
import { runBatch } from './batch.js';
import { CHECK_OPS, type CheckOp, runCheck } from './check-run.js';
import { compatCases } from './compat-cases.js';
import { type CliIo, EXIT, processIo } from './io.js';
import { renderCheck, renderDemo, renderLayouts } from './render.js';

interface CheckOptions {
  hex?: string;
  readable?: string;
  kernel: string;
  json?: boolean;
  batch?: string;
}

const json = (v: unknown): string => `${JSON.stringify(v, null, 2)}\n`;

function checkAction(io: CliIo, op: string | undefined, o: CheckOptions, cmd: Command): void {
  const kernel: KernelName = isKernelName(o.kernel) ? o.kernel : usage(cmd, `unknown kernel ${o.kernel}`);
  if (o.batch !== undefined) {
    if (op !== undefined || o.hex !== undefined || o.readable !== undefined) {
      usage(cmd, '--batch takes its operations from the file: give no op, --hex or --readable with it');
    }
    let text: string;
    try {
      text = readFileSync(o.batch, 'utf8');
    } catch (e) {
      io.err(`viommu uapi check: cannot read ${o.batch}: ${e instanceof Error ? e.message : String(e)}\n`);
      io.exit(EXIT.BAD_INPUT);
      return;
    }
    const r = runBatch(o.batch, text, kernel);
    for (const l of r.lines) io.out(`${l}\n`);
    if (r.bad > 0) {
      io.err(`viommu uapi check: ${r.bad} invalid line(s) in ${o.batch}\n`);
      io.exit(EXIT.BAD_INPUT);
    }
    return;
  }
  if (op === undefined) usage(cmd, `missing operation (one of ${CHECK_OPS.join(', ')}) or --batch FILE`);
  if (o.hex === undefined) usage(cmd, 'missing --hex HEX (the payload bytes)');
  let payload: Uint8Array;
  try {
    payload = hexToBytes(o.hex, '--hex');
  } catch (e) {
    usage(cmd, (e as Error).message);
  }
  let readable = payload.length;
  if (o.readable !== undefined) {
    if (!/^\d+$/.test(o.readable) || Number(o.readable) > payload.length) {
      usage(
        cmd,
        `--readable must be an integer from 0 to ${payload.length} (the payload length), got ${o.readable}`,
      );
    }
    readable = Number(o.readable);
  }
  const r = runCheck(op as CheckOp, payload, readable, kernel);
  io.out(o.json ? `${JSON.stringify(r)}\n` : renderCheck(r));
  io.exit(r.ok ? EXIT.OK : EXIT.ERRNO);
}

/** Adds `uapi layout`, `uapi check` and `uapi demo` to the program. */
export function registerUapiCommands(program: Command, io: CliIo = processIo): void {
  const uapi = program
    .command('uapi')
    .description('the Linux v5.10 IOMMU UAPI: struct layouts, payload checks, compatibility demo');

  uapi
    .command('layout')
    .description('every UAPI struct with its size and fields (offsets as gcc computes them on x86-64)')
    .addOption(
      new Option('--header <version>', 'header version').choices(Object.keys(HEADERS)).default('v5.10'),
    )
    .option('--json', 'JSON: { struct: { size, fields: [{ name, offset, size }] } }')
    .action((o: { header: HeaderVersion; json?: boolean }) => {
      const report = layoutReport(o.header);
      if (!o.json) return io.out(renderLayouts(report));
      const out = Object.fromEntries(
        Object.entries(report).map(([name, e]) => [
          name,
          { size: e.size, fields: e.fields.map((f) => ({ name: f.name, offset: f.offset, size: f.size })) },
        ]),
      );
      io.out(json(out));
    });

  uapi
    .command('check')
    .description(
      'run the IOMMU core copies and checks on a payload in user memory, as if the vendor accepted everything',
    )
    .addArgument(new Argument('[op]', 'operation').choices(CHECK_OPS))
    .option('--hex <hex>', 'payload bytes as hex (spaces, _ and : allowed)')
    .option(
      '--readable <n>',
      'map only the first n bytes of the payload (default: all); nothing is mapped after it',
    )
    .addOption(new Option('--kernel <version>', 'kernel profile').choices(KERNEL_NAMES).default('v5.10'))
    .option('--json', 'one JSON object; 64-bit values as "0x..." strings')
    .option(
      '--batch <file>',
      'JSON Lines of { "op", "hex", "readable"?, "kernel"?, "id"? }; one JSON result per line',
    )
    .addHelpText(
      'after',
      '\nExit codes: 0 ok, 1 the call returned an errno (single check), 2 usage, 4 unreadable or invalid batch file.',
    )
    .action((op: string | undefined, o: CheckOptions, cmd: Command) => checkAction(io, op, o, cmd));

  uapi
    .command('demo')
    .description("walk the documentation's four compatibility cases through the IOMMU core")
    .option('--json', 'the cases as a JSON array')
    .action((o: { json?: boolean }) => {
      const cases = compatCases();
      io.out(o.json ? json(cases) : renderDemo(cases));
    });
}

/** Runs `viommu <argv>` with only the uapi commands, capturing output: for tests, no build needed. */
export async function runUapiCli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  let code = 0;
  const io: CliIo = {
    out: (s) => {
      stdout += s;
    },
    err: (s) => {
      stderr += s;
    },
    exit: (c) => {
      code = Math.max(code, c);
    },
  };
  const program = new Command('viommu').exitOverride().configureOutput({
    writeOut: (s) => {
      stdout += s;
    },
    writeErr: (s) => {
      stderr += s;
    },
  });
  registerUapiCommands(program, io);
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    code = e.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
  }
  return { code, stdout, stderr };
}
