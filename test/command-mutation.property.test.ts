/**
 * Any single-field mutation of the command data of any library scenario (a step's,
 * a setup step's, a template's, a template use's `with`, a workload's) either still
 * loads and runs to its verdict, or is refused as an invalid scenario (exit 4)
 * before anything runs, whose message names the file and a path into the mutated
 * field. Never a plugin error, never a crash, never a load-time refusal elsewhere.
 * (A value the catalog allows but the run's state does not, such as the root of a
 * table that the mutation stopped creating, is refused when its step runs.)
 */
import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BUILTIN_PLUGINS } from '../cli/builtin-plugins.js';
import { PluginHost } from '../core/plugin/host.js';
import { ScenarioError } from '../core/scenario/errors.js';
import { findScenarioFiles } from '../core/scenario/load.js';
import { runTarget } from '../core/scenario/runner.js';
import { validateScenario } from '../core/scenario/validate.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FILES = findScenarioFiles(join(ROOT, 'scenarios')).filter((f) => {
  // Large workload sweeps take seconds per run; their command data is like the others'.
  const s = readFileSync(f, 'utf8');
  return !/"count":\s*\d{5,}/.test(s);
});

function host(): PluginHost {
  const h = new PluginHost();
  for (const p of BUILTIN_PLUGINS) h.use(p);
  return h;
}
const HOST = host();

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Seg = string | number;

/** Paths (segments) of every value inside command data: the places a user writes command fields. */
function commandLeaves(doc: { [k: string]: Json }): Seg[][] {
  const out: Seg[][] = [];
  const walk = (v: Json, path: Seg[]): void => {
    out.push(path);
    if (Array.isArray(v)) for (let i = 0; i < v.length; i++) walk(v[i]!, [...path, i]);
    else if (v !== null && typeof v === 'object')
      for (const [k, x] of Object.entries(v)) walk(x, [...path, k]);
  };
  const step = (s: Json, path: Seg[]): void => {
    if (s === null || typeof s !== 'object' || Array.isArray(s)) return;
    for (const k of ['data', 'with', 'workload'])
      if (s[k] !== undefined && s[k] !== null && typeof s[k] === 'object')
        for (const [f, x] of Object.entries(s[k] as { [k: string]: Json })) walk(x, [...path, k, f]);
  };
  for (const [i, s] of ((doc.steps ?? []) as Json[]).entries()) step(s, ['steps', i]);
  ((doc.targets ?? []) as { [k: string]: Json }[]).forEach((t, ti) => {
    for (const [i, s] of ((t.setup ?? []) as Json[]).entries()) step(s, ['targets', ti, 'setup', i]);
    for (const [name, cmds] of Object.entries((t.templates ?? {}) as { [k: string]: Json[] }))
      for (const [i, c] of cmds.entries()) step(c, ['targets', ti, 'templates', name, i]);
  });
  return out;
}

function text(path: readonly Seg[]): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s === '' ? p : `.${p}`;
  return s;
}

const REPLACEMENTS: Json[] = [
  '0x1g',
  '',
  'r',
  -1,
  0,
  1.5,
  2 ** 64,
  0xffff_ffff + 1,
  true,
  null,
  {},
  [],
  'nic',
  '0x0',
];

type Mutation = { how: 'replace'; value: Json } | { how: 'rename' } | { how: 'drop' };

/** Applies `m` at `path`; returns the paths a refusal may point into (a rename touches two). */
function mutate(doc: { [k: string]: Json }, path: Seg[], m: Mutation): string[] {
  let parent: Json = doc;
  for (const p of path.slice(0, -1)) parent = (parent as { [k: string]: Json })[p as string] as Json;
  const key = path[path.length - 1]!;
  const obj = parent as { [k: string]: Json };
  if (m.how === 'replace') obj[key as string] = m.value;
  else if (Array.isArray(parent)) {
    (parent as Json[]).splice(key as number, 1);
    return [text(path.slice(0, -1))];
  } else if (m.how === 'drop') {
    delete obj[key as string];
    return [text(path)];
  } else {
    const v = obj[key as string]!;
    delete obj[key as string];
    obj[`${key}x`] = v;
    return [text(path), text([...path.slice(0, -1), `${key}x`])];
  }
  return [text(path)];
}

/** A refusal's paths, without a step's label. */
function refusedPaths(e: ScenarioError): string[] {
  return e.problems.map((p) => p.path.replace(/ ".*$/, '').replace(/ \(.*$/, ''));
}

const related = (a: string, b: string): boolean =>
  a === b || a.startsWith(`${b}.`) || a.startsWith(`${b}[`) || b.startsWith(`${a}.`) || b.startsWith(`${a}[`);

describe('a single-field mutation of a library scenario', () => {
  it('runs, or is refused naming the file and a path into the mutated field', () => {
    const docs = FILES.map((f) => ({
      file: f,
      doc: JSON.parse(readFileSync(f, 'utf8')) as { [k: string]: Json },
    }));
    const cases = docs.flatMap(({ file, doc }) => commandLeaves(doc).map((path) => ({ file, path })));
    expect(cases.length).toBeGreaterThan(500);
    const mutation: fc.Arbitrary<Mutation> = fc.oneof(
      fc.constantFrom(...REPLACEMENTS).map((value) => ({ how: 'replace' as const, value })),
      fc.constant({ how: 'rename' as const }),
      fc.constant({ how: 'drop' as const }),
    );
    fc.assert(
      fc.property(fc.nat(cases.length - 1), mutation, (i, m) => {
        const { file, path } = cases[i]!;
        const doc = structuredClone(docs.find((d) => d.file === file)!.doc);
        // A UAPI struct `payload` is one field of its command: its own fields depend on each other.
        const into = mutate(doc, path, m).map((p) => p.replace(/(\.data\.payload)[.[].*$/, '$1'));
        let records = 0;
        const sinks = [{ append: () => void records++ }];
        try {
          const scenario = validateScenario(doc, file);
          for (const t of scenario.targets) runTarget(HOST, scenario, t, { sinks });
        } catch (e) {
          if (!(e instanceof ScenarioError)) throw e;
          // Refused while running: a value the data allows but the run's state does not (a table
          // no longer created, a domain that does not exist); the run gave its verdict on that step.
          if (records > 0) return;
          expect(e.message.startsWith(`${file}: `), e.message).toBe(true);
          const paths = refusedPaths(e);
          expect(
            paths.some((p) => into.some((q) => related(p, q))),
            `${file}: mutated ${into.join(' / ')} (${JSON.stringify(m)}), refused at ${paths.join(', ')}`,
          ).toBe(true);
        }
      }),
      { numRuns: 300, seed: 15 },
    );
  });

  it('names a nested entry of a plugin command by its path', () => {
    const doc = {
      format: 'viommu-scenario',
      version: 1,
      title: 'nested',
      targets: [{ plugin: 'amdvi', devices: [{ name: 'nic', sid: 16 }] }],
      steps: [
        {
          type: 'amdvi.command.submit',
          data: {
            commands: [{ op: 'INVALIDATE_IOMMU_ALL' }, { op: 'INVALIDATE_DEVTAB_ENTRY', deviceId: -1 }],
          },
        },
      ],
    };
    const scenario = validateScenario(doc, 'nested.scenario.json');
    expect(() => runTarget(HOST, scenario, scenario.targets[0]!)).toThrow(
      'nested.scenario.json: steps[0].data.commands[1].deviceId: expected an integer in [0, 65535], got -1',
    );
  });
});
