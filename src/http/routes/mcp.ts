import type { AuthInfo } from '@modelcontextprotocol/server';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Principal } from '../auth.js';
import { isInitialize, JSONRPC, jsonRpcError, requestId, validateMessages } from '../jsonrpc.js';
import type { McpHttp, McpRequest } from '../mcp-sessions.js';
import type { ModernMcp } from '../mcp-modern.js';

export interface McpRoutesOptions {
  /** 2025-era clients: sessions (or servers lent per request when stateless). */
  mcp: McpHttp;
  /** 2026-07-28 clients: stateless per-request serving and subscriptions/listen. */
  modern?: ModernMcp;
}

/** Protocol versions from which JSON-RPC batches are gone (2025-06-18 removed them). */
const NO_BATCHES_FROM = '2025-06-18';

const JSON_TYPE = /^application\/json\s*(;|$)/i;

/** What the SDK hands tool handlers as `extra.authInfo`; the token itself stays out of it. */
function toAuthInfo(p: Principal): AuthInfo {
  return {
    token: '',
    clientId: p.subject,
    scopes: [...p.scopes],
    ...(p.expiresAt !== undefined ? { expiresAt: p.expiresAt } : {}),
    extra: { kind: p.kind },
  };
}

/**
 * /mcp: Streamable HTTP. Fastify has already parsed (and size-limited) the body, authenticated and rate-limited
 * the caller; this checks the JSON-RPC shape, then hands the raw request to the SDK transport.
 */
export const mcpRoutes: FastifyPluginAsync<McpRoutesOptions> = async (app, { mcp, modern }) => {
  /** Headers set by hooks (CORS, rate-limit counters) live on the reply; the SDK writes to the raw response. */
  const handOver = (req: FastifyRequest, reply: FastifyReply): McpRequest => {
    const raw = req.raw as McpRequest;
    if (req.principal) raw.auth = toAuthInfo(req.principal);
    for (const [name, value] of Object.entries(reply.getHeaders()))
      if (value !== undefined) reply.raw.setHeader(name, value);
    reply.hijack();
    return raw;
  };
  const handler = async (req: FastifyRequest, reply: FastifyReply) => {
    const post = req.method === 'POST';
    if (post) {
      // A text/plain POST is a "simple" cross-site request in browsers; only JSON is MCP.
      if (!JSON_TYPE.test(req.headers['content-type'] ?? ''))
        return reply
          .code(415)
          .send(jsonRpcError(JSONRPC.SERVER_ERROR, 'Unsupported Media Type: Content-Type must be application/json'));
      const valid = validateMessages(req.body);
      if (!valid.ok) return reply.code(400).send(valid.error);
    }
    const owner = req.principal ? `${req.principal.kind}:${req.principal.subject}` : undefined;
    if (modern && !modern.isLegacy(req.method, req.headers, req.body)) {
      const raw = handOver(req, reply);
      await modern.run(raw, reply.raw, req.body, owner ?? 'anonymous');
      return;
    }
    const version = req.headers['mcp-protocol-version'];
    if (post && Array.isArray(req.body) && typeof version === 'string' && version >= NO_BATCHES_FROM) {
      return reply
        .code(400)
        .send(
          jsonRpcError(
            JSONRPC.INVALID_REQUEST,
            `Invalid Request: JSON-RPC batches are not part of protocol version ${version.slice(0, 10)}; send ` +
              `one message per POST`,
          ),
        );
    }
    const route = mcp.route({
      method: req.method,
      sessionId: req.headers['mcp-session-id'],
      body: req.body,
      initialize: post && isInitialize(req.body),
      owner,
    });
    if (!route.ok) {
      if (route.body.id === null && post) route.body.id = requestId(req.body);
      return reply
        .code(route.status)
        .headers(route.headers ?? {})
        .send(route.body);
    }
    await route.run(handOver(req, reply), reply.raw);
  };
  app.route({ method: ['POST', 'GET', 'DELETE'], url: '/mcp', handler });
  // Errors on /mcp are JSON-RPC, whatever the method: fastify's own 404 body would not be.
  app.route({
    method: ['PUT', 'PATCH', 'OPTIONS'],
    url: '/mcp',
    handler: async (_req, reply) =>
      reply
        .code(405)
        .header('allow', 'GET, POST, DELETE')
        .send(jsonRpcError(JSONRPC.SERVER_ERROR, 'Method not allowed: /mcp takes POST, GET and DELETE')),
  });
};

/**
 * For createMcpServer's scopesFor: the caller's scopes from the handler context's authInfo; undefined when
 * unauthenticated.
 */
export function scopesFromExtra(ctx: unknown): ReadonlySet<string> | undefined {
  const c = ctx as { http?: { authInfo?: AuthInfo }; authInfo?: AuthInfo } | undefined;
  const info = c?.http?.authInfo ?? c?.authInfo;
  return info ? new Set(info.scopes) : undefined;
}
