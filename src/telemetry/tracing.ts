import { createRequire, syncBuiltinESMExports } from 'node:module';
import {
  context,
  isSpanContextValid,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import type { Resource } from '@opentelemetry/resources';
import type { Logger } from 'pino';
import type { ProbeRunScope } from '../monitor/health-monitor.js';
import { setTraceContextSource } from '../shared/log-context.js';
import type { OtlpProtocol } from './settings.js';

export interface Tracing {
  tracer: Tracer;
  /** A span around each dependency round; registered with the monitor (`monitor.instrument`). */
  probeScope: ProbeRunScope;
  shutdown(): Promise<void>;
}

export interface TracingOptions {
  resource: Resource;
  log: Logger;
  version: string;
  /** The OTLP transport spans go out on. */
  protocol: OtlpProtocol;
  /** Dependency kinds in the config: the pg and ioredis instrumentations load only when used. */
  kinds: ReadonlySet<string>;
}

const requireHere = createRequire(import.meta.url);

/**
 * The instrumentations patch modules through require hooks (require-in-the-middle). Our code imports them
 * as ESM, which those hooks do not see, so each module is required once here, after the hooks are in place:
 * the patch lands on the shared CommonJS exports the later ESM import receives, and for `node:http` the
 * builtin's ESM bindings are re-synced so `import { request } from 'node:http'` gets the patched function.
 */
function patchLoaded(modules: string[]): void {
  for (const m of modules) requireHere(m);
  syncBuiltinESMExports();
}

/**
 * A NodeTracerProvider exporting over OTLP (the transport from OTEL_EXPORTER_OTLP_[TRACES_]PROTOCOL; endpoint,
 * headers and timeouts from the standard OTEL_* variables, sampler from OTEL_TRACES_SAMPLER), W3C trace-context
 * propagation, and the http, pg and ioredis instrumentations. Outgoing calls make spans only under a parent (a
 * probe or a tool call), so the exporter's own requests and unrelated traffic stay out; incoming HTTP is not
 * traced (MCP requests have spans of their own, and scrapes of /metrics should cost nothing).
 */
export async function startTracing(o: TracingOptions): Promise<Tracing> {
  const wantPg = o.kinds.has('postgres');
  const wantRedis = o.kinds.has('redis');
  const [
    { NodeTracerProvider, BatchSpanProcessor },
    exporter,
    { registerInstrumentations },
    { HttpInstrumentation },
    pgMod,
    redisMod,
  ] = await Promise.all([
    import('@opentelemetry/sdk-trace-node'),
    import('./otlp.js').then((m) => m.traceExporter(o.protocol)),
    import('@opentelemetry/instrumentation'),
    import('@opentelemetry/instrumentation-http'),
    wantPg ? import('@opentelemetry/instrumentation-pg') : undefined,
    wantRedis ? import('@opentelemetry/instrumentation-ioredis') : undefined,
  ]);

  const provider = new NodeTracerProvider({ resource: o.resource, spanProcessors: [new BatchSpanProcessor(exporter)] });
  provider.register();

  const instrumentations: Instrumentation[] = [
    new HttpInstrumentation({ disableIncomingRequestInstrumentation: true, requireParentforOutgoingSpans: true }),
  ];
  if (pgMod) instrumentations.push(new pgMod.PgInstrumentation({ requireParentSpan: true }));
  if (redisMod) instrumentations.push(new redisMod.IORedisInstrumentation({ requireParentSpan: true }));
  registerInstrumentations({ tracerProvider: provider, instrumentations });
  patchLoaded(['node:http', 'node:https', ...(wantPg ? ['pg', 'pg-pool'] : []), ...(wantRedis ? ['ioredis'] : [])]);

  setTraceContextSource(() => {
    const sc = trace.getSpanContext(context.active());
    if (!sc || !isSpanContextValid(sc)) return undefined;
    return { trace_id: sc.traceId, span_id: sc.spanId, trace_flags: `0${sc.traceFlags.toString(16)}` };
  });

  const tracer = provider.getTracer('mcp-vitals', o.version);
  const probeSpans = new WeakSet<Span>();

  const probeScope: ProbeRunScope = (check, kind, run) => {
    // A round started from a tool call (refresh) belongs to that call's trace; a scheduled one starts its own.
    // A round is never the child of another round, whatever context a timer inherited.
    const active = trace.getSpan(context.active());
    const parent = active && probeSpans.has(active) ? ROOT_CONTEXT : context.active();
    return tracer.startActiveSpan(
      `check ${check}`,
      { kind: SpanKind.INTERNAL, attributes: { 'vitals.check.name': check, 'vitals.check.kind': kind } },
      parent,
      async (span) => {
        probeSpans.add(span);
        try {
          const info = await run();
          span.setAttribute('vitals.check.outcome', info.outcome);
          if (info.outcome === 'failure') {
            span.setAttribute('error.type', 'check_failed');
            span.setStatus({ code: SpanStatusCode.ERROR, ...(info.error ? { message: info.error } : {}) });
          }
          return info;
        } catch (e) {
          span.recordException(e as Error);
          span.setStatus({ code: SpanStatusCode.ERROR, message: (e as Error)?.message });
          throw e;
        } finally {
          span.end();
        }
      },
    );
  };

  o.log.debug({ instrumentations: instrumentations.map((i) => i.instrumentationName) }, 'tracing started');
  return {
    tracer,
    probeScope,
    async shutdown() {
      setTraceContextSource(undefined);
      await provider
        .shutdown()
        .catch((e: unknown) => o.log.warn({ err: (e as Error).message }, 'tracing shutdown failed'));
    },
  };
}
