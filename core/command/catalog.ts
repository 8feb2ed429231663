/**
 * The command catalog: every command type declared once, with its scope, a
 * one-line doc, its typed fields (field.ts) and its handler. The core's
 * commands (core/sim/commands), the scenario-level ones (workloads, digests)
 * and each plugin's (through the plugin object's `commands`) are declared the
 * same way; the simulator decodes a command's data with its declaration and
 * hands the handler typed values, the scenario loader checks every step
 * against it before a run, and the JSON Schema and docs tables are generated
 * from it (schema.ts).
 *
 * Types are named in CommandMap, open to module augmentation as SimEventMap is:
 *
 *   declare module '../../core/command/catalog.js' {
 *     interface CommandMap { 'vtd.qi.submit': DataOf<typeof qiSubmit> }
 *   }
 */
import { ERROR_CODES, ViommuError } from '../errors/viommu-error.js';
import type { JsonObject, JsonValue } from '../plugin/contract.js';
import type { UapiResult } from '../uapi/errno.js';
import { compileFields, type Decoded, FieldFault, type FieldMap, pathText, str } from './field.js';

/** Decoded data of every command type, by type. Core and plugins add theirs by module augmentation. */
// biome-ignore lint/suspicious/noEmptyInterface: filled by module augmentation
export interface CommandMap {}

export type CommandType = keyof CommandMap & string;

/** Scopes whose commands only the core declares; any other scope is a plugin's. */
export const CORE_SCOPES: ReadonlySet<string> = new Set(['core', 'device', 'uapi', 'workload']);

/** Command data that does not match its declaration: `path` inside the data, `reason` what is wrong. */
export class CommandDataError extends ViommuError {
  readonly path: readonly (string | number)[];
  readonly reason: string;

  constructor(path: readonly (string | number)[], reason: string) {
    super(ERROR_CODES.COMMAND_INVALID, path.length ? `${pathText(path)}: ${reason}` : reason);
    this.name = 'CommandDataError';
    this.path = path;
    this.reason = reason;
  }
}

/** A declared command type. `Ctx` is what its handler runs on (the simulator, or a plugin's unit). */
export interface CommandSpec<Ctx = unknown, D = unknown, T extends string = string> {
  readonly type: T;
  /** The type's first name part: `core`, `device`, `uapi`, `workload` or a plugin's name. */
  readonly scope: string;
  /** One line: what the command does. */
  readonly doc: string;
  /** What a successful result's value is, for the docs (optional). */
  readonly result?: string;
  readonly fields: FieldMap;
  /** Checks `data` and returns the typed values; throws CommandDataError naming the field. */
  decode(data: unknown): D;
  readonly handler: (ctx: Ctx, data: D) => UapiResult<JsonValue>;
}

/** A spec of any data type (of any context by default), as catalogs and the loader hold them. */
// biome-ignore lint/suspicious/noExplicitAny: the data and context types are checked where the spec is declared
export type AnyCommandSpec<Ctx = any> = CommandSpec<Ctx, any>;

/** The decoded data type of a spec. */
export type DataOf<S> = S extends { decode(data: unknown): infer D } ? D : never;

/**
 * CommandMap entries of a list of specs, for one-line augmentations:
 *   interface CommandMap extends CommandsOf<typeof FLAT_COMMANDS> {}
 */
export type CommandsOf<L extends readonly { readonly type: string }[]> = {
  [S in L[number] as S['type']]: DataOf<S>;
};

const TYPE_NAME = /^[a-z0-9][a-z0-9-]*(\.[a-z0-9][a-z0-9-]*)+$/;

/** Fields every architecture command accepts: the unit it runs on, when a run has several of its plugin. */
const ROUTING: FieldMap = {
  unit: str().describe('the unit to run on, when the run has several units of this plugin').opt(),
};

/** Declares a command type. Plugin-scope commands also accept `unit` (routing). */
export function defineCommand<Ctx, const F extends FieldMap, const T extends string = string>(
  type: T,
  spec: {
    readonly doc: string;
    readonly result?: string;
    readonly fields: F;
    /** Rules across fields (one of two given, a length below another): throws via fieldFault(). */
    readonly refine?: (data: Decoded<F>) => void;
    readonly handler: (ctx: Ctx, data: Decoded<F>) => UapiResult<JsonValue>;
  },
): CommandSpec<Ctx, Decoded<F>, T> {
  if (!TYPE_NAME.test(type)) throw new TypeError(`command type "${type}" is not "<scope>.<subject>.<verb>"`);
  const scope = type.slice(0, type.indexOf('.'));
  const fields: FieldMap = CORE_SCOPES.has(scope) ? spec.fields : { ...spec.fields, ...ROUTING };
  const decodeAll = compileFields(fields) as (data: unknown) => Decoded<F>;
  const refine = spec.refine;
  return Object.freeze({
    type,
    scope,
    doc: spec.doc,
    ...(spec.result !== undefined ? { result: spec.result } : {}),
    fields,
    handler: spec.handler,
    decode(data: unknown): Decoded<F> {
      try {
        const d = decodeAll(data);
        if (refine !== undefined) refine(d);
        return d;
      } catch (e) {
        if (e instanceof FieldFault) throw new CommandDataError(e.path, e.reason);
        throw e;
      }
    },
  });
}

/** A rule across fields is broken: throw from a spec's refine(), naming a field (null: the whole data). */
export function fieldFault(field: string | null, reason: string): never {
  throw new FieldFault(reason, field === null ? [] : [field]);
}

/** A set of declared commands, looked up by type. */
export class CommandCatalog<Ctx = unknown> {
  readonly #specs = new Map<string, AnyCommandSpec<Ctx>>();

  constructor(specs: readonly AnyCommandSpec<Ctx>[] = []) {
    for (const s of specs) this.add(s);
  }

  add(spec: AnyCommandSpec<Ctx>): this {
    if (this.#specs.has(spec.type))
      throw new ViommuError(ERROR_CODES.CONFIG_INVALID, `command "${spec.type}" is already defined`);
    this.#specs.set(spec.type, spec);
    return this;
  }

  get(type: string): AnyCommandSpec<Ctx> | undefined {
    return this.#specs.get(type);
  }

  has(type: string): boolean {
    return this.#specs.has(type);
  }

  get types(): string[] {
    return [...this.#specs.keys()];
  }

  get specs(): AnyCommandSpec<Ctx>[] {
    return [...this.#specs.values()];
  }
}

/** Decodes and runs one command of `catalog` on `ctx` (for tests and helpers that hold a unit). */
export function runCommand<Ctx>(
  catalog: CommandCatalog<Ctx> | readonly AnyCommandSpec<Ctx>[],
  ctx: Ctx,
  type: string,
  data: JsonObject,
): UapiResult<JsonValue> {
  const spec = Array.isArray(catalog)
    ? (catalog as readonly AnyCommandSpec<Ctx>[]).find((s) => s.type === type)
    : (catalog as CommandCatalog<Ctx>).get(type);
  if (spec === undefined) return { ok: false, errno: 'EOPNOTSUPP', detail: `unknown command "${type}"` };
  return spec.handler(ctx, spec.decode(data));
}
