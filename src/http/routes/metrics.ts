import type { FastifyPluginAsync } from 'fastify';
import type { ExpositionPage } from '../../telemetry/exposition.js';

export interface MetricsRoutesOptions {
  /** The rendered exposition: a cached page while the snapshot behind it is unchanged. */
  page: () => ExpositionPage | Promise<ExpositionPage>;
}

// Prometheus text format 0.0.4; spelled out here so this route does not load the OTel SDK to learn it.
const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
const GZIP = /\bgzip\b/i;

/**
 * GET /metrics: the OpenTelemetry instruments in Prometheus text format, served from the page the telemetry
 * renders once per snapshot, so a scrape costs a buffer write (gzip when the scraper asks, as Prometheus does).
 * Who may scrape is decided by the security plugin ahead of this route.
 */
export const metricsRoutes: FastifyPluginAsync<MetricsRoutesOptions> = async (app, opts) => {
  app.get('/metrics', async (req, reply) => {
    const pending = opts.page();
    const page = pending instanceof Promise ? await pending : pending;
    reply.header('content-type', CONTENT_TYPE).header('cache-control', 'no-store').header('vary', 'accept-encoding');
    if (GZIP.test(req.headers['accept-encoding'] ?? '')) return reply.header('content-encoding', 'gzip').send(page.gzip());
    return reply.send(page.body);
  });
};
