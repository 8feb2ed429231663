import { configDefaults, defineConfig } from 'vitest/config';

/** Slow: packs, installs from the registry and runs a standalone project (`npm run test:pack`). */
const PACK_TEST = 'test/pack.e2e.test.ts';

export default defineConfig(({ mode }) => ({
  test: {
    include:
      mode === 'pack'
        ? [PACK_TEST]
        : [
            'cli/**/*.test.ts',
            'core/**/*.test.ts',
            'plugins/**/*.test.ts',
            'scenarios/**/*.test.ts',
            'test/**/*.test.ts',
          ],
    exclude: mode === 'pack' ? configDefaults.exclude : [...configDefaults.exclude, PACK_TEST],
    setupFiles: ['./core/testing/setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
}));
