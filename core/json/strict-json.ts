/**
 * Strict JSON for input files people write (scenarios, log headers). JSON.parse
 * keeps the last of two equal keys, accepts a byte-order mark only as a
 * syntax error without a line, and recurses as deep as the input asks (a
 * million nested arrays end in "Maximum call stack size exceeded" somewhere
 * later). This parser refuses a BOM, duplicate keys, comments and trailing
 * commas, and nesting or size past a limit, each with the line, the column
 * and the JSON path of the problem. Scanning is jsonc-parser's (VS Code's JSON
 * scanner, well kept and fast), with comments and trailing commas disallowed;
 * the value is built here so that duplicates and depth are seen as they come.
 */
import { type ParseErrorCode, printParseErrorCode, visit } from 'jsonc-parser';
import { ViommuError } from '../errors/viommu-error.js';
import type { JsonValue } from '../plugin/contract.js';

export interface JsonLimits {
  /** Deepest nesting of arrays and objects (the top-level value is depth 1). */
  readonly maxDepth: number;
  /** Longest accepted text, in UTF-16 code units (about bytes for ASCII files). */
  readonly maxChars: number;
}

/**
 * Scenario files: deep enough for any command data a log can record (64 levels), and 256 Mi
 * characters — half of V8's longest string, so a file over it gets exit 4 naming it rather than
 * a crash, while a trace-shaped scenario of a few hundred thousand inline steps (tens of MB)
 * still loads. Longer inputs belong in a `stepsFile`, which streams.
 */
export const DEFAULT_JSON_LIMITS: JsonLimits = { maxDepth: 64, maxChars: 256 * 1024 * 1024 };

export const JSON_ERROR_CODE = 'VIOMMU_ERR_INPUT';

/** Where in the text a problem is: 1-based line and column, and the JSON path (`steps[3].data`). */
export interface JsonProblem {
  readonly line: number;
  readonly column: number;
  /** "" for the top-level value. */
  readonly path: string;
  readonly message: string;
}

/** Invalid JSON input: the message is `<file> line L column C: <path>: <problem>`. */
export class JsonInputError extends ViommuError {
  readonly file: string;
  readonly problem: JsonProblem;

  constructor(file: string, problem: JsonProblem) {
    super(
      JSON_ERROR_CODE,
      `${file} line ${problem.line} column ${problem.column}: ${problem.path ? `${problem.path}: ` : ''}${problem.message}`,
    );
    this.name = 'JsonInputError';
    this.file = file;
    this.problem = problem;
  }
}

const SYNTAX: { readonly [k: string]: string } = {
  InvalidSymbol: 'unexpected character',
  InvalidNumberFormat: 'malformed number',
  PropertyNameExpected: 'expected a "quoted" property name (no trailing commas)',
  ValueExpected: 'expected a value (no trailing commas)',
  ColonExpected: 'expected ":"',
  CommaExpected: 'expected "," between values',
  CloseBraceExpected: 'expected "}"',
  CloseBracketExpected: 'expected "]"',
  EndOfFileExpected: 'unexpected text after the value',
  InvalidCommentToken: 'comments are not JSON',
  UnexpectedEndOfComment: 'comments are not JSON',
  UnexpectedEndOfString: 'unterminated string',
  UnexpectedEndOfNumber: 'malformed number',
  InvalidUnicode: 'malformed \\u escape',
  InvalidEscapeCharacter: 'invalid escape character',
  InvalidCharacter: 'control character in a string (escape it)',
};

/** `a.b[3]` from path parts; keys that are not identifiers are quoted (`a["x y"]`). */
export function jsonPath(parts: readonly (string | number)[]): string {
  let s = '';
  for (const p of parts) {
    if (typeof p === 'number') s += `[${p}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(p)) s += s === '' ? p : `.${p}`;
    else s += `[${JSON.stringify(p)}]`;
  }
  return s;
}

/** Thrown inside the visitor to stop at the first problem. */
class Stop {
  readonly problem: JsonProblem;
  constructor(problem: JsonProblem) {
    this.problem = problem;
  }
}

interface Open {
  /** Keys seen so far (objects), or null (arrays). */
  readonly keys: Set<string> | null;
  /** The key being read (objects; undefined before the first), or the next index (arrays). */
  key: string | number | undefined;
}

/**
 * Parses `text` as strict JSON. Throws JsonInputError naming `file`, the line, the column and the
 * path of the first problem: a syntax error, a BOM, a duplicate key, nesting deeper than
 * `limits.maxDepth`, or a text longer than `limits.maxChars`.
 */
export function parseStrictJson(
  text: string,
  file: string,
  limits: JsonLimits = DEFAULT_JSON_LIMITS,
): JsonValue {
  if (text.length > limits.maxChars)
    throw new JsonInputError(file, {
      line: 1,
      column: 1,
      path: '',
      message: `larger than the limit of ${limits.maxChars} characters (${text.length})`,
    });
  if (text.charCodeAt(0) === 0xfeff)
    throw new JsonInputError(file, {
      line: 1,
      column: 1,
      path: '',
      message: 'starts with a byte-order mark (U+FEFF): save the file as UTF-8 without BOM',
    });
  // One pass checks what JSON.parse would let through (duplicate keys, depth) and names the
  // place of any problem; JSON.parse then builds the value. Its objects are ordinary fast-mode
  // objects, which every later step (validation, the catalog's decoders) reads many times.
  const stack: Open[] = [];
  let seenValue = false;
  const path = (): string => {
    // Each open container's key is where its next value goes: together they name the value being read.
    const parts: (string | number)[] = [];
    for (const o of stack) if (o.key !== undefined) parts.push(o.key);
    return jsonPath(parts);
  };
  const put = (): void => {
    seenValue = true;
    const top = stack.at(-1);
    if (top !== undefined && top.keys === null) top.key = (top.key as number) + 1;
  };
  const open = (isArray: boolean, line: number, col: number): void => {
    if (stack.length >= limits.maxDepth) {
      throw new Stop({
        line: line + 1,
        column: col + 1,
        path: path(),
        message: `nested deeper than ${limits.maxDepth} levels`,
      });
    }
    stack.push({ keys: isArray ? null : new Set(), key: isArray ? 0 : undefined });
  };
  const close = (): void => {
    stack.pop();
    put();
  };
  try {
    visit(
      text,
      {
        onObjectBegin: (_o, _l, line, col) => open(false, line, col),
        onObjectEnd: close,
        onArrayBegin: (_o, _l, line, col) => open(true, line, col),
        onArrayEnd: close,
        onObjectProperty: (name, _o, _l, line, col) => {
          const top = stack.at(-1)!;
          top.key = name;
          if (top.keys!.has(name)) {
            throw new Stop({
              line: line + 1,
              column: col + 1,
              path: path(),
              message: `duplicate key "${name}" (JSON.parse would silently keep the last one)`,
            });
          }
          top.keys!.add(name);
        },
        onLiteralValue: put,
        onError: (code: ParseErrorCode, _o, _l, line, col) => {
          const name = printParseErrorCode(code);
          const after = path();
          throw new Stop({
            line: line + 1,
            column: col + 1,
            path: '',
            message: `not valid JSON: ${SYNTAX[name] ?? name}${after ? ` (after ${after})` : ''}`,
          });
        },
      },
      { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false },
    );
  } catch (e) {
    if (e instanceof Stop) throw new JsonInputError(file, e.problem);
    throw e;
  }
  if (!seenValue)
    throw new JsonInputError(file, { line: 1, column: 1, path: '', message: 'not valid JSON: empty' });
  return JSON.parse(text) as JsonValue;
}
