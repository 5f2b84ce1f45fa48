import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import type { ServerResponse } from 'node:http';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { HealthMonitor } from '../../monitor/health-monitor.js';
import type { HealthEvent } from '../../monitor/schema.js';
import { countRefusal } from '../../shared/refusals.js';
import { setLongTimeout, type LongTimeout } from '../../shared/timers.js';
import { diff, type StatusView } from '../../status/view.js';
import { checkDetail, RANGES, statusPayload, viewOf, type HistoryQueryFn, type Range } from '../../status/payload.js';

export interface StatusRoutesOptions {
  monitor: HealthMonitor;
  /** The history store's query: sparklines, uptime bars and the detail view read it. */
  query?: HistoryQueryFn;
  /** Most live /events streams at once; more get 503. */
  maxStreams?: number;
  /** Most live /events streams per principal (token subject, else client address). */
  maxStreamsPerClient?: number;
}

/** A stream whose client stopped reading is dropped rather than buffered without bound. */
const MAX_BUFFERED_BYTES = 1 << 20;

/** Strict: only our own files, no inline script or style, nothing from elsewhere. */
export const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

interface Asset {
  type: string;
  raw: Buffer;
  gzip: Buffer;
  etag: string;
}

/** The page's files, bundled into dist at build time, read and gzipped once at start. */
function loadAssets(): Map<string, Asset> {
  const dir = new URL('../status/assets/', import.meta.url);
  const assets = new Map<string, Asset>();
  for (const name of readdirSync(dir)) {
    const ext = name.slice(name.lastIndexOf('.'));
    if (!TYPES[ext]) continue;
    const raw = readFileSync(new URL(name, dir));
    assets.set(name, {
      type: TYPES[ext]!,
      raw,
      gzip: gzipSync(raw, { level: 9 }),
      etag: `"${createHash('sha256').update(raw).digest('base64url').slice(0, 16)}"`,
    });
  }
  return assets;
}

const SECURITY_HEADERS = {
  'content-security-policy': CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

/** GET / and /status (the page), /status/assets/* (its files), /events (live updates, Server-Sent Events). */
export const statusRoutes: FastifyPluginAsync<StatusRoutesOptions> = async (app, opts) => {
  const assets = loadAssets();
  const maxStreams = opts.maxStreams ?? 100;
  const maxPerClient = opts.maxStreamsPerClient ?? 10;
  const live = new Set<ServerResponse>();
  const perClient = new Map<string, number>();
  // Ends every live stream as shutdown begins, so the server can drain instead of waiting out the grace period.
  app.addHook('preClose', async () => {
    for (const res of live) res.end();
  });

  const sendAsset = (name: string) => async (req: FastifyRequest, reply: FastifyReply) => {
    const a = assets.get(name);
    if (!a) return reply.code(404).send({ error: 'not found' });
    reply.headers(SECURITY_HEADERS).header('etag', a.etag).header('vary', 'accept-encoding').type(a.type);
    reply.header('cache-control', name === 'index.html' ? 'no-cache' : 'public, max-age=300');
    if (req.headers['if-none-match'] === a.etag) return reply.code(304).send();
    if (/\bgzip\b/.test(String(req.headers['accept-encoding'] ?? '')))
      return reply.header('content-encoding', 'gzip').send(a.gzip);
    return reply.send(a.raw);
  };
  app.get('/', sendAsset('index.html'));
  app.get('/status', sendAsset('index.html'));
  app.get<{ Params: { file: string } }>('/status/assets/:file', (req, reply) => sendAsset(req.params.file)(req, reply));

  // Incidents come from the analysis module over the monitor's own events, as the prompts' do.
  const src = { monitor: opts.monitor, ...(opts.query ? { query: opts.query } : {}) };
  const viewNow = () => viewOf(opts.monitor);
  const initial = () => statusPayload(src);

  // Data routes need vitals:read when auth is configured (the security plugin's default for every route).
  app.get('/api/status', async (_req, reply) => {
    return reply.headers({ 'cache-control': 'no-store' }).send(await initial());
  });

  // One check's history over 1 h / 24 h / 7 d, its thresholds and its events: the page's detail view.
  app.get<{ Params: { name: string }; Querystring: { range?: string } }>(
    '/api/status/checks/:name',
    async (req, reply) => {
      const range = req.query.range ?? '1h';
      if (!Object.hasOwn(RANGES, range))
        return reply.code(400).send({ error: `range must be one of ${Object.keys(RANGES).join(', ')}` });
      const detail = await checkDetail(src, req.params.name, range as Range);
      if (!detail) return reply.code(404).send({ error: 'no such check' });
      return reply.headers({ 'cache-control': 'no-store' }).send(detail);
    },
  );

  app.get('/events', async (req, reply) => {
    const client = req.principal ? `${req.principal.kind}:${req.principal.subject}` : `ip:${req.ip}`;
    if (live.size >= maxStreams) {
      countRefusal('event_streams');
      return reply
        .code(503)
        .header('retry-after', '5')
        .send({ error: 'too_many_streams', message: `too many live streams (limit ${maxStreams}); try again later` });
    }
    if ((perClient.get(client) ?? 0) >= maxPerClient) {
      countRefusal('event_streams_per_principal');
      return reply
        .code(429)
        .header('retry-after', '5')
        .send({
          error: 'too_many_streams',
          message: `too many live streams for this client (limit ${maxPerClient}); close some first`,
        });
    }
    reply.hijack();
    const res = reply.raw;
    live.add(res);
    perClient.set(client, (perClient.get(client) ?? 0) + 1);
    let closed = false;
    let timer: NodeJS.Timeout | undefined;
    let heartbeat: NodeJS.Timeout | undefined;
    let expiry: LongTimeout | undefined;
    let pendingEvents: HealthEvent[] = [];
    const onSnapshot = () => {
      timer ??= setTimeout(flush, 250);
    };
    const onEvent = (e: HealthEvent) => {
      pendingEvents.push(e);
      onSnapshot();
    };
    // Registered before anything is awaited, so a client gone during the first snapshot leaks nothing.
    const close = () => {
      if (closed) return;
      closed = true;
      opts.monitor.off('snapshot', onSnapshot);
      opts.monitor.off('event', onEvent);
      if (heartbeat) clearInterval(heartbeat);
      if (timer) clearTimeout(timer);
      expiry?.clear();
      live.delete(res);
      const n = (perClient.get(client) ?? 1) - 1;
      if (n > 0) perClient.set(client, n);
      else perClient.delete(client);
    };
    req.raw.once('close', close);
    res.once('close', close);
    const send = (event: string, data: unknown) => {
      if (closed) return;
      if (res.writableLength > MAX_BUFFERED_BYTES) {
        res.destroy();
        return;
      }
      res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    };
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    // Every (re)connection starts from a full snapshot, so a client that missed deltas is never stale.
    res.write('retry: 2000\n\n');
    let last: StatusView;
    try {
      const first = await initial();
      last = first.view;
      send('snapshot', first);
    } catch {
      res.end();
      close();
      return;
    }
    if (closed) return;
    // Snapshots arrive on every check run; coalesce them so a busy daemon sends at most 4 deltas a second.
    const flush = () => {
      timer = undefined;
      const next = viewNow();
      send('delta', diff(last, next, pendingEvents));
      last = next;
      pendingEvents = [];
    };
    heartbeat = setInterval(() => !closed && res.write(': keep-alive\n\n'), 15_000);
    // A stream opened with a token that expires ends with it; the page reconnects and authenticates again.
    const expiresAt = req.principal?.expiresAt;
    // A token valid for months must not overflow the timer (which would end the stream at once).
    if (expiresAt !== undefined) expiry = setLongTimeout(() => res.end(), expiresAt * 1000 - Date.now());
    opts.monitor.on('snapshot', onSnapshot);
    opts.monitor.on('event', onEvent);
  });
};
