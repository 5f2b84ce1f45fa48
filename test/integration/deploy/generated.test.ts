import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../support/paths.js';

/** scripts/gen.mjs: every generator's files as text, compared here without writing anything. */
interface Gen {
  generatedFiles(): Record<string, string>;
  staleFiles(dir?: string): string[];
}
const gen: Gen = await import(pathToFileURL(join(ROOT, 'scripts/gen.mjs')).href);
const generated = gen.generatedFiles();

describe('generated files (npm run gen) are current', () => {
  it('cover every dashboard and the PrometheusRule', () => {
    const dashboards = readdirSync(join(ROOT, 'dashboards')).filter((f) => f.endsWith('.json'));
    expect(Object.keys(generated).sort()).toEqual(
      [...dashboards.map((f) => `dashboards/${f}`), 'deploy/kubernetes/prometheusrule.yaml'].sort(),
    );
  });

  it.each(Object.keys(generated))('%s is byte for byte what its generator produces', (path) => {
    expect(readFileSync(join(ROOT, path), 'utf8'), `${path} is stale: run npm run gen`).toBe(generated[path]);
  });

  it('npm run gen -- --check passes and rewrites nothing', () => {
    const mtimes = () => Object.keys(generated).map((p) => statSync(join(ROOT, p)).mtimeMs);
    const before = mtimes();
    const r = spawnSync(process.execPath, ['scripts/gen.mjs', '--check'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(mtimes()).toEqual(before);
  });

  describe('the check', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vitals-gen-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('names a file that differs or is missing, and only those', () => {
      for (const [path, text] of Object.entries(generated)) {
        mkdirSync(dirname(join(dir, path)), { recursive: true });
        writeFileSync(join(dir, path), text);
      }
      expect(gen.staleFiles(dir)).toEqual([]);
      writeFileSync(join(dir, 'dashboards/host.json'), `${generated['dashboards/host.json']} `);
      rmSync(join(dir, 'deploy/kubernetes/prometheusrule.yaml'));
      expect(gen.staleFiles(dir).sort()).toEqual(['dashboards/host.json', 'deploy/kubernetes/prometheusrule.yaml']);
    });
  });
});
