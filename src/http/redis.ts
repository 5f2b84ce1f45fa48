import { Redis } from 'ioredis';
import { redactUrl } from '../shared/redact.js';
import type { Logger } from '../shared/logger.js';

/**
 * A Redis client for the HTTP layer's helpers (the rate limiter's budgets, the event bus), which must never
 * stall a request on a dead or slow Redis: it connects when asked, gives up on a connection after 2 s and retries
 * a command once. A `commands` client also fails at once while disconnected and gives up on a reply after 1 s;
 * a `subscriber` keeps its offline queue (its SUBSCRIBE waits for the connection) and has no command timeout.
 */
export function helperRedis(url: string, role: 'commands' | 'subscriber'): Redis {
  return new Redis(url, {
    lazyConnect: true,
    connectTimeout: 2000,
    maxRetriesPerRequest: 1,
    ...(role === 'commands' ? { enableOfflineQueue: false, commandTimeout: 1000 } : {}),
  });
}

/**
 * Logs a Redis outage at warn level at most every 30 s (ioredis reports each failed reconnect), with any URL in
 * the error scrubbed of its credentials. Attach one to every client of one helper, so they share the budget.
 */
export function warnOnRedisErrors(log: Logger, message: string, clients: Redis[], everyMs = 30_000): void {
  let lastWarn = 0;
  const warn = (e: Error) => {
    if (Date.now() - lastWarn < everyMs) return;
    lastWarn = Date.now();
    log.warn({ err: { message: redactUrl(e.message) } }, message);
  };
  for (const c of clients) c.on('error', warn);
}
