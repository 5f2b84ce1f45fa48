import { spawnSync } from 'node:child_process';
import { gunzipSync } from 'node:zlib';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Client as V2Client, StreamableHTTPClientTransport as V2Transport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeConfig } from '../support/cli.js';
import { spawnDaemon, type Daemon } from '../integration/telemetry/support.js';
import { freePort, waitUntil } from '../support/wait.js';

interface Family {
  name: string;
  type?: string;
  help?: string;
  samples: { name: string; labels: Record<string, string>; value: number }[];
}

/** A small parser of the text format, enough to check names, HELP and labels. */
function parseExposition(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const family = (name: string) => families.get(name) ?? families.set(name, { name, samples: [] }).get(name)!;
  let current: Family | undefined;
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const meta = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
    if (meta) {
      current = family(meta[2]!);
      if (meta[1] === 'HELP') current.help = meta[3];
      else current.type = meta[3];
      continue;
    }
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`unparsable line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, k, v] of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[k!] = v!;
    const owner = current && (m[1] === current.name || m[1]!.startsWith(`${current.name}_`)) ? current : family(m[1]!);
    owner.samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return families;
}

// Base-unit suffixes (Prometheus naming); counters of events end in _total.
const UNIT_SUFFIX = /_(seconds|bytes|ratio|celsius|hertz|volts|watts|joules|meters|percent)(_total)?$/;
// Gauges without a unit by nature: states (0/1/2), counts of things, load averages, the resource.
const DIMENSIONLESS = new Set([
  'target_info',
  'vitals_overall_status',
  'vitals_check_status',
  'vitals_check_up',
  'vitals_breaker_open',
  'system_cpu_load_average_1m',
  'system_cpu_load_average_5m',
  'system_cpu_load_average_15m',
  'system_cpu_logical_cpus',
  'process_unix_file_descriptors',
  'process_unix_file_descriptor_limit',
  'vitals_history_series',
  'vitals_history_samples_buffered',
  'vitals_history_store_available',
  'vitals_mcp_sessions',
]);
const IPV4 = /\b\d{1,3}(\.\d{1,3}){3}\b/;
const IPV6 = /\b[0-9a-f]{0,4}(:[0-9a-f]{0,4}){2,7}\b/i;

describe('/metrics of the running daemon (spawned CLI)', () => {
  let daemon: Daemon;
  let base: string;

  beforeAll(async () => {
    const closed = await freePort();
    const config = writeConfig(`
checks:
  - name: db
    kind: postgres
    url: postgres://postgres@127.0.0.1:5432/postgres
    every: 1s
  - name: api
    kind: http
    url: http://probe:hunter2secret@127.0.0.1:${closed}/health?token=topsecret&user=alice
    every: 1s
    failureThreshold: 1
  - name: cache
    kind: tcp
    host: 127.0.0.1
    port: ${closed}
    every: 1s
`);
    daemon = spawnDaemon(['serve', '--http', '--listen', '127.0.0.1:0', '--config', config]);
    base = `http://${await daemon.httpAddress()}`;
    // Every check has run once and failed or passed for real (not "not run yet").
    await waitUntil(
      async () => (await fetch(`${base}/metrics`).then((r) => r.text())).match(/vitals_check_up\{/g)?.length === 3,
      'three dependency checks to report up',
    );
  });

  afterAll(async () => {
    await daemon?.stop();
  });

  const scrape = async () => {
    const r = await fetch(`${base}/metrics`, { headers: { 'accept-encoding': 'identity' } });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    return r.text();
  };

  it('passes promtool check metrics with no problems', async () => {
    const text = await scrape();
    const out = spawnSync('/usr/bin/promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(out.stdout + out.stderr).toBe('');
    expect(out.status).toBe(0);
  });

  it('gives every metric HELP, a type, and a unit-suffixed name', async () => {
    const families = parseExposition(await scrape());
    expect(families.size).toBeGreaterThan(25);
    for (const f of families.values()) {
      expect(f.help, `${f.name} HELP`).toMatch(/\w{3,}/);
      expect(f.help).not.toBe('description missing');
      expect(['gauge', 'counter', 'histogram'], `${f.name} TYPE`).toContain(f.type);
      const ok =
        UNIT_SUFFIX.test(f.name) || (f.type === 'counter' && f.name.endsWith('_total')) || DIMENSIONLESS.has(f.name);
      expect(ok, `${f.name} has no unit suffix`).toBe(true);
    }
    for (const name of [
      'vitals_history_samples_dropped_total',
      'vitals_history_store_available',
      'system_cpu_utilization_ratio',
      'system_memory_usage_bytes',
      'system_filesystem_usage_bytes',
      'system_network_io_bytes_total',
      'vitals_check_duration_seconds',
      'vitals_check_runs_total',
      'process_cpu_time_seconds_total',
    ]) {
      expect(families.has(name), name).toBe(true);
    }
  });

  it('reports each check with bounded labels: no URL, address, credential or error text', async () => {
    const families = parseExposition(await scrape());
    const up = families.get('vitals_check_up')!.samples;
    expect(up.find((s) => s.labels.check === 'db')).toMatchObject({
      labels: { check: 'db', kind: 'postgres' },
      value: 1,
    });
    expect(up.find((s) => s.labels.check === 'api')).toMatchObject({ labels: { kind: 'http' }, value: 0 });
    expect(families.get('vitals_check_status')!.samples.find((s) => s.labels.check === 'api')).toMatchObject({
      labels: { kind: 'http', critical: 'false' },
      value: 2,
    });
    expect(
      families
        .get('vitals_breaker_open')!
        .samples.map((s) => s.labels.check)
        .sort(),
    ).toEqual(['api', 'cache', 'db']);
    const outcomes = new Set(families.get('vitals_check_runs_total')!.samples.map((s) => s.labels.outcome));
    expect(outcomes).toEqual(new Set(['success', 'failure']));
    for (const f of families.values()) {
      for (const s of f.samples) {
        for (const [k, v] of Object.entries(s.labels)) {
          const where = `${s.name}{${k}="${v}"}`;
          expect(v, where).not.toMatch(/:\/\/|\?|\s|secret|hunter2|alice|refused/i);
          expect(v, where).not.toMatch(IPV4);
          if (k !== 'le') expect(v, where).not.toMatch(IPV6);
          expect(v.length, where).toBeLessThanOrEqual(128);
        }
      }
    }
  });

  it('counts MCP requests over HTTP by method and tool, with unknown names folded into _OTHER', async () => {
    const client = new Client({ name: 'e2e-metrics', version: '1.0.0' });
    const transport = new StreamableHTTPClientTransport(new URL(`${base}/mcp`));
    await client.connect(transport);
    await client.listTools();
    await client.callTool({ name: 'health_check', arguments: {} });
    await client.callTool({ name: 'no_such_tool_4711', arguments: {} }).catch(() => undefined);
    const open = (f: Map<string, Family>) =>
      f.get('vitals_mcp_sessions')?.samples.find((s) => s.labels.network_transport === 'tcp')?.value;
    await waitUntil(async () => open(parseExposition(await scrape())) === 1, 'one open MCP session');
    await transport.terminateSession();
    await client.close();
    const ended = await waitUntil(async () => {
      const f = parseExposition(await scrape());
      return open(f) === 0 ? f.get('mcp_server_session_duration_seconds') : undefined;
    }, 'the session to end');
    expect(ended.samples.find((s) => s.name === 'mcp_server_session_duration_seconds_count')?.value).toBe(1);
    const op = await waitUntil(async () => {
      const f = parseExposition(await scrape()).get('mcp_server_operation_duration_seconds');
      return f?.samples.some((s) => s.labels.gen_ai_tool_name === '_OTHER') ? f : undefined;
    }, 'mcp_server_operation_duration_seconds with the unknown tool');
    const counts = op.samples.filter((s) => s.name === 'mcp_server_operation_duration_seconds_count');
    expect(
      counts.find((s) => s.labels.mcp_method_name === 'tools/call' && s.labels.gen_ai_tool_name === 'health_check')
        ?.labels,
    ).toMatchObject({ network_transport: 'tcp', network_protocol_name: 'http' });
    expect(counts.find((s) => s.labels.mcp_method_name === 'tools/list')?.value).toBeGreaterThanOrEqual(1);
    const unknown = counts.find((s) => s.labels.gen_ai_tool_name === '_OTHER')!;
    // An unknown tool is the caller's mistake, and the label says so.
    expect(unknown.labels.error_type).toBe('client.unknown_tool');
    expect(JSON.stringify(op)).not.toContain('no_such_tool_4711');
  });

  it('2026-07-28 requests keep the same instruments, told apart by mcp_protocol_version', async () => {
    const client = new V2Client(
      { name: 'e2e-metrics-2026', version: '1.0.0' },
      { versionNegotiation: { mode: 'auto' } },
    );
    await client.connect(new V2Transport(new URL(`${base}/mcp`)));
    expect(client.getNegotiatedProtocolVersion()).toBe('2026-07-28');
    await client.callTool({ name: 'health_check', arguments: {} });
    await client.close();
    const call = await waitUntil(async () => {
      const f = parseExposition(await scrape()).get('mcp_server_operation_duration_seconds');
      return f?.samples.find(
        (s) =>
          s.name === 'mcp_server_operation_duration_seconds_count' &&
          s.labels.mcp_protocol_version === '2026-07-28' &&
          s.labels.gen_ai_tool_name === 'health_check',
      );
    }, 'a 2026-07-28 tools/call counted');
    expect(call.labels).toMatchObject({
      mcp_method_name: 'tools/call',
      network_transport: 'tcp',
      network_protocol_name: 'http',
    });
    expect(call.labels.error_type).toBeUndefined();
  });

  it('counts HTTP requests by method, route and status, never by raw URL', async () => {
    expect((await fetch(`${base}/no/such/path-4711?token=topsecret`)).status).toBe(404);
    expect((await fetch(`${base}/livez`)).status).toBe(200);
    const counts = await waitUntil(async () => {
      const f = parseExposition(await scrape()).get('http_server_request_duration_seconds');
      const c = f?.samples.filter((s) => s.name === 'http_server_request_duration_seconds_count') ?? [];
      return c.some((s) => s.labels.http_response_status_code === '404') &&
        c.some((s) => s.labels.http_route === '/livez')
        ? c
        : undefined;
    }, 'http_server_request_duration_seconds for the 404 and /livez');
    expect(counts.find((s) => s.labels.http_route === '/metrics')?.labels).toMatchObject({
      http_request_method: 'GET',
      http_response_status_code: '200',
    });
    const notFound = counts.find((s) => s.labels.http_response_status_code === '404')!;
    expect(notFound.labels.http_route).toBeUndefined();
    expect(JSON.stringify(counts)).not.toMatch(/4711|topsecret/);
  });

  it('serves gzip to scrapers that ask, as Prometheus does', async () => {
    const r = await fetch(`${base}/metrics`, { headers: { 'accept-encoding': 'gzip' } });
    // fetch would decompress transparently; read the raw bytes through a plain request instead.
    expect(r.status).toBe(200);
    const raw = await new Promise<{ encoding: string | undefined; body: Buffer }>((resolve, reject) => {
      import('node:http').then(({ get }) =>
        get(`${base}/metrics`, { headers: { 'accept-encoding': 'gzip' } }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ encoding: res.headers['content-encoding'], body: Buffer.concat(chunks) }));
        }).on('error', reject),
      );
    });
    expect(raw.encoding).toBe('gzip');
    expect(gunzipSync(raw.body).toString()).toMatch(/^# HELP target_info/);
  });
});

describe('serve --stdio --metrics-port', () => {
  it('serves /metrics and the health routes on loopback beside stdio, and no /mcp', async () => {
    const daemon = spawnDaemon(['serve', '--stdio', '--metrics-port', '0']);
    try {
      const address = await daemon.httpAddress();
      expect(address).toMatch(/^127\.0\.0\.1:\d+$/);
      const base = `http://${address}`;
      const text = await waitUntil(async () => {
        const t = await fetch(`${base}/metrics`).then((r) => r.text());
        return t.includes('system_cpu_utilization_ratio{') ? t : undefined;
      }, 'host metrics on the metrics port');
      expect(text).toMatch(/^vitals_check_status\{check="memory",kind="memory",critical="(true|false)"\} [012]$/m);
      expect((await fetch(`${base}/livez`)).status).toBe(200);
      expect(
        (await fetch(`${base}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }))
          .status,
      ).toBe(404);
    } finally {
      await daemon.stop();
    }
  });

  it('is off by default: a stdio daemon opens no port', async () => {
    const daemon = spawnDaemon(['serve', '--stdio']);
    try {
      await waitUntil(() => daemon.lines.some((l) => l.includes('mcp-vitals started')), 'the daemon to start');
      expect(daemon.lines.some((l) => l.includes('HTTP server listening'))).toBe(false);
    } finally {
      await daemon.stop();
    }
  });

  it('refuses a port that is not one', async () => {
    const daemon = spawnDaemon(['serve', '--stdio', '--metrics-port', 'abc']);
    const code = await new Promise<number | null>((r) => daemon.child.once('exit', (c) => r(c)));
    expect(code).toBe(2);
  });
});
