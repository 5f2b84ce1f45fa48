/**
 * Telemetry's view of MCP traffic, as types only: the MCP layer (which watches transports) and telemetry (which
 * turns what it sees into spans and metrics) both import this, and neither imports the other.
 */

/** What the transport layer knows about one incoming MCP request or notification. */
export interface McpMessageInfo {
  /** The method, or `_OTHER` for one outside the MCP method set (a client must not mint label values). */
  method: string;
  /** JSON-RPC id; absent on notifications. */
  id?: string;
  /** A tool this server offers (`tools/call`); `_OTHER` for any other name asked for. */
  toolName?: string;
  /** The URI of resources/read and (un)subscribe: for spans only, never a metric label. */
  resourceUri?: string;
  /** W3C trace context the client put in `params._meta` (traceparent, tracestate, baggage). */
  meta?: Record<string, string>;
  /** `pipe` for stdio, `tcp` for Streamable HTTP, as the OTel MCP conventions name them. */
  transport: 'pipe' | 'tcp';
  sessionId?: string;
  /** Negotiated by `initialize` on this transport (the server's answer, so a bounded value). */
  protocolVersion?: string;
}

export interface McpMessageOutcome {
  /** JSON-RPC error code of an error response. */
  errorCode?: number;
  errorMessage?: string;
  /** A `tools/call` answered with `isError: true`. */
  toolError?: boolean;
  /** Its `error.type` (`client.*` for the caller's mistakes), when the server said. */
  toolErrorType?: string;
  /** The version `initialize` settled on (its own span learns it only from the response). */
  protocolVersion?: string;
}

export interface McpMessageScope {
  /** Runs the SDK's handling of the message, e.g. inside the request's span context. */
  run<T>(fn: () => T): T;
  /** `endedAt` (performance.now() time) when the end is reported later than it happened. */
  end(outcome: McpMessageOutcome, endedAt?: number): void;
}

/** Telemetry's view of MCP traffic: one scope per request, and session ends. */
export interface McpTransportObserver {
  /** `startedAt` (performance.now() time) when the message is reported later than it arrived. */
  message(info: McpMessageInfo, startedAt?: number): McpMessageScope;
  /** A session began: the transport saw its first `initialize`. Every start is followed by one end. */
  sessionStarted?(info: { transport: 'pipe' | 'tcp' }): void;
  sessionEnded?(info: { transport: 'pipe' | 'tcp'; protocolVersion?: string; durationSeconds: number }): void;
}
