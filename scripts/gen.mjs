// npm run gen: rebuilds every generated file that is committed (Grafana dashboards, the PrometheusRule).
// npm run gen -- --check: writes nothing, lists the files that differ from what would be generated, exits 1 if any.
// Each generator returns its files as { path from the repository root: text }, so a check never rewrites the tree.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dashboardFiles } from './build-dashboards.mjs';
import { prometheusRuleFiles } from './build-prometheus-rule.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Every generated file, by path from the repository root. */
export const generatedFiles = () => ({ ...dashboardFiles(), ...prometheusRuleFiles() });

/** The generated files whose text under `dir` (the repository by default) differs from what the generators produce. */
export function staleFiles(dir = root) {
  const read = (path) => {
    try {
      return readFileSync(join(dir, path), 'utf8');
    } catch {
      return undefined;
    }
  };
  return Object.entries(generatedFiles())
    .filter(([path, text]) => read(path) !== text)
    .map(([path]) => path);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--check')) {
    const stale = staleFiles();
    for (const path of stale) console.error(`${path} is not what the generators produce: run npm run gen`);
    process.exitCode = stale.length ? 1 : 0;
  } else {
    for (const [path, text] of Object.entries(generatedFiles())) writeFileSync(join(root, path), text);
  }
}
