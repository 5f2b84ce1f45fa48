import rateLimit from '@fastify/rate-limit';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { Redis } from 'ioredis';
import type { HttpConfig } from '../config/schema.js';
import { redactUrl } from '../shared/redact.js';
import type { Logger } from '../telemetry/logger.js';
import { PROBE_ROUTES } from './security.js';

export interface RateLimitOptions {
  config: HttpConfig['rateLimit'];
  log: Logger;
}

/** The budget is per principal, so callers behind one NAT do not share one, and one token cannot use many addresses. */
export function rateLimitKey(req: FastifyRequest): string {
  return req.principal ? `${req.principal.kind}:${req.principal.subject}` : `ip:${req.ip}`;
}

export class RateLimitedError extends Error {
  readonly statusCode: number;
  readonly code = 'RATE_LIMITED';
  constructor(statusCode: number, after: string) {
    super(`rate limit exceeded, retry in ${after}`);
    this.statusCode = statusCode;
  }
}

/**
 * @fastify/rate-limit on every route but the probes, after authentication (its hook is route-level, so it runs
 * after the root-level auth hook and sees `req.principal`). With Redis, replicas share one budget; when Redis is
 * unreachable requests are let through (skipOnError) rather than the service failing with it.
 */
const limiter: FastifyPluginAsync<RateLimitOptions> = async (app, { config, log }) => {
  if (!config.enabled) return;
  let redis: Redis | undefined;
  if (config.redis) {
    let lastWarn = 0;
    redis = new Redis(config.redis, {
      // A limiter that waits on a dead Redis would stall every request; fail fast and let skipOnError decide.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 2000,
      commandTimeout: 1000,
      lazyConnect: true,
    });
    redis.on('error', (e: Error) => {
      if (Date.now() - lastWarn < 30_000) return;
      lastWarn = Date.now();
      log.warn({ err: { message: redactUrl(e.message) } }, 'rate-limit Redis unavailable; requests are not being limited');
    });
    await redis.connect().catch(() => undefined);
    app.addHook('onClose', async () => {
      await redis!.quit().catch(() => redis!.disconnect());
    });
  }
  await app.register(rateLimit, {
    global: true,
    hook: 'onRequest',
    max: config.max,
    timeWindow: config.window,
    keyGenerator: rateLimitKey,
    // Probes and scrapes are never limited: /metrics is served from a cached page and a scraper must not be cut off.
    allowList: (req) => PROBE_ROUTES.has(req.routeOptions.url ?? '') || req.routeOptions.url === '/metrics',
    skipOnError: true,
    ...(redis ? { redis, nameSpace: config.keyPrefix } : {}),
    errorResponseBuilder: (_req, ctx) => new RateLimitedError(ctx.statusCode, ctx.after),
  });
};

export const rateLimitPlugin = fp(limiter, { name: 'mcp-vitals-rate-limit', fastify: '5.x' });
