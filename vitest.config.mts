import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // Each file owns its chDB data directory (one process per directory), so files may run in parallel.
    pool: 'forks',
    maxWorkers: 2,
  },
});
