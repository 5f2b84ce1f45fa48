import type { FastifyPluginAsync } from 'fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ExpositionPage } from '../../telemetry/exposition.js';

interface MetricsRoutesOptions {
  /** The rendered exposition: a cached page while the snapshot behind it is unchanged. */
  page: (gzip: boolean) => ExpositionPage | Promise<ExpositionPage>;
}

// Prometheus text format 0.0.4; spelled out here so this route does not load the OTel SDK to learn it.
const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
const GZIP = /\bgzip\b/i;

/**
 * The response to a scrape, for the route and the shortcut alike: the page, compressed when the scraper accepts
 * gzip (Prometheus does), with its headers. Throws when the page cannot be compressed.
 */
function scrapeAnswer(page: ExpositionPage, gzip: boolean): { headers: Record<string, string>; body: Buffer } {
  const headers: Record<string, string> = {
    'content-type': CONTENT_TYPE,
    'cache-control': 'no-store',
    vary: 'accept-encoding',
  };
  if (!gzip) return { headers, body: page.body };
  headers['content-encoding'] = 'gzip';
  return { headers, body: page.gzip() };
}

/**
 * GET /metrics: the OpenTelemetry instruments in Prometheus text format, served from the page the telemetry
 * renders once per snapshot, so a scrape costs a buffer write (gzip when the scraper asks, as Prometheus does).
 * Who may scrape is decided by the security plugin ahead of this route.
 * @public app.ts reads it through the module's namespace, which knip does not follow.
 */
export const metricsRoutes: FastifyPluginAsync<MetricsRoutesOptions> = async (app, opts) => {
  app.get('/metrics', async (req, reply) => {
    const gzip = GZIP.test(req.headers['accept-encoding'] ?? '');
    const pending = opts.page(gzip);
    const { headers, body } = scrapeAnswer(pending instanceof Promise ? await pending : pending, gzip);
    return reply.headers(headers).send(body);
  });
};

/** Answers a request, or hands it to fastify with `fallback`. */
export type MetricsShortcut = (req: IncomingMessage, res: ServerResponse, fallback: () => void) => void;

// Frozen: the request histogram then finds the series by the object instead of hashing its attributes.
const SCRAPE = Object.freeze({
  'http.request.method': 'GET',
  'http.response.status_code': 200,
  'http.route': '/metrics',
});

/**
 * GET /metrics answered by the node server itself, which startHttpServer uses when fastify's chain would only
 * pass the request through (open route, Host allowed, no Origin): the route's bytes and headers, and the
 * request histogram's recording, without a request and reply, their hooks and promises. A scrape 15 s after the
 * last one runs all of that cold, where it cost ~0.3 ms of a ~2 ms scrape at ~500 series. A page that fails to
 * render goes to fastify (`fallback`), whose route renders again and whose error handler answers.
 * @public app.ts reads it through the module's namespace, which knip does not follow.
 */
export function metricsShortcut(opts: MetricsRoutesOptions & Partial<HttpMetricsOptions>): MetricsShortcut {
  return (req, res, fallback) => {
    const started = performance.now();
    const gzip = GZIP.test(req.headers['accept-encoding'] ?? '');
    const send = (page: ExpositionPage) => {
      let answer: ReturnType<typeof scrapeAnswer>;
      try {
        answer = scrapeAnswer(page, gzip);
      } catch {
        return fallback();
      }
      res.writeHead(200, { ...answer.headers, 'content-length': answer.body.length });
      const record = opts.record;
      if (record) res.once('finish', () => record((performance.now() - started) / 1000, SCRAPE));
      res.end(answer.body);
    };
    let pending: ExpositionPage | Promise<ExpositionPage>;
    try {
      pending = opts.page(gzip);
    } catch {
      return fallback();
    }
    if (pending instanceof Promise) pending.then(send, fallback);
    else send(pending);
  };
}

interface HttpMetricsOptions {
  record: (seconds: number, attributes: Record<string, string | number>) => void;
}

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH']);

/**
 * http.server.request.duration for every request the server answers, refusals by the security plugin and
 * 404s included. Labels stay bounded: the route is the registered pattern (absent when nothing matched), the
 * method one of the standard ones, never the raw URL.
 */
const httpMetrics: FastifyPluginAsync<HttpMetricsOptions> = async (app, opts) => {
  app.addHook('onResponse', async (req, reply) => {
    const attributes: Record<string, string | number> = {
      'http.request.method': METHODS.has(req.method) ? req.method : '_OTHER',
      'http.response.status_code': reply.statusCode,
    };
    const route = req.routeOptions.url;
    if (route) attributes['http.route'] = route;
    opts.record(reply.elapsedTime / 1000, attributes);
  });
};
// Not encapsulated (what fastify-plugin does): the hook must see the routes of every other plugin.
(httpMetrics as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true;
/** @public app.ts reads it through the module's namespace, which knip does not follow. */
export const httpMetricsPlugin = httpMetrics;
