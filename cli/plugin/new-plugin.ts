/**
 * `viommu plugin new <name>`: writes a plugin that passes the contract suite as generated, either
 * as a folder inside a viommu-sim checkout (plugins/<name>: index.ts, unit.ts, contract.test.ts,
 * README.md, importing core/ by relative path) or, with --standalone, as a separate npm project
 * that depends on viommu-sim and imports only 'viommu-sim' and 'viommu-sim/testing'.
 *
 * The in-repo folder passes `biome ci` for a name of up to 24 characters: the templates are written
 * as biome formats them, and lines holding the name are kept short (test/plugin-new.e2e.test.ts
 * checks both; test/pack.e2e.test.ts installs and runs a standalone project).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
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

export interface StandaloneOptions {
  /** Plugin name: lower-case letters, digits, dashes. */
  readonly name: string;
  /** The project folder to create (default ./<name>). */
  readonly dir: string;
  /**
   * How the project depends on viommu-sim: a version or range, a tarball or folder path (written
   * as a `file:` spec relative to the project), or any spec npm accepts (git URL, `file:`, `npm:`).
   * Default: `^<this package's version>`.
   */
  readonly dependency?: string;
  readonly force?: boolean;
}

export class ScaffoldError extends Error {}

/** Template (under cli/plugin/templates) -> file written, for each layout. */
const IN_REPO_FILES: Readonly<Record<string, string>> = {
  'README.md.tpl': 'README.md',
  'contract.test.ts.tpl': 'contract.test.ts',
  'index.ts.tpl': 'index.ts',
  'unit.ts.tpl': 'unit.ts',
};

const STANDALONE_FILES: Readonly<Record<string, string>> = {
  'standalone/README.md.tpl': 'README.md',
  'standalone/gitignore.tpl': '.gitignore',
  'standalone/tsconfig.json.tpl': 'tsconfig.json',
  'standalone/vitest.config.ts.tpl': 'vitest.config.ts',
  'standalone/viommu.config.ts.tpl': 'viommu.config.ts',
  'standalone/scenario.json.tpl': 'scenarios/map-translate-invalidate.scenario.json',
  'contract.test.ts.tpl': 'src/contract.test.ts',
  'index.ts.tpl': 'src/index.ts',
  'unit.ts.tpl': 'src/unit.ts',
};

/** The dev dependencies a standalone project needs, at the versions this package is developed with. */
const STANDALONE_DEV_DEPENDENCIES = ['@types/node', 'typescript', 'vitest'] as const;

interface PackageJson {
  readonly version: string;
  readonly engines?: Record<string, string>;
  readonly devDependencies?: Record<string, string>;
}

function checkTarget(name: string, dirGiven: string, force: boolean | undefined): string {
  if (!/^[a-z][a-z0-9-]*$/.test(name)) {
    throw new ScaffoldError(
      `plugin name "${name}": use lower-case letters, digits and dashes, starting with a letter`,
    );
  }
  const dir = resolve(dirGiven);
  if (existsSync(dir) && readdirSync(dir).length > 0 && !force) {
    throw new ScaffoldError(`${dirGiven} exists and is not empty (use --force to overwrite)`);
  }
  return dir;
}

function nameVars(name: string): Record<string, string> {
  const words = name.split('-');
  return {
    __NAME__: name,
    __CLASS__: words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join(''),
    __UPPER__: words.join('_').toUpperCase(),
  };
}

function writeFiles(dir: string, files: Readonly<Record<string, string>>, vars: Record<string, string>) {
  const templates = join(packageRoot(), 'cli', 'plugin', 'templates');
  const written: string[] = [];
  for (const [template, target] of Object.entries(files)) {
    let text = readFileSync(join(templates, template), 'utf8');
    for (const [k, v] of Object.entries(vars)) text = text.replaceAll(k, v);
    const out = join(dir, target);
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, text);
    written.push(out);
  }
  return written;
}

/** `viommu plugin new NAME`: a plugin folder inside a checkout, importing core/ by relative path. */
export function scaffoldPlugin(opts: ScaffoldOptions): string[] {
  const dir = checkTarget(opts.name, opts.dir, opts.force);
  const coreDir = resolve(opts.coreDir ?? join(packageRoot(), 'core'));
  let core = relative(dir, coreDir).split(sep).join('/');
  if (!core.startsWith('.')) core = `./${core}`;
  return writeFiles(dir, IN_REPO_FILES, {
    ...nameVars(opts.name),
    __API__: `${core}/index.js`,
    __TESTING__: `${core}/testing/index.js`,
  });
}

/** The package.json spec of viommu-sim: a path becomes `file:` relative to the project. */
export function dependencySpec(spec: string | undefined, projectDir: string, version: string): string {
  if (spec === undefined) return `^${version}`;
  const looksLikePath = spec.startsWith('.') || isAbsolute(spec) || /\.(tgz|tar\.gz)$/.test(spec);
  if (!looksLikePath) return spec;
  const path = resolve(spec);
  if (!existsSync(path)) throw new ScaffoldError(`--dependency ${spec}: no such file or folder`);
  const rel = relative(projectDir, path).split(sep).join('/');
  return `file:${rel.startsWith('.') ? rel : `./${rel}`}`;
}

/** `viommu plugin new NAME --standalone`: a separate npm project depending on viommu-sim. */
export function scaffoldStandalone(opts: StandaloneOptions): string[] {
  const dir = checkTarget(opts.name, opts.dir, opts.force);
  const own = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as PackageJson;
  const devDependencies: Record<string, string> = {};
  for (const dep of STANDALONE_DEV_DEPENDENCIES) {
    const version = own.devDependencies?.[dep];
    if (version === undefined) throw new Error(`viommu-sim's package.json has no devDependency ${dep}`);
    devDependencies[dep] = version;
  }
  const pkg = {
    name: `viommu-plugin-${opts.name}`,
    version: '0.1.0',
    description: `The ${opts.name} IOMMU plugin for viommu-sim`,
    private: true,
    type: 'module',
    engines: own.engines ?? { node: '>=20.19' },
    scripts: {
      test: 'vitest run',
      typecheck: 'tsc --noEmit',
      scenarios: 'viommu run scenarios',
    },
    dependencies: { 'viommu-sim': dependencySpec(opts.dependency, dir, own.version) },
    devDependencies,
  };
  const written = writeFiles(dir, STANDALONE_FILES, {
    ...nameVars(opts.name),
    __API__: 'viommu-sim',
    __TESTING__: 'viommu-sim/testing',
  });
  const pkgFile = join(dir, 'package.json');
  writeFileSync(pkgFile, `${JSON.stringify(pkg, null, 2)}\n`);
  return [pkgFile, ...written];
}
