import { defineConfig } from 'vitest/config';

// Run by test/container/run.sh once the private Docker engine is up and the image is built.
export default defineConfig({
  test: {
    include: ['test/container/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    // One engine, two cores: the files take turns.
    fileParallelism: false,
    pool: 'forks',
    reporters: ['default', ['json', { outputFile: 'test-results/container.json' }]],
  },
});
