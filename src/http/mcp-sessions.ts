import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AuthInfo, McpServer } from '@modelcontextprotocol/server';
import { NodeStreamableHTTPServerTransport as StreamableHTTPServerTransport } from '@modelcontextprotocol/node';
import { countRefusal } from '../shared/refusals.js';
import type { Logger } from '../shared/logger.js';
import { JSONRPC, jsonRpcError, type JsonRpcErrorBody } from './jsonrpc.js';

export interface McpHttpOptions {
  /**
   * A fresh McpServer with every tool registered: one per session (stateful); stateless requests borrow one
   * (reused once its request is answered).
   */
  createServer: () => McpServer;
  stateless: boolean;
  maxSessions: number;
  /** Sessions one authenticated principal may hold, so one token cannot use up the cap for everyone. */
  maxSessionsPerOwner?: number;
  idleTimeoutMs: number;
  /** Messages per JSON-RPC batch, and requests one session may have unanswered at once. */
  limits?: { batchSize: number; pendingRequests: number };
  log: Logger;
}

export type McpRequest = IncomingMessage & { auth?: AuthInfo };

export interface McpCall {
  method: string;
  sessionId: string | string[] | undefined;
  /** Already parsed and validated as JSON-RPC (POST only). */
  body: unknown;
  initialize: boolean;
  /** Who is asking (`kind:subject`), so a session is only ever used by the principal that opened it. */
  owner: string | undefined;
}

/** A refusal to send as is, or the handler to give the raw request to. */
export type McpRoute =
  | { ok: false; status: number; body: JsonRpcErrorBody; headers?: Record<string, string> }
  | { ok: true; run: (req: McpRequest, res: ServerResponse) => Promise<void> };

interface Session {
  id: string;
  server: McpServer;
  transport: StreamableHTTPServerTransport;
  owner: string | undefined;
  connected: Promise<void>;
  lastActive: number;
  /** Requests on this session still open (including a GET stream): such a session is never idle. */
  open: number;
  /** JSON-RPC ids of requests in flight: the SDK routes answers by id, so a reused one would leave a caller hanging. */
  ids: Set<string>;
}

/** Ids of the requests (not notifications or responses) in a POST body, keyed so 1 and "1" differ. */
export function requestIds(body: unknown): string[] {
  const out: string[] = [];
  for (const m of Array.isArray(body) ? body : [body]) {
    if (m === null || typeof m !== 'object') continue;
    const o = m as { method?: unknown; id?: unknown };
    if (typeof o.method === 'string' && (typeof o.id === 'string' || typeof o.id === 'number'))
      out.push(`${typeof o.id}:${o.id}`);
  }
  return out;
}

/** The request ids a POST body cancels (`notifications/cancelled`), as sent. */
function cancelledIds(body: unknown): (string | number)[] {
  const out: (string | number)[] = [];
  for (const m of Array.isArray(body) ? body : [body]) {
    if (m === null || typeof m !== 'object') continue;
    const o = m as { method?: unknown; params?: { requestId?: unknown } };
    const id = o.method === 'notifications/cancelled' ? o.params?.requestId : undefined;
    if (typeof id === 'string' || typeof id === 'number') out.push(id);
  }
  return out;
}

const showId = (key: string) => key.slice(key.indexOf(':') + 1);

/** Stateless servers kept between requests: enough for the requests a busy daemon has in flight at once. */
const MAX_IDLE_SERVERS = 64;

const refuse = (status: number, code: number, message: string, headers?: Record<string, string>): McpRoute => ({
  ok: false,
  status,
  body: jsonRpcError(code, message),
  ...(headers ? { headers } : {}),
});

/**
 * Streamable HTTP sessions over the SDK transport. Stateful: one McpServer and transport per session, capped,
 * expired when idle. Stateless: a transport per POST and a server borrowed for it, given back with the response.
 */
export class McpHttp {
  private readonly sessions = new Map<string, Session>();
  /** Stateless servers between requests (see `lendServer`). */
  private readonly idleServers: McpServer[] = [];
  private postsInFlight = 0;
  private idleWaiters: (() => void)[] = [];
  private closing = false;
  private readonly sweeper: NodeJS.Timeout | undefined;

  constructor(private readonly options: McpHttpOptions) {
    if (!options.stateless) {
      const every = Math.max(250, Math.min(options.idleTimeoutMs / 2, 60_000));
      this.sweeper = setInterval(() => this.expireIdle(), every);
      this.sweeper.unref();
    }
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  get inFlight(): number {
    return this.postsInFlight;
  }

  /** A batch over the limit, or ids repeated inside one POST, refused before any session sees it. */
  private checkBody(call: McpCall, ids: string[]): McpRoute | undefined {
    const batch = this.options.limits?.batchSize;
    if (batch !== undefined && Array.isArray(call.body) && call.body.length > batch) {
      countRefusal('batch_size');
      return refuse(
        400,
        JSONRPC.INVALID_REQUEST,
        `Invalid Request: batch of ${call.body.length} messages is larger than the limit of ${batch}`,
      );
    }
    const dup = ids.find((id, i) => ids.indexOf(id) !== i);
    if (dup !== undefined) {
      countRefusal('duplicate_request_id');
      return refuse(
        400,
        JSONRPC.INVALID_REQUEST,
        `Invalid Request: request id ${showId(dup)} appears twice in one batch`,
      );
    }
    return undefined;
  }

  /** Claims the ids for the session, or says why not (one already in flight, or too many in flight). */
  private claimIds(session: Session, ids: string[]): McpRoute | undefined {
    const inUse = ids.find((id) => session.ids.has(id));
    if (inUse !== undefined) {
      countRefusal('duplicate_request_id');
      return refuse(
        400,
        JSONRPC.INVALID_REQUEST,
        `Invalid Request: request id ${showId(inUse)} is already in use by a request in flight in this session`,
      );
    }
    const max = this.options.limits?.pendingRequests;
    if (max !== undefined && session.ids.size + ids.length > max) {
      countRefusal('pending_requests');
      return refuse(
        429,
        JSONRPC.SERVER_ERROR,
        `Too many requests in flight in this session (limit ${max}); wait for answers first`,
        { 'retry-after': '1' },
      );
    }
    for (const id of ids) session.ids.add(id);
    return undefined;
  }

  route(call: McpCall): McpRoute {
    if (this.closing)
      return refuse(503, JSONRPC.SERVER_ERROR, 'Server shutting down', { 'retry-after': '1', connection: 'close' });
    const ids = call.method === 'POST' ? requestIds(call.body) : [];
    const bad = call.method === 'POST' ? this.checkBody(call, ids) : undefined;
    if (bad) return bad;
    if (this.options.stateless) {
      // Nothing could ever be pushed on a stateless GET stream, and there is no session to DELETE.
      if (call.method !== 'POST')
        return refuse(405, JSONRPC.SERVER_ERROR, 'Method not allowed: this server is stateless; use POST', {
          allow: 'POST',
        });
      return { ok: true, run: (req, res) => this.runStateless(req, res, call.body) };
    }
    if (call.sessionId !== undefined) {
      const session = typeof call.sessionId === 'string' ? this.sessions.get(call.sessionId) : undefined;
      // Another principal's session looks exactly like a missing one.
      if (!session || session.owner !== call.owner) return refuse(404, JSONRPC.SESSION_NOT_FOUND, 'Session not found');
      const busy = this.claimIds(session, ids);
      if (busy) return busy;
      return {
        ok: true,
        run: (req, res) =>
          this.runInSession(
            session,
            req,
            res,
            call.method === 'POST' ? call.body : undefined,
            call.method === 'POST',
            ids,
          ),
      };
    }
    if (call.method === 'POST' && call.initialize) {
      if (
        call.owner !== undefined &&
        this.options.maxSessionsPerOwner !== undefined &&
        !this.makeRoomFor(call.owner, this.options.maxSessionsPerOwner)
      ) {
        countRefusal('sessions_per_principal');
        this.options.log.warn(
          { max: this.options.maxSessionsPerOwner },
          'MCP session refused: per-principal session limit reached',
        );
        return refuse(
          503,
          JSONRPC.SERVER_ERROR,
          'Too many sessions for this principal; end some (DELETE /mcp) or try again later',
          { 'retry-after': '10' },
        );
      }
      if (this.sessions.size >= this.options.maxSessions) {
        countRefusal('sessions');
        this.options.log.warn({ max: this.options.maxSessions }, 'MCP session refused: session limit reached');
        return refuse(503, JSONRPC.SERVER_ERROR, 'Too many sessions; try again later', { 'retry-after': '10' });
      }
      const session = this.openSession(call.owner);
      for (const id of ids) session.ids.add(id);
      return { ok: true, run: (req, res) => this.runInSession(session, req, res, call.body, true, ids) };
    }
    return refuse(400, JSONRPC.SERVER_ERROR, 'Bad Request: Mcp-Session-Id header is required');
  }

  /**
   * At its per-principal limit, an owner's least recently used idle session is closed to make room (clients
   * that reconnect without DELETE leak sessions); false when every one of them is busy.
   */
  private makeRoomFor(owner: string, max: number): boolean {
    const mine = [...this.sessions.values()].filter((s) => s.owner === owner);
    if (mine.length < max) return true;
    const idle = mine.filter((s) => s.open === 0).sort((a, b) => a.lastActive - b.lastActive);
    const evict = idle.slice(0, mine.length - max + 1);
    if (evict.length < mine.length - max + 1) return false;
    for (const s of evict) {
      this.sessions.delete(s.id);
      void this.closeSession(s);
    }
    return true;
  }

  private openSession(owner: string | undefined): Session {
    const id = randomUUID();
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: () => id });
    const server = this.options.createServer();
    const session: Session = {
      id,
      server,
      transport,
      owner,
      connected: Promise.resolve(),
      lastActive: Date.now(),
      open: 0,
      ids: new Set(),
    };
    // Registered before connect, so the SDK chains its own handler after ours.
    transport.onclose = () => {
      if (this.sessions.get(id) === session) this.sessions.delete(id);
    };
    transport.onerror = (e) => this.options.log.debug({ err: { message: e.message } }, 'MCP transport error');
    // Counted against the cap at once, so a burst of initializes cannot overshoot it.
    this.sessions.set(id, session);
    session.connected = server.connect(transport);
    return session;
  }

  private async runInSession(
    session: Session,
    req: McpRequest,
    res: ServerResponse,
    body: unknown,
    post: boolean,
    ids: string[] = [],
  ): Promise<void> {
    session.open++;
    session.lastActive = Date.now();
    if (post) this.postsInFlight++;
    res.once('close', () => {
      for (const id of ids) session.ids.delete(id);
      session.open--;
      session.lastActive = Date.now();
      if (post) this.postDone();
      // An initialize the server did not accept leaves no usable session behind.
      if (!session.server.server.getClientCapabilities() && session.open === 0) void this.closeSession(session);
    });
    await session.connected;
    await this.delegate(session.transport, req, res, body);
    // A cancelled request is never answered (the spec says so), so its response stream would stay open until the
    // client went away: held against shutdown's grace and the session's idleness. End it once the cancel is in.
    if (post)
      for (const id of cancelledIds(body))
        if (session.ids.has(`${typeof id}:${id}`)) session.transport.closeSSEStream(id);
  }

  /**
   * A server for one stateless request. Building one (tools, resources, prompts) cost more than answering a small
   * call, so one whose request is answered serves the next: a server connects to one transport at a time, and
   * one that never saw `initialize` carries nothing of its last caller (no capabilities, no version).
   */
  private lendServer(): McpServer {
    return this.idleServers.pop() ?? this.options.createServer();
  }

  private async giveBack(server: McpServer, transport: StreamableHTTPServerTransport): Promise<void> {
    await server.close().catch(() => undefined);
    // The finished request's transport must never reach the server again (a late close would disconnect the
    // server from the request it serves next).
    transport.onclose = undefined;
    transport.onmessage = undefined;
    transport.onerror = undefined;
    // An `initialize` left that client's capabilities and version on the server: it is never lent to another.
    const clean =
      !server.isConnected() &&
      server.server.getClientCapabilities() === undefined &&
      server.server.getClientVersion() === undefined;
    if (clean && !this.closing && this.idleServers.length < MAX_IDLE_SERVERS) this.idleServers.push(server);
  }

  private async runStateless(req: McpRequest, res: ServerResponse, body: unknown): Promise<void> {
    const server = this.lendServer();
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    this.postsInFlight++;
    res.once('close', () => {
      this.postDone();
      void this.giveBack(server, transport);
    });
    await server.connect(transport);
    await this.delegate(transport, req, res, body);
  }

  private async delegate(
    transport: StreamableHTTPServerTransport,
    req: McpRequest,
    res: ServerResponse,
    body: unknown,
  ): Promise<void> {
    try {
      await transport.handleRequest(req, res, body);
    } catch (e) {
      this.options.log.error({ err: { message: (e as Error)?.message } }, 'MCP request failed');
      if (!res.headersSent) {
        res
          .writeHead(500, { 'content-type': 'application/json' })
          .end(JSON.stringify(jsonRpcError(JSONRPC.INTERNAL_ERROR, 'Internal error')));
      } else res.destroy();
    }
  }

  private postDone(): void {
    this.postsInFlight--;
    if (this.postsInFlight === 0) for (const w of this.idleWaiters.splice(0)) w();
  }

  private async closeSession(session: Session): Promise<void> {
    this.sessions.delete(session.id);
    await session.server.close().catch(() => undefined);
  }

  private expireIdle(): void {
    const cutoff = Date.now() - this.options.idleTimeoutMs;
    for (const s of this.sessions.values()) {
      if (s.open === 0 && s.lastActive < cutoff) {
        this.options.log.debug({ session: s.id.slice(0, 8) }, 'MCP session expired (idle)');
        void this.closeSession(s);
      }
    }
  }

  /**
   * Graceful shutdown: refuse new work, end the GET streams (they never finish on their own), let POSTs in
   * flight complete until `deadline`, then close every session.
   */
  async shutdown(deadline: number): Promise<void> {
    this.closing = true;
    this.idleServers.length = 0;
    if (this.sweeper) clearInterval(this.sweeper);
    for (const s of this.sessions.values()) s.transport.closeStandaloneSSEStream();
    if (this.postsInFlight > 0) {
      const left = deadline - Date.now();
      if (left > 0) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          new Promise<void>((r) => this.idleWaiters.push(r)),
          new Promise<void>((r) => (timer = setTimeout(r, left))),
        ]);
        clearTimeout(timer);
      }
      if (this.postsInFlight > 0)
        this.options.log.warn(
          { inFlight: this.postsInFlight },
          'shutdown grace period over; cutting requests still in flight',
        );
    }
    await Promise.allSettled([...this.sessions.values()].map((s) => this.closeSession(s)));
  }
}
