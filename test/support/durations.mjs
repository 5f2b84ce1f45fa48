// Writes test/support/durations.json (file → ms) from the JSON report of the last run
// (test-results/vitest.json), for the longest-first sequencer. Run after a full `npm test`.
import { readFileSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const report = JSON.parse(readFileSync(new URL('../../test-results/vitest.json', import.meta.url), 'utf8'));
const out = Object.fromEntries(
  report.testResults
    .map((t) => [relative(root, t.name).split('\\').join('/'), Math.round(t.endTime - t.startTime)])
    .sort((a, b) => b[1] - a[1]),
);
writeFileSync(new URL('./durations.json', import.meta.url), `${JSON.stringify(out, null, 2)}\n`);
console.log(`durations.json: ${Object.keys(out).length} files`);
