import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../support/paths.js';

const read = (p: string) => readFileSync(join(ROOT, p), 'utf8');

describe('the "many hosts" examples', () => {
  it('compose: the fleet override adds a healthy Alertmanager and points mcp-vitals and Prometheus at it', () => {
    const o = parseYaml(read('deploy/compose/fleet.yml')) as { services: Record<string, any> };
    expect(o.services.alertmanager.healthcheck.test.join(' ')).toContain('/-/ready');
    expect(o.services.alertmanager.ports).toEqual(['127.0.0.1:9093:9093']);
    expect(o.services.vitals.volumes).toEqual(['./deploy/compose/vitals-fleet.yaml:/etc/mcp-vitals/vitals.yaml:ro']);
    for (const v of [
      ...o.services.vitals.volumes,
      ...o.services.prometheus.volumes,
      ...o.services.alertmanager.volumes,
    ]) {
      const src = String(v).split(':')[0]!;
      if (src.startsWith('./')) expect(existsSync(join(ROOT, src)), src).toBe(true);
    }
    const r = spawnSync('promtool', ['check', 'config', '--syntax-only', 'deploy/compose/prometheus-fleet.yml'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(
      parseYaml(read('deploy/compose/prometheus-fleet.yml')).alerting.alertmanagers[0].static_configs[0].targets,
    ).toEqual(['alertmanager:9093']);
  });

  it('compose: the fleet config is a valid config with both sources', async () => {
    const { parseConfigText } = await import('../../../src/config/load.js');
    const cfg = parseConfigText(read('deploy/compose/vitals-fleet.yaml'), {
      VITALS_TOKEN_SHA256: 'a'.repeat(64),
      POSTGRES_PASSWORD: 'x',
      REDIS_PASSWORD: 'y',
    });
    expect(cfg.fleet?.prometheus?.url).toBe('http://prometheus:9090');
    expect(cfg.fleet?.alertmanager?.url).toBe('http://alertmanager:9093');
  });

  it(
    'kubernetes: the kustomization names files that exist and its ConfigMap patch is a valid config ' +
      'with the fleet',
    async () => {
      const k = parseYaml(read('deploy/kubernetes/fleet/kustomization.yaml')) as {
        resources: string[];
        patches: { path: string }[];
      };
      for (const f of [...k.resources, ...k.patches.map((p) => p.path)])
        expect(existsSync(join(ROOT, 'deploy/kubernetes/fleet', f)), f).toBe(true);
      const patch = parseYaml(read('deploy/kubernetes/fleet/configmap-patch.yaml')) as {
        kind: string;
        metadata: { name: string };
        data: Record<string, string>;
      };
      const base = parseYaml(read('deploy/kubernetes/configmap.yaml')) as {
        metadata: { name: string };
        data: Record<string, string>;
      };
      expect(patch).toMatchObject({ kind: 'ConfigMap', metadata: { name: base.metadata.name } });
      // The patch is the base config plus the fleet section, nothing else changed.
      expect(patch.data['vitals.yaml']!.startsWith(base.data['vitals.yaml']!.trimEnd())).toBe(true);
      const { parseConfigText } = await import('../../../src/config/load.js');
      const env = {
        VITALS_TOKEN_SHA256: 'a'.repeat(64),
        VITALS_METRICS_TOKEN_SHA256: 'b'.repeat(64),
        REDIS_PASSWORD: 'r',
        ORDERS_DB_PASSWORD: 'o',
      };
      const cfg = parseConfigText(patch.data['vitals.yaml']!, env);
      expect(cfg.fleet?.prometheus?.url).toMatch(/^http:\/\/prometheus-operated\./);
    },
  );
});
