/**
 * The built-in scenario library: every *.scenario.json under scenarios/ passes
 * the loader's validator and the published JSON Schema (checked by the small
 * interpreter below, no dependency), the two agree on bad input, every target
 * has its golden log, and every golden replays on a fresh simulator without a
 * divergence: this is how `npm test` replays the goldens.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BUILTIN_PLUGINS } from '../cli/builtin-plugins.js';
import type { EventRecord, LogRecord } from '../core/events/log/records.js';
import { PluginHost } from '../core/plugin/host.js';
import { describeDivergence } from '../core/replay/describe.js';
import { readLogBytes } from '../core/replay/log-io.js';
import { replayLog } from '../core/replay/replay.js';
import { findScenarioFiles, loadScenarioFile, SCENARIO_SUFFIX } from '../core/scenario/load.js';
import { runTarget } from '../core/scenario/runner.js';
import { WORKLOAD_KINDS } from '../core/scenario/types.js';
import { validateScenario } from '../core/scenario/validate.js';
import { ERRNO } from '../core/uapi/errno.js';
import { KERNEL_NAMES } from '../core/uapi/kernel-versions.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const LIBRARY = join(ROOT, 'scenarios');
const GOLDEN_SUFFIX = '.events.jsonl';
const rel = (p: string): string => relative(ROOT, p).split('\\').join('/');

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Schema = { [k: string]: Json };

const SCHEMA = JSON.parse(readFileSync(join(LIBRARY, 'scenario.schema.json'), 'utf8')) as Schema;

function typeOf(v: Json): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

/**
 * The draft 2020-12 keywords scenario.schema.json uses (local $ref, type, const,
 * enum, pattern, bounds, multipleOf, required, properties, additionalProperties,
 * items, minItems, oneOf, anyOf, allOf, not, if/then). Returns the problems, each with its path.
 */
function schemaProblems(s: Schema, v: Json, path = '$'): string[] {
  if (typeof s.$ref === 'string') {
    const name = s.$ref.replace('#/$defs/', '');
    return schemaProblems((SCHEMA.$defs as { [k: string]: Schema })[name], v, path);
  }
  const out: string[] = [];
  const t = typeOf(v);
  if (typeof s.type === 'string' && s.type !== t && !(s.type === 'number' && t === 'integer'))
    return [`${path}: expected ${s.type}, got ${t}`];
  if ('const' in s && JSON.stringify(s.const) !== JSON.stringify(v)) out.push(`${path}: not ${s.const}`);
  if (Array.isArray(s.enum) && !s.enum.some((e) => JSON.stringify(e) === JSON.stringify(v)))
    out.push(`${path}: not one of the enum`);
  if (typeof v === 'string' && typeof s.pattern === 'string' && !new RegExp(s.pattern, 'u').test(v))
    out.push(`${path}: does not match ${s.pattern}`);
  if (typeof v === 'number') {
    if (typeof s.minimum === 'number' && v < s.minimum) out.push(`${path}: below ${s.minimum}`);
    if (typeof s.maximum === 'number' && v > s.maximum) out.push(`${path}: above ${s.maximum}`);
    if (typeof s.multipleOf === 'number' && v % s.multipleOf !== 0)
      out.push(`${path}: not a multiple of ${s.multipleOf}`);
  }
  if (Array.isArray(v)) {
    if (typeof s.minItems === 'number' && v.length < s.minItems) out.push(`${path}: too few items`);
    if (s.items)
      for (const [i, x] of v.entries()) out.push(...schemaProblems(s.items as Schema, x, `${path}[${i}]`));
  }
  if (t === 'object') {
    const o = v as { [k: string]: Json };
    for (const r of (s.required as string[] | undefined) ?? [])
      if (!(r in o)) out.push(`${path}: missing ${r}`);
    const props = (s.properties ?? {}) as { [k: string]: Schema };
    for (const [k, x] of Object.entries(o)) {
      if (props[k]) out.push(...schemaProblems(props[k], x, `${path}.${k}`));
      else if (s.additionalProperties === false) out.push(`${path}.${k}: not allowed`);
      else if (typeof s.additionalProperties === 'object' && s.additionalProperties !== null)
        out.push(...schemaProblems(s.additionalProperties as Schema, x, `${path}.${k}`));
    }
  }
  if (Array.isArray(s.oneOf)) {
    const n = s.oneOf.filter((b) => schemaProblems(b as Schema, v, path).length === 0).length;
    if (n !== 1) out.push(`${path}: matches ${n} of oneOf, not exactly 1`);
  }
  if (Array.isArray(s.allOf)) for (const b of s.allOf) out.push(...schemaProblems(b as Schema, v, path));
  if (Array.isArray(s.anyOf) && !s.anyOf.some((b) => schemaProblems(b as Schema, v, path).length === 0))
    out.push(`${path}: matches none of anyOf`);
  if (s.not && schemaProblems(s.not as Schema, v, path).length === 0) out.push(`${path}: matches "not"`);
  if (s.if && s.then && schemaProblems(s.if as Schema, v, path).length === 0)
    out.push(...schemaProblems(s.then as Schema, v, path));
  return out;
}

function validatorProblems(raw: unknown): string[] {
  try {
    validateScenario(raw, 'mutated.scenario.json');
    return [];
  } catch (e) {
    return [(e as Error).message];
  }
}

function goldenFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith(GOLDEN_SUFFIX))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

const scenarioFiles = findScenarioFiles(LIBRARY);
const goldens = goldenFiles(LIBRARY);

describe('the scenario library', () => {
  it('holds scenarios and goldens', () => {
    expect(scenarioFiles.length).toBeGreaterThanOrEqual(20);
    expect(goldens.length).toBeGreaterThanOrEqual(scenarioFiles.length);
  });

  it.each(scenarioFiles.map((f) => [rel(f), f]))('%s passes the validator and the schema', (_, file) => {
    const s = loadScenarioFile(file, rel(file));
    expect(s.targets.length).toBeGreaterThan(0);
    expect(schemaProblems(SCHEMA, JSON.parse(readFileSync(file, 'utf8')) as Json)).toEqual([]);
  });

  it('names each scenario by its path, so a log header <id>@<target> leads to its file', () => {
    const wrong = scenarioFiles
      .map((f) => [relative(LIBRARY, f).split('\\').join('/').slice(0, -SCENARIO_SUFFIX.length), f] as const)
      .filter(([want, f]) => loadScenarioFile(f, rel(f)).id !== want)
      .map(([want]) => want);
    expect(wrong).toEqual([]);
  });

  it('every target has a golden beside its scenario, and every golden belongs to one', () => {
    const expected = new Map<string, string>();
    for (const f of scenarioFiles) {
      const s = loadScenarioFile(f, rel(f));
      const base = f.slice(0, -SCENARIO_SUFFIX.length);
      for (const t of s.targets) expected.set(rel(`${base}.${t.name}${GOLDEN_SUFFIX}`), `${s.id}@${t.name}`);
    }
    expect(
      goldens.map(rel).filter((g) => !expected.has(g)),
      'goldens without a scenario target',
    ).toEqual([]);
    const missing = [...expected.keys()].filter((g) => !existsSync(join(ROOT, g)));
    expect(missing, 'record them with viommu run <scenario> --update').toEqual([]);
    for (const [golden, run] of expected) {
      const log = readLogBytes(readFileSync(join(ROOT, golden)), golden);
      expect(log.header.scenario, golden).toBe(run);
    }
  });
});

describe('the schema agrees with the validator', () => {
  it('lists the same workload kinds, errno names and kernels', () => {
    expect(((SCHEMA.properties as Schema).kernel as Schema).enum).toEqual([...KERNEL_NAMES]);
    const defs = SCHEMA.$defs as { [k: string]: Schema };
    const kinds = ((defs.workload.properties as Schema).kind as Schema).enum;
    expect(kinds).toEqual([...WORKLOAD_KINDS]);
    const errnos = ((defs.stepExpect.properties as Schema).errno as Schema).enum;
    expect(errnos).toEqual(Object.keys(ERRNO));
  });

  const base = (): { [k: string]: Json } => ({
    format: 'viommu-scenario',
    version: 1,
    title: 'base',
    targets: [{ plugin: 'flat', devices: [{ name: 'dev', sid: 1 }] }],
    steps: [
      {
        type: 'device.dma.access',
        data: { device: 'dev', iova: '0x1000', access: 'r' },
        expect: { ok: true },
      },
      { workload: { kind: 'ring', seed: 1, device: 'dev', iova: '0x0', pages: 4, count: 8 } },
    ],
    expect: { stats: { hitRate: { min: 0.5 } }, counts: { 'workload.dma.completed': 1 } },
  });
  type Doc = ReturnType<typeof base>;
  const step = (d: Doc, i: number): { [k: string]: Json } => (d.steps as { [k: string]: Json }[])[i];
  const target = (d: Doc): { [k: string]: Json } => (d.targets as { [k: string]: Json }[])[0];
  const bad: [string, (d: Doc) => void][] = [
    ['an unknown top-level field', (d) => (d.expcet = {})],
    ['no title', (d) => delete d.title],
    ['a newer version', (d) => (d.version = 2)],
    ['another format', (d) => (d.format = 'viommu-events')],
    ['no targets', (d) => (d.targets = [])],
    ['a target without devices', (d) => delete target(d).devices],
    ['a negative sid', (d) => ((target(d).devices as Json[])[0] = { name: 'dev', sid: -1 })],
    ['memory not a multiple of 4096', (d) => (d.memoryBytes = 5000)],
    ['a step with both type and workload', (d) => (step(d, 1).type = 'device.dma.access')],
    ['a step with neither', (d) => (d.steps = [{ label: 'nothing' }])],
    ['a bad command type', (d) => (step(d, 0).type = 'Device.DMA')],
    ['an unknown workload kind', (d) => ((step(d, 1).workload as Doc).kind = 'zigzag')],
    ['multi-pasid without pasids', (d) => ((step(d, 1).workload as Doc).kind = 'multi-pasid')],
    ['a decimal workload iova', (d) => ((step(d, 1).workload as Doc).iova = 4096)],
    ['an unknown errno', (d) => (step(d, 0).expect = { errno: 'EWHAT' })],
    ['ok: true with an errno', (d) => (step(d, 0).expect = { ok: true, errno: 'EINVAL' })],
    ['a typo in a step expectation', (d) => (step(d, 0).expect = { valeu: 1 })],
    ['an unknown statistic', (d) => (d.expect = { stats: { hitrate: 1 } })],
    ['a bound with a string', (d) => (d.expect = { stats: { faults: { min: '1' } } })],
    ['payload and hex together', (d) => (step(d, 0).data = { device: 'dev', hex: '00', payload: {} })],
  ];

  it('accepts the base document on both', () => {
    expect(validatorProblems(base())).toEqual([]);
    expect(schemaProblems(SCHEMA, base())).toEqual([]);
  });

  it.each(bad)('rejects %s on both', (_, mutate) => {
    const d = base();
    mutate(d);
    expect(validatorProblems(d)).not.toEqual([]);
    expect(schemaProblems(SCHEMA, d)).not.toEqual([]);
  });
});

describe('every golden log replays', () => {
  const host = new PluginHost();
  for (const p of BUILTIN_PLUGINS) host.use(p);

  it.each(goldens.map((g) => [rel(g), g]))('%s', (name, file) => {
    const log = readLogBytes(readFileSync(file), name);
    const r = replayLog(host, log, { file: name });
    expect(r.ok, r.divergence ? describeDivergence(r.divergence, 'golden', 'replay') : '').toBe(true);
    expect(r.matched).toBe(log.records.length);
  });

  it('reports a golden whose one result was altered', () => {
    const file = goldens.find((g) => g.includes('cache-invalidate-argsz.flat'))!;
    const log = readLogBytes(readFileSync(file), rel(file));
    const i = log.records.findIndex((r) => r.type === 'core.command.completed');
    const altered = { ...(log.records[i] as EventRecord), data: { ok: true, errno: null, value: 'edited' } };
    const records: LogRecord[] = log.records.map((r, j) => (j === i ? altered : r));
    const r = replayLog(host, { ...log, records }, { file: 'altered' });
    expect(r.ok).toBe(false);
    expect(r.divergence?.seq).toBe(altered.seq);
  });
});

describe("every scenario's expectations hold", () => {
  // Replaying a golden shows the run is unchanged; this shows the scenario's
  // own `expect` blocks still describe it (an edited bound is checked here,
  // not only by `viommu run`).
  const host = new PluginHost();
  for (const p of BUILTIN_PLUGINS) host.use(p);
  const runs = scenarioFiles.flatMap((f) => {
    const s = loadScenarioFile(f);
    return s.targets.map((t) => [`${rel(f)} @${t.name}`, s, t] as const);
  });
  it.each(runs)('%s', (_, scenario, target) => {
    const run = runTarget(host, scenario, target);
    expect(run.failures.map((f) => `${f.origin}: ${f.message}`)).toEqual([]);
  });
});
