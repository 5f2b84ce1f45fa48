import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../support/paths.js';

const read = (p: string) => readFileSync(join(ROOT, p), 'utf8');
const yamlDocs = (p: string) =>
  parseAllDocuments(read(p))
    .map((d) => d.toJS())
    .filter(Boolean);

describe('alerts/ with promtool', () => {
  it('promtool check rules passes', () => {
    const r = spawnSync('promtool', ['check', 'rules', 'alerts/vitals.rules.yml'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/SUCCESS: \d+ rules found/);
  });
  it('promtool test rules: every alert fires on a bad series and stays silent on a healthy one', () => {
    const r = spawnSync('promtool', ['test', 'rules', 'alerts/tests/vitals.test.yml'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const rules = parseYaml(read('alerts/vitals.rules.yml')) as { groups: { rules: { alert?: string }[] }[] };
    const alerts = new Set(rules.groups.flatMap((g) => g.rules.map((x) => x.alert).filter(Boolean)));
    const tests = read('alerts/tests/vitals.test.yml');
    for (const a of alerts) expect(tests, `${a} has a promtool test`).toMatch(new RegExp(`alertname: ${a}\\b`));
    expect([...alerts].sort()).toEqual([
      'VitalsCertificateExpiring',
      'VitalsChecksStale',
      'VitalsDependencyDown',
      'VitalsDependencySlow',
      'VitalsDown',
      'VitalsFilesystemAlmostFull',
      'VitalsFilesystemFillingUp',
      'VitalsHostCpuHigh',
      'VitalsHostMemoryHigh',
      'VitalsMcpToolErrorRateHigh',
    ]);
  });
  it(
    'names follow the conventions: level:metric:operations records, CamelCase alerts with severity and ' +
      'annotations',
    () => {
      const rules = parseYaml(read('alerts/vitals.rules.yml')) as { groups: { rules: Record<string, any>[] }[] };
      for (const r of rules.groups.flatMap((g) => g.rules)) {
        if (r.record) expect(r.record).toMatch(/^[a-z_]+:[a-z0-9_]+:[a-z0-9_]+$/);
        else {
          expect(r.alert).toMatch(/^Vitals[A-Z][A-Za-z]+$/);
          expect(['warning', 'critical']).toContain(r.labels.severity);
          expect(r.annotations.summary).toBeTruthy();
          expect(r.annotations.description).toBeTruthy();
        }
      }
    },
  );
  it('thresholds agree with the daemon defaults', async () => {
    const { parseConfig } = await import('../../../src/config/load.js');
    const t = parseConfig({}, {}).host.thresholds;
    const text = read('alerts/vitals.rules.yml');
    for (const [alert, levels] of [
      ['VitalsHostCpuHigh', [t.cpu.warn, t.cpu.fail]],
      ['VitalsHostMemoryHigh', [t.memory.warn, t.memory.fail]],
      ['VitalsFilesystemAlmostFull', [t.disk.warn, t.disk.fail]],
    ] as const) {
      for (const l of levels)
        expect(text, `${alert} at ${l}`).toMatch(new RegExp(`> ${l.toFixed(2).replace(/0$/, '')}0?\\b`));
    }
    expect(text).toMatch(/> 0\.10/);
  });
});

interface Panel {
  type: string;
  title: string;
  datasource: { uid: string };
  fieldConfig: { defaults: { unit?: string } };
  targets: { expr: string; datasource: { uid: string } }[];
}

describe('dashboards/', () => {
  const files = readdirSync(join(ROOT, 'dashboards')).filter((f) => f.endsWith('.json'));
  it('has the host, dependencies and MCP dashboards', () =>
    expect(files.sort()).toEqual(['dependencies.json', 'host.json', 'mcp.json']));
  it.each(files)('%s: current schema, stable uid, variables, datasource variable and unit on every panel', (f) => {
    const d = JSON.parse(read(`dashboards/${f}`));
    expect(d.uid).toMatch(/^mcp-vitals-[a-z-]+$/);
    expect(d.schemaVersion).toBeGreaterThanOrEqual(39);
    expect(d.title).toMatch(/^mcp-vitals \//);
    const vars = d.templating.list.map((v: { name: string; type: string }) => `${v.name}:${v.type}`);
    expect(vars).toEqual(['datasource:datasource', 'job:query', 'instance:query']);
    expect(d.panels.length).toBeGreaterThan(4);
    const ids = new Set<number>();
    for (const p of d.panels as (Panel & { id: number })[]) {
      expect(ids.has(p.id), `duplicate panel id ${p.id}`).toBe(false);
      ids.add(p.id);
      expect(p.datasource, p.title).toEqual({ type: 'prometheus', uid: '${datasource}' });
      expect(p.fieldConfig.defaults.unit, `${p.title} has a unit`).toBeTruthy();
      for (const t of p.targets) {
        expect(t.datasource.uid).toBe('${datasource}');
        expect(t.expr, p.title).toMatch(/job=~"\$job",instance=~"\$instance"/);
      }
    }
    // No hard-coded datasource uid anywhere.
    expect(JSON.stringify(d)).not.toMatch(/"uid":\s*"(?!\$\{datasource\}|mcp-vitals-|-- Grafana --)[^"]*"/);
  });
  it('provisioning has a Prometheus datasource and a file provider', () => {
    const ds = parseYaml(read('dashboards/provisioning/datasources/prometheus.yaml'));
    expect(ds.datasources[0]).toMatchObject({ type: 'prometheus', access: 'proxy' });
    const prov = parseYaml(read('dashboards/provisioning/dashboards/mcp-vitals.yaml'));
    expect(prov.providers[0]).toMatchObject({ type: 'file', options: { path: expect.any(String) } });
  });
});

describe('Dockerfile and docker-compose.yml', () => {
  it('Dockerfile: multi-stage, production deps only, non-root, HEALTHCHECK on /livez with node', () => {
    const df = read('Dockerfile');
    expect(df.match(/^FROM /gm)!.length).toBeGreaterThanOrEqual(2);
    expect(df).toMatch(/npm ci --omit=dev/);
    expect(df).toMatch(/^USER (node|\d+)/m);
    expect(df).toMatch(/^HEALTHCHECK .*\n?.*CMD \["node".*\/livez/m);
    expect(
      df
        .split('\n')
        .filter((l) => !l.startsWith('#'))
        .join('\n'),
    ).not.toMatch(/curl|wget/);
    const ignore = read('.dockerignore');
    for (const p of ['node_modules', '.git', '.env'])
      expect(ignore).toMatch(new RegExp(`^${p.replace('.', '\\.')}$`, 'm'));
  });
  it('compose: the whole stack with healthchecks, healthy ordering and no secrets', () => {
    const c = parseYaml(read('docker-compose.yml')) as { services: Record<string, any> };
    expect(Object.keys(c.services).sort()).toEqual(['grafana', 'jaeger', 'postgres', 'prometheus', 'redis', 'vitals']);
    expect(c.services.vitals.command).toEqual(expect.arrayContaining(['serve', '--http']));
    expect(c.services.vitals.depends_on).toMatchObject({
      postgres: { condition: 'service_healthy' },
      redis: { condition: 'service_healthy' },
    });
    for (const s of ['vitals', 'postgres', 'redis', 'prometheus', 'grafana'])
      expect(c.services[s].healthcheck?.test, `${s} healthcheck`).toBeTruthy();
    expect(c.services.prometheus.volumes).toEqual(expect.arrayContaining([expect.stringMatching(/^\.\/alerts:/)]));
    expect(c.services.grafana.volumes).toEqual(expect.arrayContaining([expect.stringMatching(/^\.\/dashboards:/)]));
    expect(c.services.vitals.environment.OTEL_EXPORTER_OTLP_ENDPOINT).toMatch(/jaeger:4318/);
    // Every secret is a ${VAR} from .env, and .env.example names each one.
    const text = read('docker-compose.yml');
    for (const m of text.matchAll(/(PASSWORD|SHA256|TOKEN)[A-Z_]*:\s*(.+)$/gm))
      expect(m[2], m[0]).toMatch(/^\$\{[A-Z0-9_]+:\?/);
    const example = read('.env.example');
    for (const v of new Set([...text.matchAll(/\$\{([A-Z0-9_]+):\?/g)].map((m) => m[1])))
      expect(example).toMatch(new RegExp(`^${v}=$`, 'm'));
    for (const p of Object.values(c.services).flatMap((s: any) => s.ports ?? [])) expect(p).toMatch(/^127\.0\.0\.1:/);
  });
  it('the compose config for mcp-vitals is a valid config', async () => {
    const { parseConfigText } = await import('../../../src/config/load.js');
    const env = { VITALS_TOKEN_SHA256: 'a'.repeat(64), POSTGRES_PASSWORD: 'x', REDIS_PASSWORD: 'y' };
    const cfg = parseConfigText(read('deploy/compose/vitals.yaml'), env);
    expect(
      cfg.checks
        .filter((c) => c.critical)
        .map((c) => c.name)
        .sort(),
    ).toEqual(['postgres', 'redis']);
  });
});

describe('deploy/kubernetes', () => {
  const all = readdirSync(join(ROOT, 'deploy/kubernetes'))
    .filter((f) => f.endsWith('.yaml'))
    .flatMap((f) => yamlDocs(`deploy/kubernetes/${f}`)) as any[];
  const byKind = (k: string) => all.filter((d) => d.kind === k);
  it('has the Deployment, DaemonSet, Services, ConfigMaps, ServiceMonitor and PrometheusRule', () => {
    for (const k of ['Deployment', 'DaemonSet', 'Service', 'ConfigMap', 'ServiceMonitor', 'PrometheusRule'])
      expect(byKind(k).length, k).toBeGreaterThan(0);
  });
  it(
    'workloads probe /livez and /readyz, set resources and a locked-down security context, and read secrets ' +
      'from a Secret',
    () => {
      for (const w of [...byKind('Deployment'), ...byKind('DaemonSet')]) {
        const spec = w.spec.template.spec;
        expect(spec.securityContext.runAsNonRoot).toBe(true);
        for (const c of spec.containers) {
          expect(c.livenessProbe.httpGet.path).toBe('/livez');
          expect(c.readinessProbe.httpGet.path).toBe('/readyz');
          expect(c.resources.requests.cpu).toBeTruthy();
          expect(c.resources.limits.memory).toBeTruthy();
          expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true });
          expect(c.envFrom).toEqual(expect.arrayContaining([{ secretRef: { name: 'mcp-vitals' } }]));
        }
      }
      const ds = byKind('DaemonSet')[0];
      expect(ds.spec.template.spec.hostPID).toBe(true);
    },
  );
  it('config maps hold valid configs that keep secrets out', async () => {
    const { parseConfigText } = await import('../../../src/config/load.js');
    const env = {
      VITALS_TOKEN_SHA256: 'a'.repeat(64),
      VITALS_METRICS_TOKEN_SHA256: 'b'.repeat(64),
      ORDERS_DB_PASSWORD: 'x',
      REDIS_PASSWORD: 'y',
    };
    for (const cm of byKind('ConfigMap')) {
      const text = cm.data['vitals.yaml'] as string;
      expect(() => parseConfigText(text, env)).not.toThrow();
      expect(text).not.toMatch(/:\/\/[^:$]+:[^$@]+@/);
    }
  });
  it('the PrometheusRule carries exactly the rules in alerts/', () => {
    const rules = parseYaml(read('alerts/vitals.rules.yml'));
    const pr = byKind('PrometheusRule')[0];
    expect(pr.spec).toEqual(rules);
  });
});
