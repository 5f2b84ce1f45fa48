// Build step: the status page's files and the vendored uPlot go into dist next to the code serving them.
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src/http/status/assets');
const out = join(root, 'dist/http/status/assets');
mkdirSync(out, { recursive: true });
for (const f of readdirSync(src)) copyFileSync(join(src, f), join(out, f));
const uplot = dirname(createRequire(import.meta.url).resolve('uplot/package.json'));
copyFileSync(join(uplot, 'dist/uPlot.iife.min.js'), join(out, 'uPlot.iife.min.js'));
copyFileSync(join(uplot, 'dist/uPlot.min.css'), join(out, 'uPlot.min.css'));
