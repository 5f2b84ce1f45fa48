import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import type { ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { HealthMonitor } from '../../monitor/health-monitor.js';
import type { HealthEvent } from '../../monitor/schema.js';
import { countRefusal } from '../../shared/refusals.js';
import { setLongTimeout, type LongTimeout } from '../../shared/timers.js';
import { diff, type StatusView } from '../../status/view.js';
import {
  checkDetail,
  RANGES,
  statusPayload,
  viewOf,
  type HistoryQueryFn,
  type Range,
  type StatusPayload,
  type StatusSource,
} from '../../status/payload.js';

export interface StatusRoutesOptions {
  monitor: HealthMonitor;
  /** The history store's query: sparklines, uptime bars and the detail view read it. */
  query?: HistoryQueryFn;
  /** Most live /events streams at once; more get 503. */
  maxStreams?: number;
  /** Most live /events streams per principal (token subject, else client address). */
  maxStreamsPerClient?: number;
}

/** Bytes a stream may have waiting for its client before it is dropped. */
const MAX_BUFFERED_BYTES = 1 << 20;

/** Strict: only our own files, no inline script or style, nothing from elsewhere. */
const CSP = [
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

/** One of the page's files, with its caching and security headers; gzipped for a client that takes it. */
function sendAsset(assets: Map<string, Asset>, name: string) {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    const a = assets.get(name);
    if (!a) return reply.code(404).send({ error: 'not found' });
    reply.headers(SECURITY_HEADERS).header('etag', a.etag).header('vary', 'accept-encoding').type(a.type);
    reply.header('cache-control', name === 'index.html' ? 'no-cache' : 'public, max-age=300');
    if (req.headers['if-none-match'] === a.etag) return reply.code(304).send();
    if (/\bgzip\b/.test(String(req.headers['accept-encoding'] ?? '')))
      return reply.header('content-encoding', 'gzip').send(a.gzip);
    return reply.send(a.raw);
  };
}

/** GET / and /status (the page) and /status/assets/* (its files). */
function pageRoutes(app: FastifyInstance): void {
  const assets = loadAssets();
  app.get('/', sendAsset(assets, 'index.html'));
  app.get('/status', sendAsset(assets, 'index.html'));
  app.get<{ Params: { file: string } }>('/status/assets/:file', (req, reply) =>
    sendAsset(assets, req.params.file)(req, reply),
  );
}

/**
 * /api/status (the whole payload) and /api/status/checks/:name (one check's history over 1 h / 24 h / 7 d, its
 * thresholds and its events: the page's detail view). They need vitals:read when auth is configured (the security
 * plugin's default for every route).
 */
function dataRoutes(app: FastifyInstance, src: StatusSource): void {
  app.get('/api/status', async (_req, reply) => {
    return reply.headers({ 'cache-control': 'no-store' }).send(await statusPayload(src));
  });
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
}

/** Live /events streams, counted overall and per client (token subject, else address) against their limits. */
class StreamCounts {
  readonly live = new Set<ServerResponse>();
  private readonly perClient = new Map<string, number>();

  constructor(
    private readonly max: number,
    private readonly maxPerClient: number,
  ) {}

  /** Why this client may not open one more stream (counted as a refusal), or undefined when it may. */
  refusal(client: string): { status: 503 | 429; message: string } | undefined {
    if (this.live.size >= this.max) {
      countRefusal('event_streams');
      return { status: 503, message: `too many live streams (limit ${this.max}); try again later` };
    }
    if ((this.perClient.get(client) ?? 0) >= this.maxPerClient) {
      countRefusal('event_streams_per_principal');
      return {
        status: 429,
        message: `too many live streams for this client (limit ${this.maxPerClient}); close some first`,
      };
    }
    return undefined;
  }

  add(client: string, res: ServerResponse): void {
    this.live.add(res);
    this.perClient.set(client, (this.perClient.get(client) ?? 0) + 1);
  }

  remove(client: string, res: ServerResponse): void {
    this.live.delete(res);
    const n = (this.perClient.get(client) ?? 1) - 1;
    if (n > 0) this.perClient.set(client, n);
    else this.perClient.delete(client);
  }
}

/**
 * One /events connection: a full snapshot first (so a client that missed deltas is never stale), then deltas
 * coalesced so a busy daemon sends at most 4 a second, heartbeats, and an end when the caller's token expires.
 */
class EventStream {
  private closed = false;
  private timer: NodeJS.Timeout | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private expiry: LongTimeout | undefined;
  private pendingEvents: HealthEvent[] = [];
  private last: StatusView | undefined;

  constructor(
    private readonly res: ServerResponse,
    private readonly monitor: HealthMonitor,
    private readonly onClose: () => void,
  ) {}

  private readonly onSnapshot = () => {
    this.timer ??= setTimeout(this.flush, 250);
  };

  private readonly onEvent = (e: HealthEvent) => {
    this.pendingEvents.push(e);
    this.onSnapshot();
  };

  /** Idempotent: the request and the response both report the client going. */
  readonly close = () => {
    if (this.closed) return;
    this.closed = true;
    this.monitor.off('snapshot', this.onSnapshot);
    this.monitor.off('event', this.onEvent);
    if (this.heartbeat) clearInterval(this.heartbeat);
    if (this.timer) clearTimeout(this.timer);
    this.expiry?.clear();
    this.onClose();
  };

  private send(event: string, data: unknown): void {
    if (this.closed) return;
    // A client that stopped reading is dropped rather than buffered without bound.
    if (this.res.writableLength > MAX_BUFFERED_BYTES) {
      this.res.destroy();
      return;
    }
    this.res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  private readonly flush = () => {
    this.timer = undefined;
    const next = viewOf(this.monitor);
    this.send('delta', diff(this.last!, next, this.pendingEvents));
    this.last = next;
    this.pendingEvents = [];
  };

  /** `expiresAt`: the token's expiry (unix seconds); the page reconnects and authenticates again. */
  async start(initial: () => Promise<StatusPayload>, expiresAt: number | undefined): Promise<void> {
    const { res } = this;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write('retry: 2000\n\n');
    try {
      const first = await initial();
      this.last = first.view;
      this.send('snapshot', first);
    } catch {
      res.end();
      this.close();
      return;
    }
    if (this.closed) return;
    this.heartbeat = setInterval(() => !this.closed && res.write(': keep-alive\n\n'), 15_000);
    // A token valid for months must not overflow the timer (which would end the stream at once).
    if (expiresAt !== undefined) this.expiry = setLongTimeout(() => res.end(), expiresAt * 1000 - Date.now());
    this.monitor.on('snapshot', this.onSnapshot);
    this.monitor.on('event', this.onEvent);
  }
}

/** GET / and /status (the page), /status/assets/* (its files), /events (live updates, Server-Sent Events). */
export const statusRoutes: FastifyPluginAsync<StatusRoutesOptions> = async (app, opts) => {
  const streams = new StreamCounts(opts.maxStreams ?? 100, opts.maxStreamsPerClient ?? 10);
  // Ends every live stream as shutdown begins, so the server can drain instead of waiting out the grace period.
  app.addHook('preClose', async () => {
    for (const res of streams.live) res.end();
  });
  pageRoutes(app);
  // Incidents come from the analysis module over the monitor's own events, as the prompts' do.
  const src: StatusSource = { monitor: opts.monitor, ...(opts.query ? { query: opts.query } : {}) };
  dataRoutes(app, src);

  app.get('/events', async (req, reply) => {
    const client = req.principal ? `${req.principal.kind}:${req.principal.subject}` : `ip:${req.ip}`;
    const refused = streams.refusal(client);
    if (refused)
      return reply
        .code(refused.status)
        .header('retry-after', '5')
        .send({ error: 'too_many_streams', message: refused.message });
    reply.hijack();
    const res = reply.raw;
    streams.add(client, res);
    const stream = new EventStream(res, opts.monitor, () => streams.remove(client, res));
    // Registered before anything is awaited, so a client gone during the first snapshot leaks nothing.
    req.raw.once('close', stream.close);
    res.once('close', stream.close);
    await stream.start(() => statusPayload(src), req.principal?.expiresAt);
  });
};
