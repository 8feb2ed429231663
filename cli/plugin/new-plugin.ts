/**
 * `viommu plugin new <name>`: writes a plugin folder that passes the contract
 * suite as generated (index.ts, unit.ts, contract.test.ts, README.md). Placed
 * at plugins/<name> beside core/, it also passes `biome ci` for a name of up to
 * 24 characters: the templates are written as biome formats them, and lines
 * holding the name are kept short (test/plugin-new.e2e.test.ts checks both).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { packageRoot } from '../package-root.js';

export interface ScaffoldOptions {
  /** Plugin name: lower-case letters, digits, dashes. */
  readonly name: string;
  /** Folder to create (default plugins/<name> under the current directory). */
  readonly dir: string;
  /** The core folder the plugin imports from (default: this package's core/). */
  readonly coreDir?: string;
  /** Overwrite a folder that exists and is not empty. */
  readonly force?: boolean;
}

export class ScaffoldError extends Error {}

export function scaffoldPlugin(opts: ScaffoldOptions): string[] {
  if (!/^[a-z][a-z0-9-]*$/.test(opts.name)) {
    throw new ScaffoldError(
      `plugin name "${opts.name}": use lower-case letters, digits and dashes, starting with a letter`,
    );
  }
  const dir = resolve(opts.dir);
  if (existsSync(dir) && readdirSync(dir).length > 0 && !opts.force) {
    throw new ScaffoldError(`${opts.dir} exists and is not empty (use --force to overwrite)`);
  }
  const root = packageRoot();
  const coreDir = resolve(opts.coreDir ?? join(root, 'core'));
  let coreImport = relative(dir, coreDir).split(sep).join('/');
  if (!coreImport.startsWith('.')) coreImport = `./${coreImport}`;
  const words = opts.name.split('-');
  const vars: Record<string, string> = {
    __NAME__: opts.name,
    __CLASS__: words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join(''),
    __UPPER__: words.join('_').toUpperCase(),
    __CORE__: coreImport,
  };
  const templates = join(root, 'cli', 'plugin', 'templates');
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  for (const file of readdirSync(templates).sort()) {
    if (!file.endsWith('.tpl')) continue;
    let text = readFileSync(join(templates, file), 'utf8');
    for (const [k, v] of Object.entries(vars)) text = text.replaceAll(k, v);
    const out = join(dir, file.slice(0, -'.tpl'.length));
    writeFileSync(out, text);
    written.push(out);
  }
  return written;
}
