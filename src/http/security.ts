import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { createHash } from 'node:crypto';
import fp from 'fastify-plugin';
import { countRefusal } from '../shared/refusals.js';
import type { HttpConfig, Scope } from '../config/schema.js';
import type { Logger } from '../shared/logger.js';
import type { AuthFailure, Authenticator, Principal } from './auth.js';
import { JSONRPC, jsonRpcError } from './jsonrpc.js';
import type { OriginPolicy } from './origin.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set once a bearer token checked out; absent on open routes and when no auth is configured. */
    principal?: Principal;
  }
}

/** `open`, or the scopes of which a caller needs at least one. */
export type RoutePolicy = 'open' | readonly Scope[];

const REALM = 'mcp-vitals';
const METADATA_PATH = '/.well-known/oauth-protected-resource';
/** Probes: kubelet sends the pod IP as Host and never an Origin; their answers reveal nothing. */
export const PROBE_ROUTES: ReadonlySet<string> = new Set(['/livez', '/readyz']);
/**
 * The status page's own files carry no data (it arrives over /events, which needs vitals:read): a browser must
 * load them to ask for a token.
 */
const PAGE_ROUTES: ReadonlySet<string> = new Set(['/', '/status', '/status/assets/:file']);
const OPEN_ROUTES: ReadonlySet<string> = new Set([
  ...PROBE_ROUTES,
  ...PAGE_ROUTES,
  METADATA_PATH,
  `${METADATA_PATH}/mcp`,
]);
const SCOPES_SUPPORTED: readonly Scope[] = ['vitals:read', 'vitals:refresh', 'vitals:admin', 'vitals:metrics'];

/**
 * Who may call what, by route. With `http.auth` configured every route needs `vitals:read` except the probes,
 * the RFC 9728 metadata, /health when `openHealth`, and /metrics (its own rule). New routes are closed by default.
 */
export function routePolicy(
  config: Pick<HttpConfig, 'auth' | 'metricsAuth' | 'openHealth'>,
): (url: string | undefined) => RoutePolicy {
  const metricsProtected =
    !config.metricsAuth.open && (config.auth !== undefined || config.metricsAuth.tokens.length > 0);
  return (url) => {
    // Unmatched URLs get a 404 whoever asks.
    if (url === undefined || OPEN_ROUTES.has(url)) return 'open';
    if (url === '/metrics') return metricsProtected ? ['vitals:metrics', 'vitals:read'] : 'open';
    if (config.auth === undefined) return 'open';
    if (url === '/health' && config.openHealth) return 'open';
    return ['vitals:read'];
  };
}

export interface SecurityOptions {
  authenticator: Authenticator;
  origins: OriginPolicy;
  policy: (url: string | undefined) => RoutePolicy;
  publicUrl?: string;
  authorizationServers: readonly string[];
  /** Serve the RFC 9728 metadata (when `http.auth` is configured). */
  metadata: boolean;
  /** `/readyz?verbose` needs `vitals:read` (when `http.auth` is configured). */
  protectVerboseProbes: boolean;
  /** Invalid tokens one address may present per minute before further invalid ones get 429 (valid ones always pass). */
  invalidTokensPerMinute?: number;
  log: Logger;
}

const isMcp = (req: FastifyRequest) => req.routeOptions.url === '/mcp';
const quote = (s: string) => `"${s.replace(/["\\]/g, '')}"`;

/** The base URL clients reach us at, for `resource` and `resource_metadata`. Host was validated before this runs. */
function baseUrl(req: FastifyRequest, publicUrl: string | undefined): string {
  if (publicUrl) return publicUrl.replace(/\/+$/, '');
  return `${req.protocol}://${req.host || 'localhost'}`;
}

/** Refusals in the shape the route speaks: JSON-RPC on /mcp, RFC 6750-style JSON elsewhere. */
function refuse(
  req: FastifyRequest,
  reply: FastifyReply,
  status: number,
  error: string,
  description: string,
): FastifyReply {
  reply.code(status).header('cache-control', 'no-store');
  const word = status === 401 ? 'Unauthorized' : status === 429 ? 'Too Many Requests' : 'Forbidden';
  if (isMcp(req)) return reply.send(jsonRpcError(JSONRPC.SERVER_ERROR, `${word}: ${description}`));
  return reply.send({ error, error_description: description });
}

type Warn = (kind: string, fields: Record<string, unknown>, msg: string) => void;

/**
 * Refusals come before the rate limiter: a flood of them must not flood the log too (one warning per kind
 * per 10 s, the rest at debug).
 */
function throttledWarn(log: Logger): Warn {
  const lastWarned = new Map<string, number>();
  return (kind, fields, msg) => {
    const now = Date.now();
    if (now - (lastWarned.get(kind) ?? 0) < 10_000) return log.debug(fields, msg);
    lastWarned.set(kind, now);
    log.warn(fields, msg);
  };
}

/**
 * Host and Origin checks, then CORS for an allowed origin (a preflight is answered here). Returns the reply when
 * the request was answered, undefined when it goes on.
 */
function checkOrigin(
  req: FastifyRequest,
  reply: FastifyReply,
  origins: OriginPolicy,
  warn: Warn,
): FastifyReply | undefined {
  const url = req.routeOptions.url;
  if (!origins.hostAllowed(req.headers.host)) {
    warn('host', { route: url ?? 'unmatched' }, 'request refused: Host not allowed (add it to http.allowedHosts)');
    return refuse(req, reply, 403, 'invalid_host', 'Host not allowed');
  }
  const origin = req.headers.origin;
  if (!origins.originAllowed(origin)) {
    warn(
      'origin',
      { route: url ?? 'unmatched' },
      'request refused: Origin not allowed (add it to http.allowedOrigins)',
    );
    return refuse(req, reply, 403, 'invalid_origin', 'Origin not allowed');
  }
  if (origin === undefined) return undefined;
  reply.header('access-control-allow-origin', origin).header('vary', 'Origin');
  reply.header('access-control-expose-headers', 'Mcp-Session-Id, Mcp-Protocol-Version, WWW-Authenticate, Retry-After');
  if (req.method !== 'OPTIONS' || !req.headers['access-control-request-method']) return undefined;
  return reply
    .code(204)
    .header('access-control-allow-methods', 'GET, POST, DELETE, OPTIONS')
    .header(
      'access-control-allow-headers',
      'Authorization, Content-Type, Accept, Mcp-Session-Id, Mcp-Protocol-Version, Last-Event-ID',
    )
    .header('access-control-max-age', '600')
    .send();
}

/** What the authentication step needs besides the request. */
interface AuthStep {
  authenticator: Authenticator;
  throttle: InvalidTokenThrottle;
  metadataUrl: (req: FastifyRequest) => string;
  warn: Warn;
}

/** The 401 (with its challenge), 429 or 503 for a token that did not check out. */
function refuseToken(
  req: FastifyRequest,
  reply: FastifyReply,
  result: AuthFailure,
  required: readonly Scope[],
  step: AuthStep,
  throttled: (wait: number) => FastifyReply,
): FastifyReply {
  const authorization = req.headers.authorization;
  if (result.reason === 'invalid') {
    const wait = step.throttle.failed(req.ip, authorization ?? '', Date.now());
    if (wait > 0) return throttled(wait);
  }
  const meta = `resource_metadata=${quote(step.metadataUrl(req))}`;
  if (result.reason === 'unavailable') {
    step.warn('jwks', {}, 'cannot verify a bearer token: signing keys unavailable');
    reply.header('retry-after', '5');
    return refuse(req, reply, 503, 'temporarily_unavailable', result.description);
  }
  const challenge =
    result.reason === 'missing'
      ? `Bearer realm=${quote(REALM)}, scope=${quote(required[0]!)}, ${meta}`
      : `Bearer realm=${quote(REALM)}, error="invalid_token", error_description=${quote(result.description)}, ${meta}`;
  if (result.reason === 'invalid')
    step.warn('token', { route: req.routeOptions.url, reason: result.description }, 'bearer token refused');
  reply.header('www-authenticate', challenge);
  return refuse(
    req,
    reply,
    401,
    result.reason === 'missing' ? 'unauthorized' : 'invalid_token',
    result.reason === 'missing' ? 'bearer token required' : result.description,
  );
}

/**
 * Bearer authentication and scopes for a route that needs them: sets `req.principal`, or answers with the
 * refusal. Returns the reply when the request was answered.
 */
async function authorize(
  req: FastifyRequest,
  reply: FastifyReply,
  required: readonly Scope[],
  step: AuthStep,
): Promise<FastifyReply | undefined> {
  const url = req.routeOptions.url;
  const authorization = req.headers.authorization;
  const throttled = (wait: number) => {
    countRefusal('invalid_tokens');
    step.warn('throttle', { route: url }, 'request refused: too many invalid tokens from this address');
    reply.header('retry-after', String(wait));
    return refuse(req, reply, 429, 'too_many_requests', 'too many invalid tokens; try again later');
  };
  const known = authorization !== undefined ? step.throttle.knownBad(req.ip, authorization, Date.now()) : 0;
  if (known > 0) return throttled(known);
  const result = await step.authenticator.authenticate(authorization);
  if (!result.ok) return refuseToken(req, reply, result, required, step, throttled);
  const { principal } = result;
  if (!required.some((s) => principal.scopes.has(s))) {
    reply.header(
      'www-authenticate',
      `Bearer realm=${quote(REALM)}, error="insufficient_scope", scope=${quote(required[0]!)}, ` +
        `resource_metadata=${quote(step.metadataUrl(req))}`,
    );
    step.warn('scope', { route: url, subject: principal.subject }, 'request refused: insufficient scope');
    return refuse(req, reply, 403, 'insufficient_scope', `needs scope ${required.join(' or ')}`);
  }
  req.principal = principal;
  return undefined;
}

/** RFC 9728 metadata, which the MCP authorization spec points clients at from the 401 challenge. */
function metadataRoutes(app: FastifyInstance, opts: SecurityOptions): void {
  const metadata = async (req: FastifyRequest, reply: FastifyReply) => {
    const base = baseUrl(req, opts.publicUrl);
    return reply.header('cache-control', 'public, max-age=300').send({
      resource: `${base}/mcp`,
      ...(opts.authorizationServers.length ? { authorization_servers: opts.authorizationServers } : {}),
      scopes_supported: SCOPES_SUPPORTED,
      bearer_methods_supported: ['header'],
      resource_name: 'mcp-vitals',
    });
  };
  app.get(METADATA_PATH, metadata);
  app.get(`${METADATA_PATH}/mcp`, metadata);
}

/**
 * One onRequest hook at the root, ahead of every route and of the rate limiter: Host and Origin checks,
 * CORS for allowed origins, then bearer authentication and scopes by route policy. Tokens are never logged.
 */
const security: FastifyPluginAsync<SecurityOptions> = async (app, opts) => {
  const warn = throttledWarn(opts.log);
  const step: AuthStep = {
    authenticator: opts.authenticator,
    // Refused tokens are counted per client address: the rate limiter only sees authenticated requests, so
    // without this a client could guess tokens (or make us verify JWTs) without limit. Past the budget an invalid
    // token gets 429, and one already refused from that address is refused unverified; a valid token is always
    // checked and let through, so a noisy neighbour behind the same proxy never locks anyone out.
    throttle: new InvalidTokenThrottle(opts.invalidTokensPerMinute ?? 100),
    metadataUrl: (req) => `${baseUrl(req, opts.publicUrl)}${METADATA_PATH}`,
    warn,
  };

  app.addHook('onRequest', async (req, reply) => {
    const url = req.routeOptions.url;
    // Probes stay open for kubelets and load balancers, but the verbose readiness list names checks and their
    // errors: with auth configured it needs a read token like /health does.
    const verboseProbe =
      opts.protectVerboseProbes && url === '/readyz' && (req.query as Record<string, unknown>).verbose !== undefined;
    if (url !== undefined && PROBE_ROUTES.has(url) && !verboseProbe) return;
    const answered = checkOrigin(req, reply, opts.origins, warn);
    if (answered) return answered;
    const required: RoutePolicy = verboseProbe ? ['vitals:read'] : opts.policy(url);
    if (required === 'open') return;
    return authorize(req, reply, required, step);
  });

  if (opts.metadata) metadataRoutes(app, opts);
};

export const securityPlugin = fp(security, { name: 'mcp-vitals-security', fastify: '5.x' });

const WINDOW_MS = 60_000;
const MAX_TRACKED = 10_000;

/**
 * Invalid bearer tokens per client address per minute, and which tokens (by fingerprint) each address has
 * already had refused. Both maps are bounded: expired entries go first, then the oldest.
 */
export class InvalidTokenThrottle {
  private readonly perAddress = new Map<string, { count: number; resetAt: number }>();
  private readonly refused = new Map<string, number>();

  constructor(private readonly max: number) {}

  private static fingerprint(address: string, authorization: string): string {
    return `${address}|${createHash('sha256').update(authorization).digest('base64url').slice(0, 22)}`;
  }

  private over(address: string, now: number): number {
    const f = this.perAddress.get(address);
    return f !== undefined && f.resetAt > now && f.count >= this.max
      ? Math.max(1, Math.ceil((f.resetAt - now) / 1000))
      : 0;
  }

  /** Seconds to wait when this address is over its budget and has already been refused this very token; else 0. */
  knownBad(address: string, authorization: string, now: number): number {
    const wait = this.over(address, now);
    if (!wait) return 0;
    const until = this.refused.get(InvalidTokenThrottle.fingerprint(address, authorization));
    return until !== undefined && until > now ? wait : 0;
  }

  /** Records a refused token; seconds to wait when the address is now over its budget, else 0 (answer 401). */
  failed(address: string, authorization: string, now: number): number {
    const wait = this.over(address, now);
    const f = this.perAddress.get(address);
    if (!f || f.resetAt <= now) this.perAddress.set(address, { count: 1, resetAt: now + WINDOW_MS });
    else f.count++;
    this.refused.set(InvalidTokenThrottle.fingerprint(address, authorization), now + WINDOW_MS);
    bound(this.perAddress, now, (v) => v.resetAt);
    bound(this.refused, now, (v) => v);
    return wait;
  }
}

/**
 * Keeps a per-client map within MAX_TRACKED entries: expired ones go first, then the oldest inserted (which
 * start afresh if they come back). Shared by every map a client can grow with new addresses or keys.
 */
export function bound<V>(map: Map<string, V>, now: number, expiry: (v: V) => number): void {
  if (map.size <= MAX_TRACKED) return;
  for (const [k, v] of map) if (expiry(v) <= now) map.delete(k);
  for (const k of map.keys()) {
    if (map.size <= MAX_TRACKED) break;
    map.delete(k);
  }
}
