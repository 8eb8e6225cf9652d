import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Vitest's default (CPUs - 1) is one worker on a 2-core machine, and most files wait on a
    // database or a socket more than they compute: two keep both cores busy.
    maxWorkers: Math.max(2, availableParallelism() - 1),
  },
});
