import { defineConfig } from 'vitest/config';
import { LongestFirstSequencer } from './test/support/sequencer.js';

// Reads the CPU of the whole machine: cpu-before-fault holds both cores busy and waits for them to be idle again.
// It runs on its own after everything else, or the other files would be the load it measures.
const MACHINE_WIDE = ['test/scenarios/cpu-before-fault.test.ts'];
// Needs a Docker engine of its own: `npm run test:container` (test/container/run.sh), a step of its own in .ci/run.
const EXCLUDE = ['test/container/**', '**/node_modules/**'];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Most files wait on spawned daemons, real servers and timers, not on the CPU: three at a time keep two
    // cores busy (the default here is one: cores - 1). Four ran faster but, on a loaded machine, starved the
    // tests that time their own requests (cold-start's 100 ms).
    maxWorkers: 3,
    sequence: { sequencer: LongestFirstSequencer },
    // The JSON report lets .ci/run print a plain "N passed, N failed" line any CI can read.
    reporters: ['default', ['json', { outputFile: 'test-results/vitest.json' }]],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          exclude: [...EXCLUDE, ...MACHINE_WIDE],
          // Pure logic: one thread imports the sources once for every file, instead of a process per file.
          pool: 'threads',
          isolate: false,
          setupFiles: ['test/support/unit-setup.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'system',
          include: ['test/**/*.test.ts'],
          exclude: [...EXCLUDE, 'test/unit/**', ...MACHINE_WIDE],
          // Integration and e2e tests share real servers and ports; files run in parallel, tests inside a file
          // in order, each file in a process of its own.
          pool: 'forks',
        },
      },
      {
        extends: true,
        test: {
          name: 'machine-wide',
          include: MACHINE_WIDE,
          pool: 'forks',
          maxWorkers: 1,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
