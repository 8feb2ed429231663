/**
 * Imports a plugin or config module the way vite loads vite.config.ts: esbuild bundles the file
 * (TypeScript included, no build step) with its packages left as imports, the result is written
 * to a temporary .mjs under the nearest node_modules (so those imports resolve as they would from
 * the file itself), imported, and removed. A package name is imported from that place the same way.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';

let counter = 0;

/** `<nearest node_modules above dir>/.viommu-temp`, or dir itself when there is none. */
function tempDirFor(dir: string): string {
  for (let d = dir; ; ) {
    if (existsSync(join(d, 'node_modules'))) return join(d, 'node_modules', '.viommu-temp');
    const up = dirname(d);
    if (up === d) return dir;
    d = up;
  }
}

async function importText(text: string, dir: string, name: string): Promise<Record<string, unknown>> {
  const tempDir = tempDirFor(dir);
  mkdirSync(tempDir, { recursive: true });
  const temp = join(tempDir, `${name}.${process.pid}-${++counter}.mjs`);
  writeFileSync(temp, text);
  try {
    return (await import(pathToFileURL(temp).href)) as Record<string, unknown>;
  } finally {
    rmSync(temp, { force: true });
  }
}

/** Bundles and imports a .ts/.mts/.js/.mjs file; throws esbuild's message (file:line) when it does not compile. */
export async function importFile(file: string): Promise<Record<string, unknown>> {
  const result = await build({
    entryPoints: [file],
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    write: false,
    logLevel: 'silent',
    sourcemap: 'inline',
  });
  return importText(result.outputFiles[0]!.text, dirname(file), basename(file));
}

/** Imports a package as code in `dir` would (`import * as m from 'name'`). */
export async function importPackage(name: string, dir: string): Promise<Record<string, unknown>> {
  const ns = await importText(
    `import * as m from ${JSON.stringify(name)};\nexport default m;\n`,
    dir,
    name.replaceAll('/', '+'),
  );
  return ns.default as Record<string, unknown>;
}
