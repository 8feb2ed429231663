import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The viommu-sim package root, found by walking up from this module (which is
 * cli/ when run from source, dist/ when bundled).
 */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'viommu-sim')
      return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the viommu-sim package root above the CLI');
    dir = up;
  }
}

/** The package version, for --version and log headers. */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string })
    .version;
}
