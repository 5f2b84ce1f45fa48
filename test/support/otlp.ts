import { createServer, type Server as HttpServer } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Server as GrpcServer, ServerCredentials, type ServiceDefinition } from '@grpc/grpc-js';
import protobuf from 'protobufjs';

/**
 * Receivers of the tests' own for OTLP over each transport (no collector can be installed here): an HTTP
 * endpoint taking protobuf and JSON bodies, and a gRPC server. Protobuf is decoded with the official
 * opentelemetry-proto definitions as shipped in an npm package (`otlp-protos`), so what the exporters send is
 * checked against the wire format, not against the exporters' own serialiser.
 */

const PROTOS = join(dirname(createRequire(import.meta.url).resolve('otlp-protos/package.json')), 'build/protos');
const root = new protobuf.Root();
root.resolvePath = (_origin, target) => (target.startsWith('/') ? target : join(PROTOS, target));
root.loadSync(
  [
    'opentelemetry/proto/collector/trace/v1/trace_service.proto',
    'opentelemetry/proto/collector/metrics/v1/metrics_service.proto',
  ],
  { keepCase: false },
);
const TRACES = 'opentelemetry.proto.collector.trace.v1';
const METRICS = 'opentelemetry.proto.collector.metrics.v1';
const traceRequest = root.lookupType(`${TRACES}.ExportTraceServiceRequest`);
const metricsRequest = root.lookupType(`${METRICS}.ExportMetricsServiceRequest`);

export interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  status?: { code?: number; message?: string };
  attributes: Record<string, unknown>;
  scope: string;
  resource: Record<string, unknown>;
}

interface OtlpMetric {
  name: string;
  scope: string;
  resource: Record<string, unknown>;
}

/** What arrived: `transport path content-type` per request, then the decoded spans and metrics. */
export interface OtlpReceived {
  url: string;
  requests: string[];
  spans: OtlpSpan[];
  metrics: OtlpMetric[];
  metricNames: Set<string>;
  close(): Promise<void>;
}

type AnyValue = {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string | number;
  doubleValue?: number;
  arrayValue?: { values?: AnyValue[] };
};
type KeyValue = { key: string; value?: AnyValue };

function value(v: AnyValue | undefined): unknown {
  if (!v) return undefined;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.arrayValue) return (v.arrayValue.values ?? []).map(value);
  return Object.values(v)[0];
}
const attributes = (kvs: KeyValue[] | undefined) => Object.fromEntries((kvs ?? []).map((a) => [a.key, value(a.value)]));
/** protobuf bytes arrive base64 from toObject; OTLP/JSON already carries ids as hex. */
const hex = (id: string | undefined, binary: boolean) =>
  !id ? undefined : binary ? Buffer.from(id, 'base64').toString('hex') : id;

function collect(into: Pick<OtlpReceived, 'spans' | 'metrics' | 'metricNames'>, body: any, binary: boolean): void {
  for (const rs of body.resourceSpans ?? []) {
    const resource = attributes(rs.resource?.attributes);
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        const parentSpanId = hex(s.parentSpanId, binary);
        into.spans.push({
          traceId: hex(s.traceId, binary)!,
          spanId: hex(s.spanId, binary)!,
          ...(parentSpanId ? { parentSpanId } : {}),
          name: s.name,
          kind: s.kind,
          status: s.status,
          attributes: attributes(s.attributes),
          scope: ss.scope?.name,
          resource,
        });
      }
    }
  }
  for (const rm of body.resourceMetrics ?? []) {
    const resource = attributes(rm.resource?.attributes);
    for (const sm of rm.scopeMetrics ?? []) {
      for (const m of sm.metrics ?? []) {
        into.metrics.push({ name: m.name, scope: sm.scope?.name, resource });
        into.metricNames.add(m.name);
      }
    }
  }
}

const decode = (type: protobuf.Type, bytes: Uint8Array) =>
  type.toObject(type.decode(bytes), { longs: String, bytes: String, enums: Number, defaults: false });

function received(url: string, close: () => Promise<void>): OtlpReceived & { add(body: any, binary: boolean): void } {
  const r = {
    url,
    requests: [] as string[],
    spans: [] as OtlpSpan[],
    metrics: [] as OtlpMetric[],
    metricNames: new Set<string>(),
    close,
  };
  return { ...r, add: (body, binary) => collect(r, body, binary) };
}

/** OTLP/HTTP on /v1/traces and /v1/metrics: application/x-protobuf or application/json bodies. */
export async function otlpHttpReceiver(): Promise<OtlpReceived> {
  const server: HttpServer = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const type = req.headers['content-type'] ?? '';
      out.requests.push(`http ${req.method} ${req.url} ${type}`);
      const body = Buffer.concat(chunks);
      const kind = req.url === '/v1/traces' ? traceRequest : req.url === '/v1/metrics' ? metricsRequest : undefined;
      // Anything else is a plain 200, so a test can point an http check at the receiver too.
      if (!kind) return res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      try {
        if (type.startsWith('application/x-protobuf')) out.add(decode(kind, body), true);
        else if (type.startsWith('application/json')) out.add(JSON.parse(body.toString()), false);
        else throw new Error(`unexpected content-type ${type}`);
      } catch (e) {
        out.requests.push(`rejected: ${(e as Error).message}`);
        return res.writeHead(400).end();
      }
      // An empty Export*ServiceResponse in the request's own encoding.
      if (type.startsWith('application/json')) res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      else res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  const out = received(`http://127.0.0.1:${port}`, () => new Promise((r) => server.close(() => r())));
  return out;
}

/** OTLP/gRPC: the TraceService and MetricsService of opentelemetry-proto, on a loopback port. */
export async function otlpGrpcReceiver(): Promise<OtlpReceived> {
  const server = new GrpcServer();
  const service = (pkg: string, name: string, _request: protobuf.Type): ServiceDefinition => {
    const method = root.lookupService(`${pkg}.${name}`).methods.Export!;
    const response = root.lookupType(
      method.responseType.includes('.') ? method.responseType : `${pkg}.${method.responseType}`,
    );
    return {
      Export: {
        path: `/${pkg}.${name}/Export`,
        requestStream: false,
        responseStream: false,
        requestSerialize: (m: Uint8Array) => Buffer.from(m),
        requestDeserialize: (b: Buffer) => b,
        responseSerialize: () => Buffer.from(response.encode(response.create({})).finish()),
        responseDeserialize: (b: Buffer) => b,
        originalName: 'export',
      },
    } as ServiceDefinition;
  };
  const handler =
    (request: protobuf.Type, path: string) =>
    (call: { request: Buffer }, callback: (err: null, res: object) => void) => {
      out.requests.push(`grpc ${path}`);
      out.add(decode(request, call.request), true);
      callback(null, {});
    };
  server.addService(service(TRACES, 'TraceService', traceRequest), {
    Export: handler(traceRequest, `/${TRACES}.TraceService/Export`),
  });
  server.addService(service(METRICS, 'MetricsService', metricsRequest), {
    Export: handler(metricsRequest, `/${METRICS}.MetricsService/Export`),
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );
  const out = received(`http://127.0.0.1:${port}`, () => new Promise((r) => server.tryShutdown(() => r())));
  return out;
}
