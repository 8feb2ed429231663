/**
 * What is generated from the catalog: the command part of the scenario JSON
 * Schema (each type's `data`, so an editor completes and flags its fields) and
 * the command tables of docs/scenarios.md. The caller passes the catalog (the
 * core's commands and the built-in plugins'); test/command-docs.test.ts checks
 * that the committed files are current, and `npm run commands:gen` rewrites them.
 */
import type { AnyCommandSpec } from './catalog.js';
import type { AnyField, JsonSchema } from './field.js';
import { objectSchema } from './field.js';

/** `$defs` entries of the scenario schema: `typedCommand` (one if/then per type) and `command:<type>`. */
export function commandSchemaDefs(specs: readonly AnyCommandSpec[]): { [name: string]: JsonSchema } {
  const defs: { [name: string]: JsonSchema } = {};
  const rules: JsonSchema[] = [];
  for (const s of [...specs].sort((a, b) => a.type.localeCompare(b.type))) {
    const data = objectSchema(s.fields) as { properties: { [k: string]: JsonSchema }; required?: string[] };
    // A UAPI payload may be given as a struct (`payload`), which the loader encodes to `hex`.
    const payload = s.fields.hex !== undefined && s.fields.uptr !== undefined;
    // A step may give any field as a ${name} reference (core/scenario/language.ts), resolved when it runs.
    const properties: { [k: string]: JsonSchema } = {};
    for (const [k, p] of Object.entries(data.properties))
      properties[k] = { anyOf: [p, { $ref: '#/$defs/reference' }] };
    defs[`command:${s.type}`] = {
      description: s.doc,
      ...data,
      properties: { ...properties, ...(payload ? { payload: { $ref: '#/$defs/payload' } } : {}) },
      ...(payload ? { not: { required: ['payload', 'hex'] } } : {}),
    };
    rules.push({
      if: { properties: { type: { const: s.type } }, required: ['type'] },
      // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then, not a thenable
      then: {
        properties: { data: { $ref: `#/$defs/command:${s.type}` } },
        ...(data.required?.length ? { required: ['data'] } : {}),
      },
    });
  }
  defs.reference = {
    description:
      "A string holding a reference to an earlier step's result (named by its `as`), resolved when the command runs.",
    type: 'string',
    pattern: '\\$\\{[A-Za-z_]',
  };
  defs.typedCommand = {
    description:
      "Generated from the command catalog (core/command; npm run commands:gen): each known type's data. Types of other plugins are checked when their plugin is loaded.",
    allOf: rules,
  };
  return defs;
}

/** A field as the docs show it: name, `?` when optional, kind, default. */
function fieldText(name: string, f: AnyField): string {
  const def = f.fallbackJson === undefined ? '' : ` = ${JSON.stringify(f.fallbackJson)}`;
  return `\`${name}\`${f.optional ? '?' : ''} ${f.kind}${def}`;
}

function cell(s: string): string {
  return s.replaceAll('|', '\\|').replaceAll('\n', ' ');
}

/** Markdown: one table per scope, every type with its fields, what it does and what it answers. */
export function commandTables(specs: readonly AnyCommandSpec[], scopes: readonly string[]): string {
  const out: string[] = [];
  for (const scope of scopes) {
    const of = specs.filter((s) => s.scope === scope).sort((a, b) => a.type.localeCompare(b.type));
    if (of.length === 0) continue;
    out.push(`#### \`${scope}.*\``, '', '| type | fields | does |', '| --- | --- | --- |');
    for (const s of of) {
      const fields = Object.entries(s.fields)
        .filter(([k]) => k !== 'unit' || scope === 'core')
        .map(([k, f]) => fieldText(k, f))
        .join(', ');
      const does = s.result ? `${s.doc} Answers ${s.result}.` : s.doc;
      out.push(`| \`${s.type}\` | ${cell(fields) || '(none)'} | ${cell(does)} |`);
    }
    out.push('');
  }
  return out.join('\n');
}
