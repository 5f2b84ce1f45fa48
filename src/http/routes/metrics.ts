import type { FastifyPluginAsync } from 'fastify';
import type { ExpositionPage } from '../../telemetry/exposition.js';

interface MetricsRoutesOptions {
  /** The rendered exposition: a cached page while the snapshot behind it is unchanged. */
  page: (gzip: boolean) => ExpositionPage | Promise<ExpositionPage>;
}

// Prometheus text format 0.0.4; spelled out here so this route does not load the OTel SDK to learn it.
const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
const GZIP = /\bgzip\b/i;

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
    const page = pending instanceof Promise ? await pending : pending;
    reply.header('content-type', CONTENT_TYPE).header('cache-control', 'no-store').header('vary', 'accept-encoding');
    if (gzip) return reply.header('content-encoding', 'gzip').send(page.gzip());
    return reply.send(page.body);
  });
};

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
