import type { FastifyPluginAsync } from 'fastify';
import type { HealthMonitor } from '../../monitor/health-monitor.js';
import { readiness, toHealthDocument } from '../health-json.js';

export interface HealthRoutesOptions {
  monitor: HealthMonitor;
  release: string;
  /** True once shutdown began: readiness fails at once so load balancers drain us. */
  shuttingDown: () => boolean;
  started: () => boolean;
}

const asList = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : v === undefined ? [] : [String(v)]);

/** /livez, /readyz, /health: all read the snapshot, none samples. */
export const healthRoutes: FastifyPluginAsync<HealthRoutesOptions> = async (app, opts) => {
  const noStore = { 'cache-control': 'no-store' };

  // Liveness is the daemon itself answering; dependencies never make a pod restart.
  app.get('/livez', async (_req, reply) => reply.headers(noStore).type('text/plain; charset=utf-8').send('ok'));

  app.get('/readyz', async (req, reply) => {
    const q = req.query as Record<string, unknown>;
    const exclude = new Set(asList(q.exclude).flatMap((e) => e.split(',')));
    const { ready, lines } = readiness(opts.monitor.snapshot, {
      started: opts.started(),
      shuttingDown: opts.shuttingDown(),
      exclude,
    });
    reply
      .code(ready ? 200 : 503)
      .headers(noStore)
      .type('text/plain; charset=utf-8');
    if (q.verbose === undefined)
      return ready
        ? 'ok'
        : `not ready: ${lines
            .filter((l) => !l.ok)
            .map((l) => l.name)
            .join(', ')}`;
    const body = lines.map((l) => (l.ok ? `[+]${l.name} ok` : `[-]${l.name} failed: ${l.reason}`));
    for (const name of exclude) body.push(`[+]${name} excluded: ok`);
    body.push(ready ? 'readyz check passed' : 'readyz check failed');
    return `${body.join('\n')}\n`;
  });

  app.get('/health', async (_req, reply) => {
    const doc = toHealthDocument(opts.monitor.snapshot, opts.release);
    return reply
      .code(doc.status === 'fail' ? 503 : 200)
      .headers(noStore)
      .type('application/health+json')
      .send(JSON.stringify(doc));
  });
};
