import { randomBytes } from 'node:crypto';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI } from '../support/paths.js';
import { writeConfig } from '../support/cli.js';
import { otlpReceiver, type OtlpSpan } from '../integration/telemetry/support.js';
import { freePort, waitUntil } from '../support/wait.js';

// OTLP/JSON span kinds.
const SERVER = 2;
const INTERNAL = 1;
const ERROR = 2;

const hex = (bytes: number) => randomBytes(bytes).toString('hex');

describe('traces over OTLP/HTTP (spawned stdio daemon, real Postgres, receiver of our own)', () => {
  let receiver: Awaited<ReturnType<typeof otlpReceiver>>;
  let client: Client;
  let stderr = '';

  beforeAll(async () => {
    receiver = await otlpReceiver();
    const closedPort = await freePort();
    const config = writeConfig(`
refreshMinInterval: 0
checks:
  - name: pg-main
    kind: postgres
    url: postgres://postgres@127.0.0.1:5432/postgres
    every: 1s
  - name: nothing-there
    kind: tcp
    host: 127.0.0.1
    port: ${closedPort}
    every: 1s
    failureThreshold: 1
  - name: cache
    kind: redis
    url: redis://127.0.0.1:6379
    every: 1s
  - name: web
    kind: http
    url: ${receiver.url}/health
    every: 1s
`);
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [CLI, 'serve', '--stdio', '--config', config],
      env: {
        ...process.env,
        VITALS_LOG_LEVEL: 'info',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_BSP_SCHEDULE_DELAY: '100',
        OTEL_METRIC_EXPORT_INTERVAL: '1000',
      } as Record<string, string>,
      stderr: 'pipe',
    });
    transport.stderr?.on('data', (d) => (stderr += d));
    client = new Client({ name: 'e2e-tracing', version: '1.0.0' });
    await client.connect(transport);
  });

  afterAll(async () => {
    await client?.close();
    await receiver?.close();
  });

  const spansNamed = (name: string) => receiver.spans.filter((s) => s.name === name);

  it('exports a SERVER span per tool call, named and parented as the MCP conventions say', async () => {
    const traceId = hex(16);
    const parentId = hex(8);
    const r = await client.callTool({
      name: 'health_check',
      arguments: {},
      _meta: { traceparent: `00-${traceId}-${parentId}-01` },
    });
    expect(r.isError).toBeFalsy();
    const span = await waitUntil(
      () => spansNamed('tools/call health_check').find((s) => s.traceId === traceId),
      `a span in trace ${traceId}\n${receiver.requests.join('\n')}\n${stderr}`,
    );
    expect(span.parentSpanId).toBe(parentId);
    expect(span.kind).toBe(SERVER);
    expect(span.attributes).toMatchObject({
      'mcp.method.name': 'tools/call',
      'gen_ai.tool.name': 'health_check',
      'gen_ai.operation.name': 'execute_tool',
      'network.transport': 'pipe',
      'jsonrpc.request.id': expect.any(String),
    });
    expect(span.attributes['error.type']).toBeUndefined();
    // With only an endpoint set, the exporter speaks the specification's default, OTLP/HTTP with protobuf.
    expect(receiver.requests.some((q) => q.startsWith('http POST /v1/traces application/x-protobuf'))).toBe(true);
  });

  it('exports a span per probe run with the pg driver spans as its children', async () => {
    const { probe, child } = await waitUntil(() => {
      for (const probe of spansNamed('check pg-main')) {
        const child = receiver.spans.find(
          (s) =>
            s.parentSpanId === probe.spanId &&
            s.scope === '@opentelemetry/instrumentation-pg' &&
            s.name.startsWith('pg'),
        );
        if (child) return { probe, child };
      }
      return undefined;
    }, 'a pg-main probe span with a pg child');
    expect(probe.kind).toBe(INTERNAL);
    expect(probe.attributes).toMatchObject({
      'vitals.check.name': 'pg-main',
      'vitals.check.kind': 'postgres',
      'vitals.check.outcome': 'success',
    });
    expect(child.traceId).toBe(probe.traceId);
    expect(child.attributes['db.system.name'] ?? child.attributes['db.system']).toBe('postgresql');
  });

  it('nests the ioredis and http driver spans under their probe runs too', async () => {
    const childOf = (check: string, scope: string) =>
      waitUntil(() => {
        for (const probe of spansNamed(`check ${check}`)) {
          const child = receiver.spans.find((s) => s.parentSpanId === probe.spanId && s.scope === scope);
          if (child) return child;
        }
        return undefined;
      }, `a ${scope} span under check ${check}`);
    const redis = await childOf('cache', '@opentelemetry/instrumentation-ioredis');
    expect(redis.attributes['db.system.name'] ?? redis.attributes['db.system']).toBe('redis');
    const http = await childOf('web', '@opentelemetry/instrumentation-http');
    expect(http.name).toBe('GET');
    expect(http.attributes['http.response.status_code']).toBe(200);
  });

  it('records a failed probe run as an error on its span', async () => {
    const failed = await waitUntil(
      () => spansNamed('check nothing-there').find((s) => s.status?.code === ERROR),
      'a failed probe span',
    );
    expect(failed.attributes).toMatchObject({ 'vitals.check.outcome': 'failure', 'error.type': 'check_failed' });
    expect(failed.status?.message).toMatch(/refused|ECONNREFUSED/i);
  });

  it('puts probe runs a tool call asked for (refresh) in that call’s trace', async () => {
    const traceId = hex(16);
    await client.callTool({
      name: 'check_dependencies',
      arguments: { refresh: true },
      _meta: { traceparent: `00-${traceId}-${hex(8)}-01` },
    });
    const call = await waitUntil(
      () => spansNamed('tools/call check_dependencies').find((s) => s.traceId === traceId),
      'the check_dependencies span',
    );
    const probe = await waitUntil(
      () => spansNamed('check pg-main').find((s) => s.traceId === traceId),
      'a probe span in the tool call trace',
    );
    expect(probe.parentSpanId).toBe(call.spanId);
  });

  it('starts a trace of its own when the client sends no traceparent', async () => {
    const before = new Set(receiver.spans.map((s: OtlpSpan) => s.spanId));
    await client.callTool({ name: 'get_metrics', arguments: { sections: ['daemon'] } });
    const span = await waitUntil(
      () => spansNamed('tools/call get_metrics').find((s) => !before.has(s.spanId)),
      'the get_metrics span',
    );
    expect(span.parentSpanId).toBeUndefined();
    expect(span.traceId).toMatch(/^[0-9a-f]{32}$/);
  });

  it('gives every repeat of a kept answer its SERVER span (those are answered without the SDK on stdio)', async () => {
    const before = new Set(receiver.spans.map((s: OtlpSpan) => s.spanId));
    for (let i = 0; i < 5; i++) await client.callTool({ name: 'health_check', arguments: { only_problems: true } });
    const spans = await waitUntil(() => {
      const fresh = spansNamed('tools/call health_check').filter((s) => !before.has(s.spanId));
      return fresh.length >= 5 ? fresh : undefined;
    }, 'five health_check spans');
    expect(spans).toHaveLength(5);
    expect(new Set(spans.map((s) => s.traceId)).size).toBe(5);
    for (const s of spans) expect(s.kind).toBe(SERVER);
  });

  it('pushes metrics over OTLP under their OTel names', async () => {
    await waitUntil(
      () =>
        receiver.metricNames.has('mcp.server.operation.duration') &&
        receiver.metricNames.has('system.cpu.utilization') &&
        receiver.metricNames.has('vitals.check.duration'),
      `OTLP metrics (got ${[...receiver.metricNames].join(', ')})`,
    );
  });
});
