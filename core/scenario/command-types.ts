/**
 * Before a run: a command type in a core scope must be one the core handles, and one in the
 * target's plugin scope one the plugin declares (`meta.commands`), so a misspelled type is an
 * invalid scenario (exit 4, naming the file and the step) instead of a step that quietly answers
 * EOPNOTSUPP. A plugin that declares no list has its scope left to run time, and so does another
 * target's plugin scope (such a step fails on this target, as it always did).
 */
import type { PluginMeta } from '../plugin/contract.js';
import type { Simulator } from '../sim/simulator.js';
import type { CompiledCommand } from './compile.js';
import { SCENARIO_ERROR_CODES, ScenarioError, type ScenarioProblem } from './errors.js';
import { CORE_SCOPES } from './validate.js';

export function checkCommandTypes(
  file: string,
  commands: readonly CompiledCommand[],
  sim: Simulator,
  plugin: PluginMeta,
): void {
  const problems: ScenarioProblem[] = [];
  const declared = plugin.commands === undefined ? null : new Set(plugin.commands);
  const seen = new Set<string>();
  for (const c of commands) {
    if (sim.handlesCommand(c.type) || seen.has(`${c.origin}\0${c.type}`)) continue;
    seen.add(`${c.origin}\0${c.type}`);
    const scope = c.type.slice(0, c.type.indexOf('.'));
    if (CORE_SCOPES.has(scope)) {
      problems.push({ path: c.origin, message: `unknown command type "${c.type}"` });
    } else if (scope === plugin.name && declared !== null && !declared.has(c.type)) {
      problems.push({
        path: c.origin,
        message: `unknown ${plugin.name} command "${c.type}" (known: ${[...declared].join(', ')})`,
      });
    }
  }
  if (problems.length > 0) throw new ScenarioError(SCENARIO_ERROR_CODES.INVALID, file, problems);
}
