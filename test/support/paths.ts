import { fileURLToPath } from 'node:url';

/** The built CLI the e2e tests spawn (npm test builds before running vitest). */
export const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
