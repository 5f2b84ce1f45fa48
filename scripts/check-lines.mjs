#!/usr/bin/env node
// Biome wraps code at 120 columns but leaves long strings and comments alone; this catches those.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const MAX = 120;
const files = execFileSync(
  'git',
  ['ls-files', '-co', '--exclude-standard', 'src', 'test', 'scripts', 'bench', '*.ts'],
  {
    encoding: 'utf8',
  },
)
  .split('\n')
  .filter((f) => /\.(ts|mjs|js)$/.test(f));
let bad = 0;
for (const file of files) {
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    continue; // listed by git but deleted in the work tree
  }
  text.split('\n').forEach((line, i) => {
    if (line.length > MAX) {
      bad++;
      if (bad <= 50) console.error(`${file}:${i + 1}: ${line.length} characters (max ${MAX})`);
    }
  });
}
if (bad) {
  console.error(`${bad} line(s) over ${MAX} characters`);
  process.exit(1);
}
