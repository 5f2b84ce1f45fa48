import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Needs a Docker engine of its own: `npm run test:container` (test/container/run.sh), a step of its own in .ci/run.
    exclude: ['test/container/**', '**/node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Integration and e2e tests share real servers and ports; files run in parallel, tests inside a file in order.
    pool: 'forks',
    // The JSON report lets .ci/run print a plain "N passed, N failed" line any CI can read.
    reporters: ['default', ['json', { outputFile: 'test-results/vitest.json' }]],
  },
});
