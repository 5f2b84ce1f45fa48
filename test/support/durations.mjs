// Writes test/support/durations.json (file → ms) from the JSON report of the last run
// (test-results/vitest.json), for the longest-first sequencer. Run after a full `npm test`.
// A file with a failed test is left out: it may have stopped early (Chromium missing) or waited out a
// timeout, so its time says nothing; unlisted, it is sorted first.
import { readFileSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const report = JSON.parse(readFileSync(new URL('../../test-results/vitest.json', import.meta.url), 'utf8'));
const out = Object.fromEntries(
  report.testResults
    .filter((t) => t.status === 'passed')
    .map((t) => [relative(root, t.name).split('\\').join('/'), Math.round(t.endTime - t.startTime)])
    .sort((a, b) => b[1] - a[1]),
);
writeFileSync(new URL('./durations.json', import.meta.url), `${JSON.stringify(out, null, 2)}\n`);
console.log(`durations.json: ${Object.keys(out).length} files`);
