import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'cli/**/*.test.ts',
      'core/**/*.test.ts',
      'plugins/**/*.test.ts',
      'scenarios/**/*.test.ts',
      'test/**/*.test.ts',
    ],
    setupFiles: ['./core/testing/setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
