import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrometheusSourceConfig } from '../../../src/config/fleet.js';
import { type FleetError, MAX_RESPONSE_BYTES, SourceClient } from '../../../src/fleet/http.js';

/** A loopback HTTP server whose answer each test sets; records what it was sent. */
let server: Server;
let url: string;
let handler: (req: IncomingMessage, res: ServerResponse) => void = (_q, s) => s.end('{}');
const seen: { headers: IncomingMessage['headers']; url: string; body: string }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      seen.push({ headers: req.headers, url: req.url ?? '', body });
      handler(req, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}/prefix`;
});
afterAll(
  () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
);

const client = (extra: Record<string, unknown> = {}) =>
  new SourceClient(
    'Prometheus',
    PrometheusSourceConfig.parse({ url, timeout: '500ms', breaker: { failures: 3, cooldown: '1m' }, ...extra }),
  );
const failure = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (e) {
    return e as FleetError;
  }
  throw new Error('expected a failure');
};

describe('SourceClient', () => {
  it('keeps the path prefix, sends the bearer token and PromQL as a form body', async () => {
    handler = (_q, s) => s.end('{"status":"success","data":[]}');
    const c = client({ bearerToken: 'tok-secret-123' });
    await c.request({ method: 'POST', path: 'api/v1/query', params: { query: 'up{job="a b"}', time: '1' } });
    const last = seen.at(-1)!;
    expect(last.url).toBe('/prefix/api/v1/query');
    expect(last.headers.authorization).toBe('Bearer tok-secret-123');
    expect(new URLSearchParams(last.body).get('query')).toBe('up{job="a b"}');
    c.close();
  });

  it('sends basic auth and repeated params on GET', async () => {
    handler = (_q, s) => s.end('[]');
    const c = client({ basicAuth: { username: 'u', password: 'pw-secret' } });
    await c.request({ path: 'api/v1/series', params: { 'match[]': ['a', 'b'] } });
    expect(seen.at(-1)!.url).toBe('/prefix/api/v1/series?match%5B%5D=a&match%5B%5D=b');
    expect(seen.at(-1)!.headers.authorization).toBe(`Basic ${Buffer.from('u:pw-secret').toString('base64')}`);
    c.close();
  });

  it('reports a bad query as the caller’s mistake, and never opens the breaker for it', async () => {
    handler = (_q, s) =>
      s
        .writeHead(400, { 'content-type': 'application/json' })
        .end('{"status":"error","errorType":"bad_data","error":"parse error at char 3"}');
    const c = client();
    for (let i = 0; i < 5; i++) {
      const e = await failure(c.request({ path: 'api/v1/query' }));
      expect(e.code).toBe('FLEET_BAD_QUERY');
      expect(e.message).toBe('Prometheus rejected the request (HTTP 400): parse error at char 3');
    }
    handler = (_q, s) => s.end('{"ok":true}');
    expect(await c.request({ path: 'x' })).toEqual({ ok: true });
    c.close();
  });

  it('opens the breaker after consecutive outages and then fails fast', async () => {
    handler = (_q, s) => s.writeHead(503).end('overloaded');
    const c = client();
    for (let i = 0; i < 3; i++)
      expect((await failure(c.request({ path: 'x' }))).message).toMatch(
        /^Prometheus at http:\/\/127\.0\.0\.1:\d+\/prefix answered HTTP 503: overloaded$/,
      );
    const before = seen.length;
    const e = await failure(c.request({ path: 'x' }));
    expect(e.code).toBe('FLEET_UNAVAILABLE');
    expect(e.message).toMatch(/is failing; not asked again for up to 60s \(circuit open\)/);
    expect(seen.length).toBe(before);
    c.close();
  });

  it('abandons a request that does not answer within the timeout', async () => {
    handler = () => {};
    const c = client();
    const started = Date.now();
    const e = await failure(c.request({ path: 'hang' }));
    expect(e.message).toMatch(/did not answer within 500ms/);
    expect(Date.now() - started).toBeLessThan(3000);
    c.close();
  });

  it('refuses an answer over the size bound', async () => {
    const chunk = Buffer.alloc(1 << 20, 'x');
    handler = (_q, s) => {
      let sent = 0;
      const more = () => {
        while (sent <= MAX_RESPONSE_BYTES && s.write(chunk)) sent += chunk.length;
        if (sent > MAX_RESPONSE_BYTES) s.end();
        else s.once('drain', () => ((sent += chunk.length), more()));
      };
      s.on('error', () => {});
      more();
    };
    const c = client({ timeout: '10s' });
    const e = await failure(c.request({ path: 'big' }));
    expect(e.code).toBe('FLEET_TOO_LARGE');
    expect(e.message).toBe('Prometheus answered with more than 32 MiB; narrow the query');
    c.close();
  });

  it('never repeats a credential in an error', async () => {
    handler = (_q, s) => s.writeHead(500).end('{"error":"token tok-secret-123 expired"}');
    const c = client({ bearerToken: 'tok-secret-123' });
    const e = await failure(c.request({ path: 'x' }));
    expect(e.message).toContain('token *** expired');
    expect(e.message).not.toContain('tok-secret-123');
    handler = (_q, s) => s.writeHead(401).end();
    expect((await failure(c.request({ path: 'x' }))).message).toBe('Prometheus refused our credentials (HTTP 401)');
    c.close();
  });

  it('says which source is unreachable', async () => {
    const c = new SourceClient(
      'Alertmanager',
      PrometheusSourceConfig.parse({ url: 'http://127.0.0.1:1', timeout: '1s' }),
    );
    expect((await failure(c.request({ path: 'api/v2/alerts' }))).message).toBe(
      'Alertmanager at http://127.0.0.1:1: connection refused',
    );
    c.close();
  });
});
