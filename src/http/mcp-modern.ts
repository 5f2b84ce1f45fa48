import type { ServerResponse } from 'node:http';
import {
  classifyInboundRequest,
  createMcpHandler,
  type McpServer,
  PROTOCOL_VERSION_META_KEY,
  type ServerEventBus,
} from '@modelcontextprotocol/server';
import type { SubscriptionBudget } from '../mcp/resources/live.js';
import { countRefusal } from '../shared/refusals.js';
import type { Logger } from '../shared/logger.js';
import { JSONRPC, jsonRpcError, requestId } from './jsonrpc.js';
import type { McpRequest } from './mcp-sessions.js';
import { answerResult, nodeFetchHandler } from './mcp-web.js';

export interface ModernMcpOptions {
  /** A fresh server for 2026-07-28 requests (tools, resources, prompts; listens are the bus's), reused between them. */
  createServer: () => McpServer;
  /** Where `subscriptions/listen` streams hear of changes (in process, or Redis across replicas). */
  bus: ServerEventBus;
  /** Open listen streams this daemon serves at once. */
  maxSubscriptions: number;
  /** Listen streams per principal, from the budget its 2025-era subscriptions share. */
  budget: SubscriptionBudget;
  /** The same bound fastify put on the body (the handler never reads it again: it gets the parsed body). */
  maxBodyBytes: number;
  log: Logger;
}

/** Servers kept between requests: enough for the requests a busy daemon has in flight at once. */
const MAX_SPARE_SERVERS = 64;

const hasMeta = (m: unknown): boolean => {
  if (m === null || typeof m !== 'object') return false;
  const p = (m as { params?: unknown }).params;
  return p !== null && typeof p === 'object' && '_meta' in p;
};

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * A single message naming the envelope claim (`params._meta` holds the protocol-version key) that is neither
 * `initialize` nor shaped like a response (`result`, `error`): the SDK's classifier answers such a body on its
 * modern path whatever else it holds, serving or rejecting it there (a request or notification with a claim is
 * never legacy; only an `initialize` may be, and only a response is classified before the claim is looked at).
 * Every 2026-07-28 call is one, and skipping the classifier's schema checks for it was ~3 % of such a call's CPU.
 */
function claimsModernEnvelope(body: unknown): boolean {
  if (!isPlainObject(body) || 'result' in body || 'error' in body) return false;
  if (typeof body.method !== 'string' || body.method === 'initialize') return false;
  const meta = isPlainObject(body.params) ? body.params._meta : undefined;
  return isPlainObject(meta) && PROTOCOL_VERSION_META_KEY in meta;
}

/**
 * Closes the transport of an exchange already answered. Closing builds two connection-closed errors in the SDK
 * (one fails the exchange's pending Response, one its finished handlers), synchronously and only to be dropped:
 * nobody throws them or reads their stack, and capturing their stacks was ~4 % of a 2026-07-28 call's CPU.
 */
function closeAnswered(transport: { close(): Promise<void> }): void {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    transport.close().catch(() => undefined);
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/**
 * The 2026-07-28 side of /mcp: stateless requests any replica can answer, served by the SDK's per-request
 * handler (`legacy: 'reject'`: 2025-era traffic never reaches it, our own sessionful wiring serves that).
 */
export class ModernMcp {
  private readonly handler;
  private readonly node;
  /** Requests being answered, listen streams apart (they never end on their own). */
  private inFlight = 0;
  private idle: (() => void)[] = [];
  /** Servers whose last exchange is over, ready for the next request (see `lend`). */
  private readonly spare: McpServer[] = [];
  /** The request view of the exchange each lent server is about to be connected for. */
  private readonly requests = new WeakMap<McpServer, Request | undefined>();
  private closing = false;

  constructor(private readonly options: ModernMcpOptions) {
    const onerror = (e: Error) => options.log.debug({ err: { message: e.message } }, 'MCP (2026-07-28) request error');
    this.handler = createMcpHandler((ctx) => this.lend(ctx.requestInfo), {
      legacy: 'reject',
      bus: options.bus,
      maxSubscriptions: options.maxSubscriptions,
      maxRequestBodySize: options.maxBodyBytes,
      onerror,
    });
    this.node = nodeFetchHandler(this.handler, { maxBodyBytes: options.maxBodyBytes, onerror });
  }

  /**
   * A server for one request. Building one (tools, resources, prompts) cost more than answering a small call, so
   * one whose exchange is over serves the next. A 2026-07-28 request carries everything about its client in its
   * own envelope (capabilities are required there, and the SDK seeds them and the version anew per request), so
   * nothing of one caller stays for the next. The SDK closes the server when the exchange ends; a server it never
   * connected (a listen, a refused request) is simply dropped.
   */
  private lend(request: Request | undefined): McpServer {
    const server = this.spare.pop() ?? this.build();
    this.requests.set(server, request);
    const low = server.server;
    const previous = low.onclose;
    let returned = false;
    low.onclose = () => {
      low.onclose = previous;
      previous?.();
      if (returned) return;
      returned = true;
      if (!this.closing && !server.isConnected() && this.spare.length < MAX_SPARE_SERVERS) this.spare.push(server);
    };
    return server;
  }

  /**
   * A new server whose exchanges answer their JSON result straight to the Node response (`answerResult`); the
   * SDK's transport still runs the exchange (dispatch, validation, errors, notifications and the SSE upgrade
   * they cause) and is closed once the result is out, as it closes itself after answering. Installed before
   * telemetry's own wrapper (which `connect` adds per transport) so telemetry sees every message as before.
   */
  private build(): McpServer {
    const server = this.options.createServer();
    const connect = server.connect.bind(server);
    server.connect = (transport) => {
      const request = this.requests.get(server);
      this.requests.delete(server);
      const send = transport.send.bind(transport);
      // Once anything but the result went out (a progress notification) the SDK streams the exchange as SSE.
      let streamed = false;
      transport.send = (message, options) => {
        if (!streamed && answerResult(request, message)) {
          queueMicrotask(() => closeAnswered(transport));
          return Promise.resolve();
        }
        if (!('result' in message) && !('error' in message)) streamed = true;
        return send(message, options);
      };
      return connect(transport);
    };
    return server;
  }

  /**
   * Whether the SDK would route this request to its 2025-era serving. A request with no `_meta` anywhere and
   * no 2026 protocol header cannot carry the per-request envelope claim, so it is legacy without asking; the
   * rest is classified by the SDK's own classifier, the one its `isLegacyRequest` and `createMcpHandler` run
   * (given the parsed body: a POST without one is legacy there too), so the two can never disagree; a body
   * that claims the envelope is answered without asking (`claimsModernEnvelope`).
   */
  isLegacy(method: string, headers: Record<string, string | string[] | undefined>, body: unknown): boolean {
    const version = headers['mcp-protocol-version'];
    const modernHeader = typeof version === 'string' && version >= '2026';
    const messages = Array.isArray(body) ? body : [body];
    if (!modernHeader && !messages.some(hasMeta)) return true;
    const httpMethod = method.toUpperCase();
    const post = httpMethod === 'POST';
    if (post && body === undefined) return true;
    if (post && claimsModernEnvelope(body)) return false;
    const header = (name: string) => {
      const v = headers[name];
      return Array.isArray(v) ? v.join(', ') : v;
    };
    const outcome = classifyInboundRequest({
      httpMethod,
      protocolVersionHeader: header('mcp-protocol-version'),
      mcpMethodHeader: header('mcp-method'),
      mcpNameHeader: header('mcp-name'),
      ...(post ? { body } : {}),
    });
    return outcome.kind === 'legacy';
  }

  /** `principal`: who asks (`kind:subject`, or `anonymous`), whose listen streams are counted together. */
  async run(req: McpRequest, res: ServerResponse, body: unknown, principal: string): Promise<void> {
    const listen = (body as { method?: unknown } | null)?.method === 'subscriptions/listen';
    if (listen) {
      const { budget } = this.options;
      if (!budget.take(principal)) {
        countRefusal('subscriptions_per_principal');
        const limit = budget.limits.subscriptionsPerPrincipal;
        res
          .writeHead(429, { 'content-type': 'application/json', 'retry-after': '10' })
          .end(
            JSON.stringify(
              jsonRpcError(
                JSONRPC.SERVER_ERROR,
                `too many subscriptions for this principal (limit ${limit}); close some listen streams first`,
                requestId(body),
              ),
            ),
          );
        return;
      }
      res.once('close', () => budget.give(principal));
    } else {
      this.inFlight++;
      res.once('close', () => {
        if (--this.inFlight === 0) for (const w of this.idle.splice(0)) w();
      });
    }
    return this.node(req as never, res, body);
  }

  /**
   * Graceful shutdown: requests in flight get until `deadline` to be answered; then every exchange still open
   * is aborted and every listen stream closed (the SDK ends each with the spec's empty result).
   */
  async close(deadline = Date.now()): Promise<void> {
    this.closing = true;
    this.spare.length = 0;
    const left = deadline - Date.now();
    if (this.inFlight > 0 && left > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((r) => this.idle.push(r)),
        new Promise<void>((r) => (timer = setTimeout(r, left))),
      ]);
      clearTimeout(timer);
    }
    await this.handler.close();
  }
}
