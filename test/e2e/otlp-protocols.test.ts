import { randomBytes } from 'node:crypto';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { otlpGrpcReceiver, otlpHttpReceiver, type OtlpReceived } from '../support/otlp.js';
import { CLI } from '../support/paths.js';
import { waitUntil } from '../support/wait.js';

const hex = (bytes: number) => randomBytes(bytes).toString('hex');
const SERVER = 2;

/**
 * The spawned stdio daemon exports to a receiver of the test's own over each OTLP transport; what arrives is
 * decoded with the official protobuf definitions (or as OTLP/JSON) and checked for the resource, the metric
 * names and the tool-call span parented on the client's `_meta.traceparent`.
 */
const cases: { name: string; receiver: () => Promise<OtlpReceived>; env: Record<string, string>; request: RegExp }[] = [
  // Only an endpoint set: the specification's default transport.
  {
    name: 'default (http/protobuf)',
    receiver: otlpHttpReceiver,
    env: {},
    request: /^http POST \/v1\/(traces|metrics) application\/x-protobuf$/,
  },
  {
    name: 'http/protobuf',
    receiver: otlpHttpReceiver,
    env: { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' },
    request: /^http POST \/v1\/(traces|metrics) application\/x-protobuf$/,
  },
  {
    name: 'http/json',
    receiver: otlpHttpReceiver,
    env: { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' },
    request: /^http POST \/v1\/(traces|metrics) application\/json$/,
  },
  {
    name: 'grpc',
    receiver: otlpGrpcReceiver,
    env: { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' },
    request: /^grpc \/opentelemetry\.proto\.collector\.(trace\.v1\.TraceService|metrics\.v1\.MetricsService)\/Export$/,
  },
];

describe.each(cases)(
  'OTLP over $name (spawned stdio daemon, receiver of our own)',
  ({ receiver: start, env, request }) => {
    let receiver: OtlpReceived;
    let client: Client;
    let stderr = '';

    beforeAll(async () => {
      receiver = await start();
      const transport = new StdioClientTransport({
        command: process.execPath,
        args: [CLI, 'serve', '--stdio'],
        env: {
          ...process.env,
          VITALS_LOG_LEVEL: 'info',
          OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
          OTEL_SERVICE_NAME: 'vitals-otlp-test',
          OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=ci,team=observability',
          OTEL_BSP_SCHEDULE_DELAY: '100',
          OTEL_METRIC_EXPORT_INTERVAL: '500',
          ...env,
        } as Record<string, string>,
        stderr: 'pipe',
      });
      transport.stderr?.on('data', (d) => (stderr += d));
      client = new Client({ name: 'e2e-otlp', version: '1.0.0' });
      await client.connect(transport);
    });

    afterAll(async () => {
      await client?.close();
      await receiver?.close();
    });

    it('sends a tool-call span parented on _meta.traceparent, with its attributes and our resource', async () => {
      const traceId = hex(16);
      const parentId = hex(8);
      const r = await client.callTool({
        name: 'health_check',
        arguments: {},
        _meta: { traceparent: `00-${traceId}-${parentId}-01` },
      });
      expect(r.isError).toBeFalsy();
      const span = await waitUntil(
        () => receiver.spans.find((s) => s.traceId === traceId && s.name === 'tools/call health_check'),
        `a span in trace ${traceId}\n${receiver.requests.join('\n')}\n${stderr}`,
      );
      expect(span.parentSpanId).toBe(parentId);
      expect(span.spanId).toMatch(/^[0-9a-f]{16}$/);
      expect(span.kind).toBe(SERVER);
      expect(span.attributes).toMatchObject({
        'mcp.method.name': 'tools/call',
        'gen_ai.tool.name': 'health_check',
        'network.transport': 'pipe',
      });
      expect(span.resource).toMatchObject({
        'service.name': 'vitals-otlp-test',
        'deployment.environment.name': 'ci',
        team: 'observability',
        'telemetry.sdk.language': 'nodejs',
      });
      expect(span.resource['service.instance.id']).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('sends the metrics under their OpenTelemetry names, with the same resource', async () => {
      const wanted = [
        'system.cpu.utilization',
        'system.memory.usage',
        'system.filesystem.usage',
        'vitals.check.status',
        'mcp.server.operation.duration',
      ];
      await waitUntil(
        () => wanted.every((n) => receiver.metricNames.has(n)) || undefined,
        `metrics ${wanted.join(', ')}`,
      );
      const m = receiver.metrics.find((x) => x.name === 'system.cpu.utilization')!;
      expect(m.resource).toMatchObject({ 'service.name': 'vitals-otlp-test', team: 'observability' });
    });

    it('uses the transport asked for, and only that one', () => {
      expect(receiver.requests.length).toBeGreaterThan(0);
      for (const q of receiver.requests) expect(q).toMatch(request);
    });
  },
);
