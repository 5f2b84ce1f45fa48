import type { CallToolResult, Transport } from '@modelcontextprotocol/server';
import type { HealthMonitor } from '../monitor/health-monitor.js';
import type {
  McpMessageInfo,
  McpMessageOutcome,
  McpMessageScope,
  McpTransportObserver,
} from '../shared/mcp-observer.js';
import { redactText } from '../shared/redact.js';
import type { z } from 'zod';
import { isKeptAnswer } from './tools/snapshot-common.js';
import { classifyError, ToolError, type ErrorClass, type ToolContext, type AnyToolDefinition } from './tools/types.js';

export interface ToolCallInfo {
  /** The tool, or `_OTHER` for a name this server does not offer (a client must not mint label values). */
  tool: string;
  durationMs: number;
  /**
   * Set when the call failed: `client.*` for the caller's mistakes, else `tool_error`, `store_unavailable`,
   * `internal`.
   */
  errorType?: string;
  /** The failure was the caller's (bad arguments, unknown name, missing scope), not the tool's. */
  clientError?: boolean;
}

/** Hooks for telemetry; called after every tool call. */
export type ToolCallObserver = (info: ToolCallInfo) => void;

/** Where a failed call's `error.type` travels in the result, so the transport observer can label it. */
export const ERROR_TYPE_META = 'dev.mcp-vitals/error.type';

/** zod issues as one short line: "window: expected string, received number; step: …". */
function issuesText(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join('.') : '(arguments)'}: ${i.message}`)
    .join('; ');
}

type Answer = { text: string; data: unknown };
const toResult = ({ text, data }: Answer): CallToolResult => ({
  content: [{ type: 'text', text }],
  structuredContent: data as Record<string, unknown>,
});
/** Results of kept answers, built once: the same result for the same answer lets stdio answer it from its text. */
const keptResults = new WeakMap<Answer, CallToolResult>();
function resultOf(answer: Answer): CallToolResult {
  if (!isKeptAnswer(answer)) return toResult(answer);
  let result = keptResults.get(answer);
  if (!result) {
    result = toResult(answer);
    keptResults.set(answer, result);
  }
  return result;
}

/**
 * The whole of `tools/call`: finds the tool, validates its arguments, runs it, and classifies and counts
 * every call — unknown tools and bad arguments included, which the SDK's own handler would answer without
 * anyone counting them. A thrown error becomes an `isError` result with a short redacted message; none
 * escapes. Only failures of the tool itself count as errors in the monitor (`tool_errors`).
 */
export function toolCallHandler(
  defs: readonly AnyToolDefinition[],
  monitor: HealthMonitor,
  ctxFor: (extra: unknown) => ToolContext,
  observers: ToolCallObserver[],
) {
  const byName = new Map(defs.map((d) => [d.name, d]));
  return async (
    request: { params: { name: string; arguments?: Record<string, unknown> } },
    extra: unknown,
  ): Promise<CallToolResult> => {
    const started = performance.now();
    const def = byName.get(request.params.name);
    let failure: ErrorClass | undefined;
    try {
      if (!def)
        throw new ToolError(
          `unknown tool "${String(request.params.name).slice(0, 64)}"; tools: ${defs.map((d) => d.name).join(', ')}`,
          'UNKNOWN_TOOL',
        );
      const parsed = def.input.safeParse(request.params.arguments ?? {});
      if (!parsed.success)
        throw new ToolError(`invalid arguments for ${def.name}: ${issuesText(parsed.error)}`, 'INVALID_ARGUMENT');
      return resultOf(await def.run(parsed.data, ctxFor(extra)));
    } catch (e) {
      failure = classifyError(e);
      const message =
        e instanceof ToolError
          ? e.message
          : `internal error in ${def?.name ?? 'tool'}: ` +
            redactText(String((e as Error)?.message ?? e), monitor.secrets);
      return { content: [{ type: 'text', text: message }], isError: true, _meta: { [ERROR_TYPE_META]: failure.type } };
    } finally {
      const durationMs = performance.now() - started;
      const tool = def?.name ?? '_OTHER';
      monitor.recordToolCall({
        tool,
        durationMs,
        error: failure !== undefined && !failure.client,
        clientError: failure?.client === true,
      });
      const info: ToolCallInfo = {
        tool,
        durationMs,
        ...(failure ? { errorType: failure.type, clientError: failure.client } : {}),
      };
      for (const o of observers) o(info);
    }
  };
}

const MCP_METHODS = new Set([
  'initialize',
  'ping',
  'tools/list',
  'tools/call',
  'resources/list',
  'resources/templates/list',
  'resources/read',
  'resources/subscribe',
  'resources/unsubscribe',
  'prompts/list',
  'prompts/get',
  'completion/complete',
  'logging/setLevel',
  'notifications/initialized',
  'notifications/cancelled',
  'notifications/progress',
  'notifications/roots/list_changed',
  // 2026-07-28
  'server/discover',
  'subscriptions/listen',
]);

/** Where a 2026-07-28 request names its protocol version (per request: there is no `initialize`). */
const VERSION_META_KEY = 'io.modelcontextprotocol/protocolVersion';
/** A protocol version as the spec spells one; anything else is not a label value. */
const VERSION_RE = /^\d{4}-\d{2}-\d{2}$/;

const META_KEYS = ['traceparent', 'tracestate', 'baggage'] as const;

function toolErrorTypeOf(result: Json | undefined): { toolErrorType?: string } {
  const meta = result?.isError === true && isObject(result._meta) ? result._meta : undefined;
  const type = meta?.[ERROR_TYPE_META];
  return typeof type === 'string' ? { toolErrorType: type } : {};
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null;

/** Builds the transport-level facts of one incoming message; `knownTools` bounds gen_ai.tool.name. */
export function describeMessage(
  msg: Json,
  transport: 'pipe' | 'tcp',
  knownTools: ReadonlySet<string>,
  session: { id?: string; protocolVersion?: string },
): McpMessageInfo {
  const method = typeof msg.method === 'string' && MCP_METHODS.has(msg.method) ? msg.method : '_OTHER';
  const params = isObject(msg.params) ? msg.params : undefined;
  const info: McpMessageInfo = { method, transport };
  if (msg.id !== undefined && msg.id !== null) info.id = String(msg.id);
  if (method === 'tools/call')
    info.toolName = typeof params?.name === 'string' && knownTools.has(params.name) ? params.name : '_OTHER';
  if (method.startsWith('resources/') && typeof params?.uri === 'string') info.resourceUri = params.uri;
  const rawMeta = params?._meta;
  if (isObject(rawMeta)) {
    const meta: Record<string, string> = {};
    for (const k of META_KEYS) if (typeof rawMeta[k] === 'string') meta[k] = rawMeta[k];
    if (Object.keys(meta).length) info.meta = meta;
  }
  if (session.id) info.sessionId = session.id;
  const claimed = isObject(rawMeta) ? rawMeta[VERSION_META_KEY] : undefined;
  if (typeof claimed === 'string' && VERSION_RE.test(claimed)) info.protocolVersion = claimed;
  else if (session.protocolVersion) info.protocolVersion = session.protocolVersion;
  return info;
}

/** One observed transport: its kind, the requests awaiting their response, and its session's facts. */
interface Watch {
  transport: Transport;
  observer: McpTransportObserver;
  knownTools: ReadonlySet<string>;
  kind: 'pipe' | 'tcp';
  pending: Map<string, { scope: McpMessageScope; initialize: boolean }>;
  session: { id?: string; protocolVersion?: string; startedAt?: number; ended?: boolean };
}

/**
 * Wraps an `onmessage` handler: each incoming request or notification is handled inside its own scope; a
 * request's scope stays open until its response goes out. A handler set before connect() is called again from
 * inside the SDK's own, so each message is observed once (`seen` is shared by every wrapper of one transport).
 */
function observeIncoming(w: Watch, seen: WeakSet<object>) {
  return (fn: Transport['onmessage']): Transport['onmessage'] =>
    fn &&
    ((msg, extra) => {
      const m = msg as unknown as Json;
      if (typeof m.method !== 'string' || seen.has(m)) return fn(msg, extra);
      seen.add(m);
      if (m.method === 'initialize' && w.session.startedAt === undefined) {
        w.session.startedAt = performance.now();
        w.observer.sessionStarted?.({ transport: w.kind });
      }
      w.session.id = (w.transport as { sessionId?: string }).sessionId ?? w.session.id;
      const info = describeMessage(m, w.kind, w.knownTools, w.session);
      const scope = w.observer.message(info);
      if (info.id === undefined) {
        try {
          return scope.run(() => fn(msg, extra));
        } finally {
          scope.end({});
        }
      }
      w.pending.set(info.id, { scope, initialize: m.method === 'initialize' });
      return scope.run(() => fn(msg, extra));
    });
}

/** The setter of the nearest accessor (or nothing, for a plain field) the transport inherits for `name`. */
function inheritedSetter(transport: Transport, name: string): ((v: unknown) => void) | undefined {
  for (let o = Object.getPrototypeOf(transport); o; o = Object.getPrototypeOf(o)) {
    const d = Object.getOwnPropertyDescriptor(o, name);
    if (d) return d.set;
  }
  return undefined;
}

/**
 * Keeps a handler wrapped whoever sets it (the SDK sets its own on connect). StreamableHTTPServerTransport's
 * handlers are accessors forwarding to an inner transport: the inherited accessor is fed too, or the inner
 * transport never sees a handler and every HTTP request hangs.
 */
function interceptHandler<K extends 'onmessage' | 'onclose'>(
  transport: Transport,
  name: K,
  wrap: (fn: Transport[K]) => Transport[K],
): void {
  const setInherited = inheritedSetter(transport, name);
  let current = wrap(transport[name]);
  setInherited?.call(transport, current);
  Object.defineProperty(transport, name, {
    configurable: true,
    enumerable: true,
    get: () => current,
    set(fn: Transport[K]) {
      current = wrap(fn);
      setInherited?.call(transport, current);
    },
  });
}

/** What a response says of its request: the error, or whether the tool failed; `initialize` learns the version. */
function outcomeOf(m: Json, initialize: boolean, session: Watch['session']): McpMessageOutcome {
  const result = isObject(m.result) ? m.result : undefined;
  const error = isObject(m.error) ? m.error : undefined;
  if (initialize && typeof result?.protocolVersion === 'string') session.protocolVersion = result.protocolVersion;
  if (error)
    return {
      errorCode: typeof error.code === 'number' ? error.code : undefined,
      errorMessage: typeof error.message === 'string' ? error.message : undefined,
    };
  return {
    toolError: result?.isError === true,
    ...toolErrorTypeOf(result),
    ...(initialize && session.protocolVersion ? { protocolVersion: session.protocolVersion } : {}),
  };
}

/** Ends a request's scope as its response goes out. */
function observeResponses(w: Watch): void {
  const send = w.transport.send.bind(w.transport);
  w.transport.send = (message, options) => {
    const m = message as unknown as Json;
    const id = m.id !== undefined && m.id !== null && typeof m.method !== 'string' ? String(m.id) : undefined;
    const entry = id === undefined ? undefined : w.pending.get(id);
    if (entry && id !== undefined) {
      w.pending.delete(id);
      entry.scope.end(outcomeOf(m, entry.initialize, w.session));
    }
    return send(message, options);
  };
}

/** The transport went: requests still open (client gone mid-call) end as failed, and the session ends once. */
function endSession(w: Watch): void {
  for (const { scope } of w.pending.values()) scope.end({ errorCode: -32000, errorMessage: 'connection closed' });
  w.pending.clear();
  const { session } = w;
  if (session.startedAt === undefined || session.ended) return;
  session.ended = true;
  w.observer.sessionEnded?.({
    transport: w.kind,
    durationSeconds: (performance.now() - session.startedAt) / 1000,
    ...(session.protocolVersion ? { protocolVersion: session.protocolVersion } : {}),
  });
}

/**
 * Watches a transport's traffic for telemetry without touching the SDK: incoming requests are handled inside
 * the observer's scope (so a span is active while the tool runs), and the scope ends when the matching
 * response goes out. Accessors on `onmessage`/`onclose` keep working whoever sets them, before or after
 * `connect()` (the SDK chains `onclose`; HTTP code often sets it too).
 */
export function observeTransport<T extends Transport>(
  transport: T,
  observer: McpTransportObserver,
  knownTools: ReadonlySet<string>,
  networkTransport?: 'pipe' | 'tcp',
): T {
  const w: Watch = {
    transport,
    observer,
    knownTools,
    kind: networkTransport ?? ('handleRequest' in transport ? 'tcp' : 'pipe'),
    pending: new Map(),
    session: {},
  };
  interceptHandler(transport, 'onmessage', observeIncoming(w, new WeakSet()));
  observeResponses(w);
  // Each handler gets its own wrapper, so one the SDK chains to (it calls the previous onclose) never loops.
  interceptHandler(
    transport,
    'onclose',
    (fn): NonNullable<Transport['onclose']> =>
      () => {
        try {
          fn?.();
        } finally {
          endSession(w);
        }
      },
  );
  return transport;
}
