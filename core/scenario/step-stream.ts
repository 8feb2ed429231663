/**
 * Steps from a JSON Lines file (`"stepsFile": "name.steps.jsonl"`, relative to
 * the scenario file): one step object per line, exactly as in `steps[]`. The
 * file is read a window at a time and each line is parsed, checked and
 * compiled only when the run reaches it, so a run of 10^7 steps never holds
 * its steps in memory. Given the plugin host, each line is checked against the
 * catalog before it runs. Errors name the file and the line (exit 4).
 */
import { dirname, resolve } from 'node:path';
import { type ByteSource, ByteWindow, fileSource } from '../events/log/byte-source.js';
import type { JsonValue } from '../plugin/contract.js';
import type { PluginHost } from '../plugin/host.js';
import { streamedStepCheck } from './command-types.js';
import { type CompiledCommand, expand } from './compile.js';
import { SCENARIO_ERROR_CODES, ScenarioError, type ScenarioProblem } from './errors.js';
import type { Scenario, TargetSpec } from './types.js';
import { validateStep } from './validate.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Where a scenario's stepsFile is: relative to the scenario file. */
export function stepsFilePath(scenario: Scenario): string | null {
  return scenario.stepsFile === undefined ? null : resolve(dirname(scenario.file), scenario.stepsFile);
}

/**
 * The compiled commands of the scenario's stepsFile, for `target`, one line at a time. Throws a
 * ScenarioError naming the file and the line for a line that is not a valid step.
 */
export function* streamedCommands(
  scenario: Scenario,
  target: TargetSpec,
  host?: PluginHost,
): Generator<CompiledCommand> {
  const path = stepsFilePath(scenario);
  if (path === null) return;
  const shown = scenario.stepsFile!;
  let source: ByteSource;
  try {
    source = fileSource(path);
  } catch (e) {
    throw new ScenarioError(SCENARIO_ERROR_CODES.UNREADABLE, scenario.file, [
      { path: 'stepsFile', message: `cannot read ${shown}: ${(e as Error).message}` },
    ]);
  }
  const fail = (line: number, message: string): never => {
    throw new ScenarioError(SCENARIO_ERROR_CODES.INVALID, shown, [{ path: `line ${line}`, message }]);
  };
  const plugins = new Set(scenario.targets.map((t) => t.plugin));
  const targets = new Set(scenario.targets.map((t) => t.name));
  const devices = new Set(target.devices.map((d) => d.name));
  // Each line is checked against the catalog before it runs, as steps[] are before the run.
  const check = host === undefined ? null : streamedStepCheck(scenario, target, host);
  const out: CompiledCommand[] = [];
  const problems: ScenarioProblem[] = [];
  try {
    const w = new ByteWindow(source);
    let pos = 0;
    let lineNo = 0;
    while (pos < w.size) {
      // Whole lines of the next window (a line longer than the window makes it grow).
      let want = w.windowBytes;
      let nl = -1;
      for (;;) {
        w.ensure(pos, want);
        for (let i = w.end - w.base - 1, lo = pos - w.base; i >= lo; i--) {
          if (w.bytes[i] === 0x0a) {
            nl = i;
            break;
          }
        }
        if (nl >= 0 || w.end >= w.size) break;
        want = (w.end - pos) * 2;
      }
      // A last line without its newline is a line too.
      const end = nl >= 0 ? w.base + nl + 1 : w.size;
      let text: string;
      try {
        text = utf8.decode(w.bytes.subarray(pos - w.base, end - w.base));
      } catch {
        return fail(lineNo + 1, 'not valid UTF-8');
      }
      pos = end;
      for (const line of (text.endsWith('\n') ? text.slice(0, -1) : text).split('\n')) {
        lineNo++;
        let raw: JsonValue;
        try {
          raw = JSON.parse(line) as JsonValue;
        } catch (e) {
          // Looked at only here: a blank line is not JSON either, and a trim per line costs a string.
          if (line.trim() === '') fail(lineNo, 'empty line (one step object per line)');
          return fail(lineNo, `not valid JSON: ${(e as Error).message}`);
        }
        const where = `${shown} line ${lineNo}`;
        const { step, problems: bad } = validateStep(raw, where, plugins, targets);
        if (step === undefined) throw new ScenarioError(SCENARIO_ERROR_CODES.INVALID, shown, bad);
        const device = step.kind === 'command' ? step.data.device : undefined;
        if (typeof device === 'string' && !devices.has(device))
          fail(lineNo, `device "${device}" is not declared by target "${target.name}"`);
        const wrong = check?.(step, `line ${lineNo}`);
        if (wrong !== undefined && wrong.length > 0)
          throw new ScenarioError(SCENARIO_ERROR_CODES.INVALID, shown, [...wrong]);
        expand(step, where, false, target, out, problems);
        if (problems.length > 0) throw new ScenarioError(SCENARIO_ERROR_CODES.INVALID, shown, problems);
        yield* out;
        out.length = 0;
      }
    }
  } finally {
    source.close();
  }
}
