import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyPluginAsync,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { HttpConfig, LimitsConfig } from '../config/schema.js';
import { VitalsError } from '../shared/errors.js';
import { countRefusal } from '../shared/refusals.js';
import { Authenticator } from './auth.js';
import { checkConnectionsOnlyWhenOpen } from './connection-checks.js';
import { JSONRPC, jsonRpcError } from './jsonrpc.js';
import { isLoopback, parseListen, type ListenAddress } from './listen.js';
import { hostCheckNeeded, OriginPolicy } from './origin.js';
import { rateLimitPlugin } from './rate-limit.js';
import type { MetricsShortcut } from './routes/metrics.js';
import { routePolicy, securityPlugin } from './security.js';

/** A route plugin with options of its own type: the list mixes them and fastify checks each at registration. */
// biome-ignore lint/suspicious/noExplicitAny: a heterogeneous list of plugins, each typed where it is defined
export type RoutePlugin = FastifyPluginAsync<any>;

export interface HttpServerOptions {
  config: HttpConfig;
  /** Overrides config.listen (the --listen flag). */
  listen?: string;
  log: Logger;
  /** Route plugins with their options, registered in order after security and rate limiting. */
  plugins: [RoutePlugin, Record<string, unknown>][];
  insecure: boolean;
  /** The `limits:` config section (the invalid-token budget applies here). */
  limits?: Pick<LimitsConfig, 'invalidTokensPerMinute'>;
  /** Called when closing, before connections are cut: finish in-flight work by `deadline` (epoch ms). */
  drain?: (deadline: number) => Promise<void>;
  /**
   * Serves GET /metrics past fastify when the security plugin would let the request through untouched: /metrics
   * open (no auth for it), the Host allowed, no Origin (no CORS), the server not closing. Anything else about a
   * scrape (a token, a browser, HEAD) goes through fastify's route as before.
   */
  metricsShortcut?: MetricsShortcut;
}

class UnsafeBindError extends VitalsError {
  constructor(host: string) {
    super(
      'UNSAFE_BIND',
      `refusing to listen on ${host} without authentication; configure http.auth, bind 127.0.0.1, or pass --insecure`,
    );
  }
}

export interface HttpServer {
  app: FastifyInstance;
  address: ListenAddress;
  /** Stops listening, lets in-flight requests finish within the grace period, then cuts what is left. */
  close(graceMs?: number): Promise<void>;
}

const humanBytes = (n: number) =>
  n % (1024 * 1024) === 0 ? `${n / (1024 * 1024)} MiB` : n % 1024 === 0 ? `${n / 1024} KiB` : `${n} bytes`;

/** Errors from body parsing, the rate limiter, or a route, in the shape the route speaks. */
function errorHandler(log: Logger, bodyLimit: number) {
  return (err: FastifyError, req: FastifyRequest, reply: FastifyReply) => {
    const status =
      typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    let code: number = JSONRPC.SERVER_ERROR;
    let message = status >= 500 ? 'Internal error' : err.message;
    if (
      err.code === 'FST_ERR_CTP_INVALID_JSON_BODY' ||
      err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' ||
      (status === 400 && err instanceof SyntaxError)
    ) {
      code = JSONRPC.PARSE_ERROR;
      message = 'Parse error: invalid JSON';
    } else if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      countRefusal('body_bytes');
      message = `Request body larger than ${humanBytes(bodyLimit)}`;
    } else if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
      message = 'Unsupported Media Type: Content-Type must be application/json';
    else if (status === 500) code = JSONRPC.INTERNAL_ERROR;
    if (status >= 500)
      log.error({ err: { message: err.message, code: err.code }, route: req.routeOptions.url }, 'request failed');
    reply.code(status);
    if (req.routeOptions.url === '/mcp') return reply.send(jsonRpcError(code, message));
    return reply.send({
      error: status === 429 ? 'rate_limited' : status >= 500 ? 'internal_error' : 'bad_request',
      message,
    });
  };
}

/**
 * How often Node looks for requests past their header or request timeout: a tenth of the shorter one, 100 ms to 1 s.
 */
export function checkingInterval(t: HttpConfig['timeouts']): number {
  const shortest = Math.min(...[t.headers, t.request].filter((ms) => ms > 0));
  return Number.isFinite(shortest) ? Math.min(1000, Math.max(100, Math.round(shortest / 10))) : 1000;
}

/** A GET /metrics the security plugin would let through untouched (see HttpServerOptions.metricsShortcut). */
function scrapeToPassThrough(req: IncomingMessage, origins: OriginPolicy): boolean {
  const url = req.url;
  return (
    req.method === 'GET' &&
    (url === '/metrics' || url?.startsWith('/metrics?') === true) &&
    req.headers.origin === undefined &&
    origins.hostAllowed(req.headers.host)
  );
}

/**
 * Whether this scrape comes longer after the last one than a connection is kept alive: then the scraper's next
 * scrape cannot reuse this connection (Prometheus every 15 s against a 5 s keep-alive), and closing it with the
 * answer spares the daemon its idle seconds: Node's connection checks wake the process every second while any
 * connection is open, then a keep-alive timer and the close. Scrapes closer together (a hammering client, a short
 * scrape interval) keep their connections. `keepAliveMs` 0 (kept alive forever): never.
 */
export function spacedScrapes(keepAliveMs: number, now = () => performance.now()): () => boolean {
  let last = -Infinity;
  return () => {
    const t = now();
    const spaced = keepAliveMs > 0 && t - last > keepAliveMs;
    last = t;
    return spaced;
  };
}

/** One fastify instance per listen address; security first, then the rate limiter, then routes as plugins. */
export async function startHttpServer(options: HttpServerOptions): Promise<HttpServer> {
  const { config, log } = options;
  const { host, port } = parseListen(options.listen ?? config.listen);
  if (!isLoopback(host) && !config.auth && !options.insecure) throw new UnsafeBindError(host);
  if (!isLoopback(host) && !config.auth)
    log.warn(
      { host },
      'listening beyond loopback without authentication (--insecure): whoever reaches this port can call every tool',
    );
  const httpLog = log.child({ component: 'http' });
  const origins = new OriginPolicy({
    listenHost: host,
    checkHost: hostCheckNeeded({
      listenLoopback: isLoopback(host),
      authConfigured: config.auth !== undefined,
      allowedHosts: config.allowedHosts,
    }),
    allowedHosts: config.allowedHosts,
    allowedOrigins: config.allowedOrigins,
  });
  const policy = routePolicy(config);
  let accepting = true;
  const shortcut = policy('/metrics') === 'open' ? options.metricsShortcut : undefined;
  const http = {
    connectionsCheckingInterval: checkingInterval(config.timeouts),
    headersTimeout: config.timeouts.headers,
    requestTimeout: config.timeouts.request,
  };
  // fastify sets these on the server it creates; a server made for the shortcut gets them from here too.
  const serverTimeouts = {
    connectionTimeout: 0,
    requestTimeout: config.timeouts.request,
    keepAliveTimeout: config.timeouts.keepAlive,
  };
  const app = Fastify({
    loggerInstance: httpLog as unknown as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.bodyLimit,
    // Slow clients (slowloris) cannot hold sockets open indefinitely: the whole request must arrive in time.
    // Node checks those deadlines only every `connectionsCheckingInterval` (30 s by default), so a 10 s header
    // timeout fired at up to 40 s; checking often enough keeps each within a second of its documented value.
    http,
    ...(shortcut
      ? {
          serverFactory: (handler: (req: IncomingMessage, res: ServerResponse) => void) => {
            const spaced = spacedScrapes(serverTimeouts.keepAliveTimeout);
            const server = createServer(http, (req, res) => {
              if (!accepting || !scrapeToPassThrough(req, origins)) return handler(req, res);
              if (spaced()) res.shouldKeepAlive = false;
              shortcut(req, res, () => handler(req, res));
            });
            // What fastify sets on a server it creates (lib/server.js).
            server.keepAliveTimeout = serverTimeouts.keepAliveTimeout;
            server.requestTimeout = serverTimeouts.requestTimeout;
            server.setTimeout(serverTimeouts.connectionTimeout);
            return server;
          },
        }
      : {}),
    ...serverTimeouts,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    trustProxy: config.trustProxy,
    // "__proto__" and "constructor.prototype" keys are valid JSON: drop them rather than call the body unparseable.
    onProtoPoisoning: 'remove',
    onConstructorPoisoning: 'remove',
  });
  app.server.headersTimeout = config.timeouts.headers;
  app.setErrorHandler(errorHandler(httpLog, config.bodyLimit));

  const authenticator = new Authenticator(config.auth, config.metricsAuth.tokens);
  await app.register(securityPlugin, {
    authenticator,
    origins,
    policy,
    ...(config.publicUrl ? { publicUrl: config.publicUrl } : {}),
    authorizationServers: config.auth?.authorizationServers ?? [],
    metadata: config.auth !== undefined,
    protectVerboseProbes: config.auth !== undefined,
    ...(options.limits ? { invalidTokensPerMinute: options.limits.invalidTokensPerMinute } : {}),
    log: httpLog,
  });
  await app.register(rateLimitPlugin, { config: config.rateLimit, log: httpLog });
  for (const [plugin, opts] of options.plugins) await app.register(plugin, opts);
  checkConnectionsOnlyWhenOpen(app.server);
  await app.listen({ host, port });
  const addr = app.server.address();
  const address = typeof addr === 'object' && addr ? { host, port: addr.port } : { host, port };
  log.info(
    {
      listen: `${host.includes(':') ? `[${host}]` : host}:${address.port}`,
      auth: config.auth !== undefined,
      stateless: config.stateless,
    },
    'HTTP server listening',
  );

  let closing: Promise<void> | undefined;
  const close = (graceMs = config.shutdownGrace) =>
    (closing ??= (async () => {
      accepting = false;
      const deadline = Date.now() + graceMs;
      // Stops accepting connections and closes idle keep-alive ones; requests on open ones get 503.
      const closed = app.close();
      await options.drain?.(deadline);
      // Connections whose last response just finished are idle now: close them rather than wait out keep-alive.
      const sweep = setInterval(() => app.server.closeIdleConnections(), 50);
      const cut = setTimeout(() => app.server.closeAllConnections(), Math.max(0, deadline - Date.now()));
      app.server.closeIdleConnections();
      try {
        await closed;
      } finally {
        clearInterval(sweep);
        clearTimeout(cut);
      }
    })());
  return { app, address, close };
}
