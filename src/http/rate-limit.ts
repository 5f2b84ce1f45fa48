import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Redis } from 'ioredis';
import type { HttpConfig } from '../config/schema.js';
import { countRefusal } from '../shared/refusals.js';
import type { Logger } from '../shared/logger.js';
import { helperRedis, warnOnRedisErrors } from './redis.js';
import { bound, PROBE_ROUTES } from './security.js';

export interface RateLimitOptions {
  config: HttpConfig['rateLimit'];
  log: Logger;
}

/** The budget is per principal, so callers behind one NAT do not share one, and one token cannot use many addresses. */
function rateLimitKey(req: FastifyRequest): string {
  return req.principal ? `${req.principal.kind}:${req.principal.subject}` : `ip:${req.ip}`;
}

class RateLimitedError extends Error {
  readonly statusCode: number;
  readonly code = 'RATE_LIMITED';
  constructor(statusCode: number, after: string) {
    super(`rate limit exceeded, retry in ${after}`);
    this.statusCode = statusCode;
  }
}

/**
 * What one /mcp POST costs: every JSON-RPC message in it counts (a batch of 100 is 100 requests), and a
 * `tools/call` of an expensive tool counts its configured weight.
 */
export function messageCost(body: unknown, toolCost: Readonly<Record<string, number>>): number {
  const messages = Array.isArray(body) ? body : [body];
  let cost = 0;
  for (const m of messages) {
    const o =
      m !== null && typeof m === 'object' ? (m as { method?: unknown; params?: { name?: unknown } }) : undefined;
    const tool = o?.method === 'tools/call' && typeof o.params?.name === 'string' ? o.params.name : undefined;
    cost += (tool !== undefined && Object.hasOwn(toolCost, tool) ? toolCost[tool] : undefined) ?? 1;
  }
  return Math.max(1, cost);
}

/** Units spent in the current window and when it ends. */
interface Spent {
  count: number;
  resetInMs: number;
}

interface BudgetStore {
  spend(key: string, cost: number, windowMs: number): Promise<Spent>;
  close(): Promise<void>;
}

/**
 * Fixed windows per key in this process; expired keys are swept so idle principals cost nothing, and the map
 * stays bounded within a window too (a client rotating addresses makes a new key per request).
 */
export class MemoryBudgets implements BudgetStore {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(windowMs: number) {
    this.sweeper = setInterval(
      () => {
        const now = Date.now();
        for (const [k, w] of this.windows) if (w.resetAt <= now) this.windows.delete(k);
      },
      Math.max(1000, windowMs),
    );
    this.sweeper.unref();
  }

  async spend(key: string, cost: number, windowMs: number): Promise<Spent> {
    const now = Date.now();
    let w = this.windows.get(key);
    if (!w || w.resetAt <= now) {
      w = { count: 0, resetAt: now + windowMs };
      this.windows.set(key, w);
      bound(this.windows, now, (v) => v.resetAt);
    }
    w.count += cost;
    return { count: w.count, resetInMs: w.resetAt - now };
  }

  /** Keys held now. */
  get size(): number {
    return this.windows.size;
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
  }
}

/** INCRBY and the window's expiry in one step, so replicas share one budget per principal. */
const SPEND_LUA = `
local c = redis.call('INCRBY', KEYS[1], ARGV[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  ttl = tonumber(ARGV[2])
end
return {c, ttl}`;

class RedisBudgets implements BudgetStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  async spend(key: string, cost: number, windowMs: number): Promise<Spent> {
    const [count, ttl] = (await this.redis.eval(SPEND_LUA, 1, `${this.prefix}${key}`, cost, windowMs)) as [
      number,
      number,
    ];
    return { count, resetInMs: ttl };
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

/**
 * A per-principal budget of JSON-RPC messages (and plain HTTP requests) per window, after authentication.
 * Requests to /mcp are charged once their body is parsed, by `messageCost`; every other limited route costs 1.
 * Probes and /metrics are never limited. With Redis, replicas share one budget; when Redis is unreachable
 * requests are let through rather than the service failing with it.
 */
const limiter: FastifyPluginAsync<RateLimitOptions> = async (app, { config, log }) => {
  if (!config.enabled) return;
  let store: BudgetStore;
  if (config.redis) {
    // A limiter that waits on a dead Redis would stall every request; fail fast and let requests through.
    const redis = helperRedis(config.redis, 'commands');
    warnOnRedisErrors(log, 'rate-limit Redis unavailable; requests are not being limited', [redis]);
    await redis.connect().catch(() => undefined);
    store = new RedisBudgets(redis, config.keyPrefix);
  } else store = new MemoryBudgets(config.window);
  app.addHook('onClose', async () => store.close());

  const charge = async (req: FastifyRequest, reply: FastifyReply, cost: number) => {
    let spent: Spent;
    try {
      spent = await store.spend(rateLimitKey(req), cost, config.window);
    } catch {
      return; // Redis away: logged by its error handler.
    }
    const resetSeconds = Math.max(1, Math.ceil(spent.resetInMs / 1000));
    reply
      .header('x-ratelimit-limit', String(config.max))
      .header('x-ratelimit-remaining', String(Math.max(0, config.max - spent.count)))
      .header('x-ratelimit-reset', String(resetSeconds));
    if (spent.count > config.max) {
      countRefusal('rate_limit');
      reply.header('retry-after', String(resetSeconds));
      throw new RateLimitedError(429, `${resetSeconds} seconds`);
    }
  };
  const exempt = (req: FastifyRequest) =>
    PROBE_ROUTES.has(req.routeOptions.url ?? '') || req.routeOptions.url === '/metrics';
  const chargedOnBody = (req: FastifyRequest) => req.method === 'POST' && req.routeOptions.url === '/mcp';

  // Every request pays 1 on arrival (so unparseable bodies are not free); an /mcp POST pays the rest of its
  // cost once its body is parsed.
  app.addHook('onRequest', async (req, reply) => {
    if (!exempt(req)) await charge(req, reply, 1);
  });
  app.addHook('preHandler', async (req, reply) => {
    if (!chargedOnBody(req)) return;
    const rest = messageCost(req.body, config.toolCost) - 1;
    if (rest > 0) await charge(req, reply, rest);
  });
};

export const rateLimitPlugin = fp(limiter, { name: 'mcp-vitals-rate-limit', fastify: '5.x' });
