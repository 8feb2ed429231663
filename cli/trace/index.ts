/**
 * `viommu trace import` and `viommu trace compare`: real QEMU VT-d traces in
 * (docs/traces.md). Exit codes: 0 it ran (compare is a measurement, whatever
 * the agreement), 2 usage, 3 plugin error, 4 unreadable or malformed trace.
 */
import { type Command, Option } from 'commander';
import type { IotlbKey } from '../../plugins/vtd/caches/cache-options.js';
import { compareTrace } from '../../plugins/vtd/trace/compare-trace.js';
import { importTrace, type TraceRunOptions } from '../../plugins/vtd/trace/import-trace.js';
import { type IotlbDesign, parseIotlbDesign } from '../../plugins/vtd/trace/iotlb-design.js';
import { type CliContext, EXIT, processContext } from '../scenario/context.js';
import { reportFatal } from '../scenario/errors.js';
import { renderCompare } from './render-compare.js';

const FORMATS = ['qemu-vtd'];

interface CommonOpts {
  format?: string;
  qemuVersion?: string;
  awBits?: string;
  cachingMode?: boolean;
  scalableMode?: boolean;
  console?: string | false;
  memory?: string;
  json?: boolean;
}

function runOptions(o: CommonOpts): TraceRunOptions {
  const aw = o.awBits === undefined ? undefined : Number(o.awBits);
  if (aw !== undefined && aw !== 39 && aw !== 48) throw new RangeError('--aw-bits: expected 39 or 48');
  const mem = o.memory === undefined ? undefined : Number(o.memory);
  if (mem !== undefined && !(Number.isInteger(mem) && mem >= 1 << 20 && mem % 4096 === 0))
    throw new RangeError('--memory: expected a byte count, a multiple of 4096, at least 1 MiB');
  return {
    ...(o.qemuVersion !== undefined ? { qemuVersion: o.qemuVersion } : {}),
    ...(aw !== undefined ? { awBits: aw as 39 | 48 } : {}),
    ...(o.cachingMode !== undefined ? { cachingMode: o.cachingMode } : {}),
    ...(o.scalableMode !== undefined ? { scalableMode: o.scalableMode } : {}),
    ...(o.console === false ? { console: null } : o.console !== undefined ? { console: o.console } : {}),
    ...(mem !== undefined ? { memoryBytes: mem } : {}),
  };
}

function checkFormat(ctx: CliContext, f: string | undefined): boolean {
  if (f === undefined || FORMATS.includes(f)) return true;
  ctx.err(`viommu trace: unknown --format ${JSON.stringify(f)} (known: ${FORMATS.join(', ')})\n`);
  ctx.exit(EXIT.USAGE);
  return false;
}

function common(c: Command): Command {
  return c
    .addOption(new Option('--format <format>', 'trace format (detected when not given)').choices(FORMATS))
    .option(
      '--qemu-version <v>',
      'QEMU release that wrote the trace: its capabilities and IOTLB policy',
      '7.2',
    )
    .option('--aw-bits <n>', 'intel-iommu aw-bits (39 or 48) when the trace and console do not say')
    .option('--caching-mode', 'the IOMMU had caching-mode=on')
    .option('--scalable-mode', 'the IOMMU had x-scalable-mode=on (also seen in the root-table event)')
    .option(
      '--console <file>',
      'guest console log: phases become labels, CAP/ECAP are read (default: NAME.console.log beside the trace)',
    )
    .option('--no-console', 'ignore a console log beside the trace')
    .option(
      '--memory <bytes>',
      'simulated memory; wait-descriptor status addresses must lie in its lower half',
      String(2 ** 33),
    );
}

export function registerTraceCommands(program: Command, ctx: CliContext = processContext()): void {
  const trace = program
    .command('trace')
    .description('import QEMU VT-d traces, replay them, compare with QEMU');

  common(
    trace
      .command('import <trace>')
      .description(
        'turn a QEMU VT-d trace (log backend, plain or gzip) into a scenario in the streamed step form: NAME.scenario.json + NAME.steps.jsonl',
      )
      .option('--out <path>', 'a directory, or the NAME.scenario.json to write (default: beside the trace)'),
  )
    .option('--json', 'print the import summary as JSON')
    .action(async (file: string, o: CommonOpts & { out?: string }) => {
      if (!checkFormat(ctx, o.format)) return;
      try {
        const r = await importTrace(file, o.out, runOptions(o));
        if (o.json) {
          ctx.out(
            `${JSON.stringify({ ok: true, scenario: r.scenario, steps: r.steps, stepCount: r.stepCount, options: r.options, ...r.summary })}\n`,
          );
          return;
        }
        const s = r.summary;
        ctx.out(`wrote ${r.scenario} and ${r.steps} (${r.stepCount} steps)\n`);
        ctx.out(
          `${s.lines} lines: ${s.lookups} lookups (${s.hits} QEMU IOTLB hits), ${s.descriptors} descriptors, ${s.maps} mappings; ${s.mode} mode\n`,
        );
        for (const d of s.devices)
          ctx.out(
            `  device ${d.name} (sid 0x${d.sid.toString(16)}) domain ${d.did}${d.ats ? ' ATS' : ''}: ${d.lookups} lookups\n`,
          );
        ctx.out(
          `records: ${Object.entries(s.records)
            .map(([k, v]) => `${k} ${v}`)
            .join(', ')}\n`,
        );
        ctx.out(
          `unused: ${
            Object.entries(s.unused)
              .map(([k, v]) => `${k} ${v}`)
              .join(', ') || 'none'
          }\n`,
        );
      } catch (e) {
        reportFatal(ctx, e, Boolean(o.json));
      }
    });

  common(
    trace
      .command('compare <trace>')
      .description(
        "replay a QEMU VT-d trace in process and compare each lookup's IOTLB hit/miss and translation with QEMU's",
      )
      .option(
        '--iotlb <design>',
        "POLICY[:ENTRIES[:WAYS]], repeatable (one row each): qemu (QEMU >= 9.1), qemu-7.2 (REPRODUCES A BUG: QEMU 7.2's 8-bit page-invalidation mask, for 7.x traces), lru, fifo, random (default: the QEMU version's policy)",
        (v: string, prev: string[] | undefined) => [...(prev ?? []), v],
      )
      .addOption(
        new Option(
          '--iotlb-key <key>',
          'IOTLB tag for every design: sid (QEMU) or domain (the architecture); default per policy',
        ).choices(['sid', 'domain']),
      ),
  )
    .option(
      '--json',
      'one JSON object (lookups, recordedHits, simulatedHits, agree, translationsMatched, disagreements, designs)',
    )
    .action(async (file: string, o: CommonOpts & { iotlb?: string[]; iotlbKey?: IotlbKey }) => {
      if (!checkFormat(ctx, o.format)) return;
      let designs: IotlbDesign[];
      let ro: TraceRunOptions;
      try {
        ro = runOptions(o);
        const version = ro.qemuVersion ?? '7.2';
        const specs = o.iotlb ?? [versionPolicy(version)];
        designs = specs.map((s) => parseIotlbDesign(s, o.iotlbKey));
      } catch (e) {
        ctx.err(`viommu trace compare: ${(e as Error).message}\n`);
        ctx.exit(EXIT.USAGE);
        return;
      }
      try {
        const r = await compareTrace(file, designs, ro);
        if (o.json) {
          const first = r.designs[0]!;
          ctx.out(
            `${JSON.stringify({
              ok: true,
              trace: r.trace,
              lines: r.lines,
              lookups: r.lookups,
              recordedHits: r.recordedHits,
              simulatedHits: first.simulatedHits,
              agree: first.agree,
              translationsMatched: first.translationsMatched,
              disagreementCount: first.disagreementCount,
              disagreements: first.disagreements,
              recordedIotlbResets: r.recordedIotlbResets,
              records: r.records,
              unused: r.unused,
              options: r.options,
              designs: r.designs,
            })}\n`,
          );
          return;
        }
        ctx.out(renderCompare(r));
      } catch (e) {
        reportFatal(ctx, e, Boolean(o.json));
      }
    });
}

function versionPolicy(version: string): string {
  const [a, b] = version.split('.').map(Number);
  return (a ?? 0) > 9 || ((a ?? 0) === 9 && (b ?? 0) >= 1) ? 'qemu' : 'qemu-7.2';
}
