import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Connectors whose heavy modules load lazily in the engine are loaded before every test file.
    setupFiles: ['test/support/load-connectors.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Integration files each create their own databases; two cores on CI.
    fileParallelism: true,
    maxWorkers: 2,
    pool: 'forks',
  },
});
