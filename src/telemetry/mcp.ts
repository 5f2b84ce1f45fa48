import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import type { McpMessageInfo, McpMessageOutcome, McpTransportObserver } from '../shared/mcp-observer.js';
import type { Metrics } from './metrics.js';

/** A performance.now() time as epoch milliseconds, for span start and end times. */
const epochMs = (perfTime: number) => performance.timeOrigin + perfTime;

/**
 * error.type per the OTel MCP conventions: the JSON-RPC code, or for an `isError` result the type the server
 * gave it (`client.*` for the caller's mistakes, `tool_error` when it said nothing).
 */
export function errorType(outcome: McpMessageOutcome): string | undefined {
  if (outcome.errorCode !== undefined) return String(outcome.errorCode);
  return outcome.toolError ? (outcome.toolErrorType ?? 'tool_error') : undefined;
}

/** `client.*` error types are the caller's mistakes (bad or unknown arguments, unknown names, missing scope). */
const isClientError = (type: string): boolean => type.startsWith('client.');

/** Attributes of mcp.server.operation.duration: every one bounded (methods and tools are checked upstream). */
export function operationAttributes(info: McpMessageInfo, outcome: McpMessageOutcome): Attributes {
  const a: Attributes = { 'mcp.method.name': info.method, 'network.transport': info.transport };
  if (info.toolName) a['gen_ai.tool.name'] = info.toolName;
  const err = errorType(outcome);
  if (err) a['error.type'] = err;
  const version = outcome.protocolVersion ?? info.protocolVersion;
  if (version) a['mcp.protocol.version'] = version;
  if (info.transport === 'tcp') a['network.protocol.name'] = 'http';
  return a;
}

/** `{mcp.method.name} {target}`, the target being the tool when there is one. */
export function spanName(info: McpMessageInfo): string {
  return info.toolName ? `${info.method} ${info.toolName}` : info.method;
}

/** Span attributes: the metric's, plus the per-request ones that would be unbounded as labels. */
export function spanAttributes(info: McpMessageInfo): Attributes {
  const a: Attributes = { 'mcp.method.name': info.method, 'network.transport': info.transport };
  if (info.id !== undefined) a['jsonrpc.request.id'] = info.id;
  if (info.toolName) {
    a['gen_ai.tool.name'] = info.toolName;
    a['gen_ai.operation.name'] = 'execute_tool';
  }
  if (info.resourceUri) a['mcp.resource.uri'] = info.resourceUri;
  if (info.sessionId) a['mcp.session.id'] = info.sessionId;
  if (info.protocolVersion) a['mcp.protocol.version'] = info.protocolVersion;
  if (info.transport === 'tcp') a['network.protocol.name'] = 'http';
  return a;
}

/**
 * Metrics and spans for MCP traffic. A span per request (kind SERVER), its parent the context the client sent
 * in `params._meta` (traceparent/tracestate), active while the SDK handles the request so probe runs it
 * triggers (refresh) nest under it.
 */
export function createMcpObserver(
  metrics: Metrics | undefined,
  tracer: Tracer | undefined,
): McpTransportObserver | undefined {
  if (!metrics && !tracer) return undefined;
  return {
    message(info, started = performance.now()) {
      let ctx: Context | undefined;
      let span: Span | undefined;
      if (tracer) {
        const parent = info.meta?.traceparent ? propagation.extract(ROOT_CONTEXT, info.meta) : context.active();
        span = tracer.startSpan(
          spanName(info),
          { kind: SpanKind.SERVER, attributes: spanAttributes(info), startTime: epochMs(started) },
          parent,
        );
        ctx = trace.setSpan(parent, span);
      }
      let ended = false;
      return {
        run: (fn) => (ctx ? context.with(ctx, fn) : fn()),
        end(outcome, at = performance.now()) {
          if (ended) return;
          ended = true;
          metrics?.recordOperation((at - started) / 1000, operationAttributes(info, outcome));
          if (!span) return;
          const err = errorType(outcome);
          if (outcome.protocolVersion) span.setAttribute('mcp.protocol.version', outcome.protocolVersion);
          if (err) {
            span.setAttribute('error.type', err);
            if (outcome.errorCode !== undefined)
              span.setAttribute('rpc.response.status_code', String(outcome.errorCode));
            // As a server span of an HTTP 4xx: the caller's mistake is labelled, but the server did not fail.
            if (!isClientError(err))
              span.setStatus({
                code: SpanStatusCode.ERROR,
                ...(outcome.errorMessage ? { message: outcome.errorMessage } : {}),
              });
          }
          span.end(epochMs(at));
        },
      };
    },
    sessionStarted(s) {
      metrics?.sessionsOpen(1, { 'network.transport': s.transport });
    },
    sessionEnded(s) {
      metrics?.sessionsOpen(-1, { 'network.transport': s.transport });
      metrics?.recordSession(s.durationSeconds, {
        'network.transport': s.transport,
        ...(s.protocolVersion ? { 'mcp.protocol.version': s.protocolVersion } : {}),
        ...(s.transport === 'tcp' ? { 'network.protocol.name': 'http' } : {}),
      });
    },
  };
}
