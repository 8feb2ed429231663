import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    // Loads the reflect polyfill that viommu-sim's dependency injection (tsyringe) needs.
    setupFiles: ['viommu-sim/testing/setup'],
  },
});
