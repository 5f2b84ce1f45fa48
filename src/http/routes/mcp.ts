import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Principal } from '../auth.js';
import { isInitialize, JSONRPC, jsonRpcError, requestId, validateMessages } from '../jsonrpc.js';
import type { McpHttp, McpRequest } from '../mcp-sessions.js';

export interface McpRoutesOptions {
  mcp: McpHttp;
}

const JSON_TYPE = /^application\/json\s*(;|$)/i;

/** What the SDK hands tool handlers as `extra.authInfo`; the token itself stays out of it. */
export function toAuthInfo(p: Principal): AuthInfo {
  return { token: '', clientId: p.subject, scopes: [...p.scopes], ...(p.expiresAt !== undefined ? { expiresAt: p.expiresAt } : {}), extra: { kind: p.kind } };
}

/**
 * /mcp: Streamable HTTP. Fastify has already parsed (and size-limited) the body, authenticated and rate-limited
 * the caller; this checks the JSON-RPC shape, then hands the raw request to the SDK transport.
 */
export const mcpRoutes: FastifyPluginAsync<McpRoutesOptions> = async (app, { mcp }) => {
  const handler = async (req: FastifyRequest, reply: FastifyReply) => {
    const post = req.method === 'POST';
    if (post) {
      // A text/plain POST is a "simple" cross-site request in browsers; only JSON is MCP.
      if (!JSON_TYPE.test(req.headers['content-type'] ?? '')) return reply.code(415).send(jsonRpcError(JSONRPC.SERVER_ERROR, 'Unsupported Media Type: Content-Type must be application/json'));
      const valid = validateMessages(req.body);
      if (!valid.ok) return reply.code(400).send(valid.error);
    }
    const route = mcp.route({
      method: req.method,
      sessionId: req.headers['mcp-session-id'],
      body: req.body,
      initialize: post && isInitialize(req.body),
      owner: req.principal ? `${req.principal.kind}:${req.principal.subject}` : undefined,
    });
    if (!route.ok) {
      if (route.body.id === null && post) route.body.id = requestId(req.body);
      return reply.code(route.status).headers(route.headers ?? {}).send(route.body);
    }
    const raw = req.raw as McpRequest;
    if (req.principal) raw.auth = toAuthInfo(req.principal);
    // Headers set by hooks (CORS, rate-limit counters) live on the reply; the transport writes to the raw response.
    for (const [name, value] of Object.entries(reply.getHeaders())) if (value !== undefined) reply.raw.setHeader(name, value);
    reply.hijack();
    await route.run(raw, reply.raw);
  };
  app.route({ method: ['POST', 'GET', 'DELETE'], url: '/mcp', handler });
};

/** For createMcpServer's scopesFor: the caller's scopes from the SDK's `extra.authInfo`; undefined when unauthenticated. */
export function scopesFromExtra(extra: unknown): ReadonlySet<string> | undefined {
  const info = (extra as { authInfo?: AuthInfo } | undefined)?.authInfo;
  return info ? new Set(info.scopes) : undefined;
}
