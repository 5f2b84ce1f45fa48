import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpsServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaultProxy } from '../../support/fault-proxy.js';
import { startDaemon, type Daemon } from '../../support/http-daemon.js';
import { ROOT } from '../../support/paths.js';
import { selfSigned } from '../deps/servers.js';
import { freePort, waitUntil } from '../../support/wait.js';

const PROMQL_WORDS = new Set([
  'sum',
  'min',
  'max',
  'avg',
  'count',
  'rate',
  'irate',
  'increase',
  'deriv',
  'predict_linear',
  'histogram_quantile',
  'time',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'abs',
  'clamp_min',
  'clamp_max',
  'label_values',
  'topk',
  'bottomk',
]);

/** Metric names an expression reads: identifiers outside label matchers, minus PromQL words and recording rules. */
function metricNames(expr: string): string[] {
  // label_values(metric, label): the second argument is a label name.
  const bare = expr
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/label_values\(([^,]*),[^)]*\)/g, '$1')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/"[^"]*"/g, ' ')
    .replace(/\$\w+/g, ' ');
  const names = new Set<string>();
  for (const m of bare.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const id = m[0];
    if (PROMQL_WORDS.has(id) || id.includes(':') || /^(e|inf|nan)$/i.test(id)) continue;
    // Label names in by/without/on lists follow a parenthesis after those words; drop them too.
    names.add(id);
  }
  for (const m of expr.matchAll(/\b(?:by|without|on|ignoring)\s*\(([^)]*)\)/g))
    for (const l of m[1]!.split(',')) names.delete(l.trim());
  return [...names];
}

function expressions(): { where: string; expr: string }[] {
  const out: { where: string; expr: string }[] = [];
  const rules = parseYaml(readFileSync(join(ROOT, 'alerts/vitals.rules.yml'), 'utf8')) as {
    groups: { rules: { expr: string; alert?: string; record?: string }[] }[];
  };
  for (const r of rules.groups.flatMap((g) => g.rules))
    out.push({ where: `rule ${r.alert ?? r.record}`, expr: r.expr });
  for (const f of readdirSync(join(ROOT, 'dashboards')).filter((x) => x.endsWith('.json'))) {
    const d = JSON.parse(readFileSync(join(ROOT, 'dashboards', f), 'utf8'));
    for (const p of d.panels) for (const t of p.targets) out.push({ where: `${f} "${p.title}"`, expr: t.expr });
    for (const v of d.templating.list)
      if (v.query?.query) out.push({ where: `${f} variable ${v.name}`, expr: v.query.query });
  }
  return out;
}

describe('dashboards and rules against the real daemon and a real Prometheus', () => {
  let proxy: FaultProxy;
  let daemon: Daemon;
  let tls: Server;
  let prometheus: ChildProcess;
  let promLog = '';
  let dir: string;
  let api: string;

  beforeAll(async () => {
    proxy = await FaultProxy.start({ host: '127.0.0.1', port: 5432 });
    const cert = selfSigned(10);
    tls = createHttpsServer({ key: cert.key, cert: cert.cert }, (_req, res) => res.end('ok'));
    await new Promise<void>((r) => tls.listen(0, '127.0.0.1', r));
    const tlsPort = (tls.address() as { port: number }).port;
    daemon = await startDaemon({
      config: [
        'checks:',
        `  - { name: orders-db, kind: postgres, url: "postgres://postgres@127.0.0.1:${proxy.port}/postgres", ` +
          `critical: true, every: 500ms, timeout: 1s, failureThreshold: 1 }`,
        `  - { name: api, kind: http, url: "https://127.0.0.1:${tlsPort}/", every: 1s, tls: { ` +
          `insecureSkipVerify: true } }`,
      ].join('\n'),
    });
    // MCP traffic, a finished session and a refused request, so the MCP series exist.
    const client = new Client({ name: 'live', version: '1' });
    const transport = new StreamableHTTPClientTransport(new URL(`${daemon.url}/mcp`));
    await client.connect(transport);
    await client.callTool({ name: 'health_check', arguments: {} });
    await client.callTool({ name: 'check_dependencies', arguments: { names: ['nope'] } });
    await transport.terminateSession();
    await client.close();
    await fetch(`${daemon.url}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'http://evil.example' },
      body: '{}',
    });

    dir = mkdtempSync(join(tmpdir(), 'vitals-alerts-'));
    const port = await freePort();
    api = `http://127.0.0.1:${port}`;
    writeFileSync(
      join(dir, 'prometheus.yml'),
      [
        'global: { scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s }',
        `rule_files: ['${join(ROOT, 'alerts/vitals.rules.yml')}']`,
        'scrape_configs:',
        `  - { job_name: mcp-vitals, static_configs: [{ targets: ['127.0.0.1:${daemon.port}'] }] }`,
      ].join('\n'),
    );
    prometheus = spawn(
      '/usr/bin/prometheus',
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    prometheus.stderr!.on('data', (d) => (promLog += d));
    await waitUntil(
      async () => (await fetch(`${api}/-/ready`).catch(() => undefined))?.ok,
      `Prometheus ready\n${promLog}`,
      30_000,
    );
  }, 90_000);

  afterAll(async () => {
    if (prometheus && prometheus.exitCode === null) {
      const exited = new Promise((r) => prometheus.once('exit', r));
      prometheus.kill('SIGTERM');
      await exited;
    }
    await daemon?.stop();
    await proxy?.close();
    tls?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('every metric a dashboard panel or rule reads is on /metrics (no dead panels)', async () => {
    const page = await (await fetch(`${daemon.url}/metrics`)).text();
    const exposed = new Set(
      [...page.matchAll(/^# TYPE (\S+) (\w+)/gm)].flatMap((m) =>
        m[2] === 'histogram' ? [`${m[1]}_bucket`, `${m[1]}_count`, `${m[1]}_sum`] : [m[1]!],
      ),
    );
    // `up` and `target_info` come from Prometheus' scrape itself / the exporter's resource.
    exposed.add('up');
    const missing: string[] = [];
    const exprs = expressions();
    expect(exprs.length).toBeGreaterThan(30);
    for (const { where, expr } of exprs)
      for (const name of metricNames(expr)) if (!exposed.has(name)) missing.push(`${where}: ${name}`);
    expect(missing).toEqual([]);
  });

  it('Prometheus loads alerts/ and VitalsDependencyDown goes pending when the critical dependency is cut', async () => {
    const rules = (await (await fetch(`${api}/api/v1/rules`)).json()) as {
      data: { groups: { rules: { name: string }[] }[] };
    };
    const names = new Set(rules.data.groups.flatMap((g) => g.rules.map((r) => r.name)));
    expect(names.has('VitalsDependencyDown')).toBe(true);
    // Healthy first: the alert must not be active while the dependency answers.
    await waitUntil(
      async () => {
        const r = (await (
          await fetch(`${api}/api/v1/query?query=${encodeURIComponent('vitals_check_status{check="orders-db"}')}`)
        ).json()) as { data: { result: unknown[] } };
        return r.data.result.length > 0;
      },
      'orders-db series in Prometheus',
      30_000,
    );
    const before = (await (await fetch(`${api}/api/v1/alerts`)).json()) as {
      data: { alerts: { labels: Record<string, string> }[] };
    };
    expect(before.data.alerts.filter((a) => a.labels.alertname === 'VitalsDependencyDown')).toEqual([]);

    await proxy.refuse();
    const alert = await waitUntil(
      async () => {
        const r = (await (await fetch(`${api}/api/v1/alerts`)).json()) as {
          data: { alerts: { labels: Record<string, string>; state: string }[] };
        };
        return r.data.alerts.find(
          (a) => a.labels.alertname === 'VitalsDependencyDown' && ['pending', 'firing'].includes(a.state),
        );
      },
      `VitalsDependencyDown pending\n${promLog}`,
      45_000,
      500,
    );
    expect(alert.labels).toMatchObject({
      check: 'orders-db',
      critical: 'true',
      severity: 'critical',
      job: 'mcp-vitals',
    });
  }, 90_000);
});

describe('metricNames', () => {
  it('reads names, not functions, labels or recording rules', () => {
    expect(
      metricNames(
        'sum by (instance, cpu_mode) (rate(system_cpu_time_seconds_total{job=~"$job",cpu_mode!="idle"}[5m])) /' +
          ' on (instance) group_left system_cpu_logical_cpus',
      ).sort(),
    ).toEqual(['system_cpu_logical_cpus', 'system_cpu_time_seconds_total']);
    expect(metricNames('instance:system_cpu_busy:ratio > 0.85')).toEqual([]);
    expect(metricNames('vitals_cert_expiry_timestamp_seconds - time() < 14 * 86400')).toEqual([
      'vitals_cert_expiry_timestamp_seconds',
    ]);
  });
});
