import { createServer, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CheckConfig } from '../../../src/config/checks.js';
import { create, jsonPath, nextHop, statusMatches } from '../../../src/probes/deps/http.js';
import { FaultProxy } from '../../support/fault-proxy.js';
import { expectFailedWithin, expectFailsThenRecovers, makeCheck, timedRun, type Harness } from './helpers.js';
import { listen, selfSigned, type LocalServer } from './servers.js';

const TIMEOUT = 1500;

/** The test's own HTTP server: every behaviour a check has to judge, one path each. */
let app: LocalServer;
/** A second origin (another port), to see what a cross-origin redirect carries. */
let other: LocalServer;

beforeAll(async () => {
  other = await listen((req, _body, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ method: req.method, authorization: req.headers.authorization ?? null }));
  });
  app = await listen((req, body, res) => {
    const u = new URL(req.url!, 'http://x');
    const [, route, arg] = u.pathname.split('/');
    switch (route) {
      case 'ok':
        res.end('hello world');
        return;
      case 'status':
        res.statusCode = Number(arg);
        res.end();
        return;
      case 'slow':
        setTimeout(() => res.end('late'), Number(u.searchParams.get('ms')));
        return;
      case 'json':
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ status: 'ok', checks: [{ name: 'db', up: true }], count: 3, none: null }));
        return;
      case 'redirect': {
        const n = Number(arg);
        if (n === 0) return void res.end('landed');
        res.statusCode = 302;
        res.setHeader('location', `/redirect/${n - 1}`);
        res.end();
        return;
      }
      case 'see-other':
        res.statusCode = 303;
        res.setHeader('location', '/echo');
        res.end();
        return;
      case 'cross':
        res.statusCode = 307;
        res.setHeader('location', `http://127.0.0.1:${other.port}/echo`);
        res.end();
        return;
      case 'echo':
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ method: req.method, body, authorization: req.headers.authorization ?? null }));
        return;
      default:
        res.statusCode = 404;
        res.end('not found');
    }
  });
});
afterAll(async () => {
  await app?.close();
  await other?.close();
});

const open: Harness[] = [];
const cleanups: (() => Promise<void>)[] = [];
async function check(raw: Record<string, unknown>): Promise<Harness> {
  const h = await makeCheck({ kind: 'http', timeout: TIMEOUT, ...raw });
  open.push(h);
  return h;
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((h) => h.check.close()));
  await Promise.all(cleanups.splice(0).map((c) => c()));
});
const at = (path: string, port = app.port) => `http://127.0.0.1:${port}${path}`;
const one = async (raw: Record<string, unknown>) => timedRun((await check(raw)).check);

describe('http conditions (pure)', () => {
  it('status specs: exact, class, range', () => {
    expect(statusMatches(204, ['2xx'])).toBe(true);
    expect(statusMatches(301, ['2xx'])).toBe(false);
    expect(statusMatches(404, [404])).toBe(true);
    expect(statusMatches(299, ['200-299'])).toBe(true);
    expect(statusMatches(300, ['200-299'])).toBe(false);
    expect(statusMatches(503, ['200', '5xx'])).toBe(true);
  });
  it('JSON path: dotted, indexed, missing', () => {
    const doc = { a: { b: [{ c: 1 }, { c: 2 }] } };
    expect(jsonPath(doc, '$.a.b[1].c')).toEqual({ found: true, value: 2 });
    expect(jsonPath(doc, 'a.b[0]')).toEqual({ found: true, value: { c: 1 } });
    expect(jsonPath(doc, '$.a.x')).toEqual({ found: false });
    expect(jsonPath(doc, '$.a.b[5].c')).toEqual({ found: false });
  });
  it(
    'a redirect to another origin drops every configured header unless told to forward it; 303 and POST+302 ' +
      'become GET',
    () => {
      const hop = {
        method: 'POST',
        headers: { Authorization: 'Bearer t', Cookie: 'c=1', 'X-Api-Key': 'k', 'X-Trace': '1' },
        body: '{}',
      };
      const a = new URL('http://a.test/x');
      expect(nextHop(hop, 307, a, new URL('http://a.test/y'))).toEqual(hop);
      expect(nextHop(hop, 307, a, new URL('http://b.test/y'))).toEqual({ ...hop, headers: {} });
      expect(nextHop(hop, 307, a, new URL('http://a.test:8080/y')).headers).toEqual({});
      expect(nextHop(hop, 307, a, new URL('http://b.test/y'), ['x-trace']).headers).toEqual({ 'X-Trace': '1' });
      expect(nextHop(hop, 307, a, new URL('http://b.test/y'), true).headers).toEqual(hop.headers);
      expect(nextHop(hop, 303, a, new URL('http://a.test/y'))).toEqual({
        method: 'GET',
        headers: hop.headers,
        body: undefined,
      });
      expect(nextHop(hop, 302, a, new URL('http://a.test/y')).method).toBe('GET');
      expect(nextHop({ ...hop, method: 'PUT' }, 302, a, new URL('http://a.test/y')).method).toBe('PUT');
    },
  );
});

describe('http check against a local server', () => {
  it('2xx passes with status, size and phase timings in order', async () => {
    const r = await one({ url: at('/ok') });
    expect(r.outcome.status).toBe('pass');
    const v = r.outcome.instances[0]!.values;
    expect(v.statusCode).toBe(200);
    expect(v.contentLengthBytes).toBe('hello world'.length);
    expect(v.redirects).toBe(0);
    expect(v.connectSeconds).toBeGreaterThan(0);
    expect(v.firstByteSeconds).toBeGreaterThanOrEqual(v.connectSeconds!);
    expect(v.responseTimeSeconds).toBeGreaterThanOrEqual(v.firstByteSeconds!);
    // An IP address needs no lookup, and plain HTTP no handshake.
    expect(v.dnsSeconds).toBeUndefined();
    expect(v.tlsSeconds).toBeUndefined();
  });

  it('a host name adds a DNS phase before connect', async () => {
    const r = await one({ url: `http://localhost:${app.port}/ok` });
    expect(r.outcome.status).toBe('pass');
    const v = r.outcome.instances[0]!.values;
    expect(v.dnsSeconds).toBeGreaterThan(0);
    expect(v.connectSeconds).toBeGreaterThanOrEqual(v.dnsSeconds!);
  });

  it('status codes: 500 fails by default, an expected 404 passes, a range and a class match', async () => {
    const r500 = await one({ url: at('/status/500') });
    expectFailedWithin(r500, TIMEOUT, /^status 500, expected 2xx$/);
    expect(r500.outcome.instances[0]!.values.statusCode).toBe(500);
    expect((await one({ url: at('/status/404'), expectStatus: [404] })).outcome.status).toBe('pass');
    expect((await one({ url: at('/status/204'), expectStatus: ['200-299'] })).outcome.status).toBe('pass');
    expect((await one({ url: at('/status/503'), expectStatus: ['5xx'] })).outcome.status).toBe('pass');
    expect((await one({ url: at('/status/404'), expectStatus: ['2xx', 401] })).outcome.error).toBe(
      'status 404, expected 2xx, 401',
    );
  });

  it('method, headers and body are sent as configured', async () => {
    const r = await one({
      url: at('/echo'),
      method: 'POST',
      headers: { Authorization: 'Bearer sekrit-token' },
      body: '{"q":1}',
      json: { path: '$.method', equals: 'POST' },
    });
    expect(r.outcome.status).toBe('pass');
    const req = app.seen.at(-1)!;
    expect(req).toMatchObject({ method: 'POST', body: '{"q":1}' });
    expect(req.headers.authorization).toBe('Bearer sekrit-token');
    expect(req.headers['user-agent']).toBe('mcp-vitals');
  });

  it('slow response: fails at the timeout; under it, a maxResponseTime overrun is a warning', async () => {
    const slow = await one({ url: at('/slow?ms=5000') });
    expectFailedWithin(slow, TIMEOUT, new RegExp(`^timed out after ${TIMEOUT}ms$`));
    expect(slow.ms).toBeGreaterThanOrEqual(TIMEOUT * 0.95);
    const r = await one({ url: at('/slow?ms=150'), maxResponseTime: '50ms' });
    expect(r.outcome.status).toBe('warn');
    expect(r.outcome.warnings[0]).toMatch(/^response time \d+ms above 50ms$/);
    expect(r.outcome.instances[0]!.values.responseTimeSeconds).toBeGreaterThanOrEqual(0.15);
  });

  it('bodyContains', async () => {
    expect((await one({ url: at('/ok'), bodyContains: 'hello' })).outcome.status).toBe('pass');
    expect((await one({ url: at('/ok'), bodyContains: 'goodbye' })).outcome.error).toBe(
      'body does not contain the expected text',
    );
  });

  it('JSON path conditions: equals, exists, exists:false, null, not JSON', async () => {
    const pass = async (json: object) => (await one({ url: at('/json'), json })).outcome;
    expect((await pass({ path: '$.status', equals: 'ok' })).status).toBe('pass');
    expect((await pass({ path: '$.checks[0].up', equals: true })).status).toBe('pass');
    expect((await pass({ path: '$.count', equals: 3 })).status).toBe('pass');
    expect((await pass({ path: '$.none', equals: null })).status).toBe('pass');
    expect((await pass({ path: '$.checks[0].name' })).status).toBe('pass');
    expect((await pass({ path: '$.status', equals: 'down' })).error).toBe(
      'JSON path $.status is "ok", expected "down"',
    );
    expect((await pass({ path: '$.count', equals: '3' })).error).toBe('JSON path $.count is 3, expected "3"');
    expect((await pass({ path: '$.missing' })).error).toBe('JSON path $.missing not found');
    expect((await pass({ path: '$.status', exists: false })).error).toBe('JSON path $.status exists');
    expect((await pass({ path: '$.missing', exists: false })).status).toBe('pass');
    expect((await one({ url: at('/ok'), json: { path: '$.a' } })).outcome.error).toBe('body is not JSON');
  });

  it('redirects are followed up to the limit, and counted', async () => {
    const r = await one({ url: at('/redirect/3') });
    expect(r.outcome.status).toBe('pass');
    expect(r.outcome.instances[0]!.values.redirects).toBe(3);
    expect((await one({ url: at('/redirect/3'), maxRedirects: 2 })).outcome.error).toBe('more than 2 redirects');
    expect((await one({ url: at('/redirect/1'), maxRedirects: 0 })).outcome.error).toBe('more than 0 redirects');
    // A redirect that is itself the expected answer is not followed.
    const kept = await one({ url: at('/redirect/1'), expectStatus: [302] });
    expect(kept.outcome.status).toBe('pass');
    expect(kept.outcome.instances[0]!.values.redirects).toBe(0);
  });

  it('303 after POST is followed with GET; a cross-origin redirect does not carry Authorization', async () => {
    const r = await one({
      url: at('/see-other'),
      method: 'POST',
      body: 'x',
      json: { path: '$.method', equals: 'GET' },
    });
    expect(r.outcome.status).toBe('pass');
    const cross = await one({
      url: at('/cross'),
      headers: { Authorization: 'Bearer sekrit-token' },
      json: { path: '$.authorization', equals: null },
    });
    expect(cross.outcome.status, cross.outcome.error).toBe('pass');
    expect(other.seen.at(-1)!.headers.authorization).toBeUndefined();
  });

  it('the reported target never carries the query string or user info', async () => {
    const h = await check({ url: `http://user:pw-in-url@127.0.0.1:${app.port}/ok?token=tok-in-query` });
    const r = await timedRun(h.check);
    expect(r.state.instances![0]!.target).toBe(`http://127.0.0.1:${app.port}/ok`);
    expect(JSON.stringify(r.state)).not.toMatch(/pw-in-url|tok-in-query/);
  });
});

describe('https check with a self-signed certificate near expiry (openssl)', () => {
  async function tlsServer(days: number) {
    const cert = selfSigned(days);
    const s = await listen((_req, _body, res) => res.end('secure'), cert);
    cleanups.push(() => s.close());
    return { cert, url: `https://localhost:${s.port}/` };
  }

  it('3 days left: fails under the defaults (warn 14, fail 7), with the expiry as the server presents it', async () => {
    const { cert, url } = await tlsServer(3);
    const r = await one({ url, tls: { ca: cert.cert } });
    expectFailedWithin(r, TIMEOUT, /^TLS certificate expires in (2\.9|3\.0) days$/);
    const v = r.outcome.instances[0]!.values;
    expect(v.certExpiryTimestampSeconds).toBe(cert.notAfter);
    expect(v.certDaysLeft).toBeGreaterThan(2.9);
    expect(v.certDaysLeft).toBeLessThanOrEqual(3);
    expect(v.tlsSeconds).toBeGreaterThanOrEqual(v.connectSeconds!);
    expect(v.firstByteSeconds).toBeGreaterThanOrEqual(v.tlsSeconds!);
  });

  it('10 days left: warns; custom thresholds move the verdict', async () => {
    const { cert, url } = await tlsServer(10);
    const warn = await one({ url, tls: { ca: cert.certPath } });
    expect(warn.outcome.status).toBe('warn');
    expect(warn.outcome.warnings).toEqual([expect.stringMatching(/^TLS certificate expires in (9\.9|10\.0) days$/)]);
    expect((await one({ url, tls: { ca: cert.cert, certWarnDays: 5, certFailDays: 2 } })).outcome.status).toBe('pass');
    expect((await one({ url, tls: { ca: cert.cert, certWarnDays: 30, certFailDays: 20 } })).outcome.status).toBe(
      'fail',
    );
  });

  it(
    'an untrusted certificate fails unless verification is skipped; a missing CA file is a reason, not ' + 'a crash',
    async () => {
      const { url } = await tlsServer(30);
      expect((await one({ url })).outcome.error).toBe('TLS certificate is self-signed');
      const skipped = await one({ url, tls: { insecureSkipVerify: true } });
      expect(skipped.outcome.status).toBe('pass');
      expect(skipped.outcome.instances[0]!.values.certDaysLeft).toBeGreaterThan(29);
      expect((await one({ url, tls: { ca: '/nonexistent/ca.pem' } })).outcome.error).toBe(
        'cannot read tls.ca (ENOENT)',
      );
    },
  );
});

describe('http check through the fault proxy', () => {
  async function proxied(raw: Record<string, unknown> = {}) {
    const p = await FaultProxy.start({ host: '127.0.0.1', port: app.port });
    cleanups.push(() => p.close());
    const h = await check({ url: at('/ok', p.port), ...raw });
    return { p, h };
  }

  it('refused', async () => {
    const { p, h } = await proxied();
    await p.refuse();
    expectFailedWithin(await timedRun(h.check), TIMEOUT, /^connection refused$/);
  });

  it('black-holed: fails at the timeout', async () => {
    const { p, h } = await proxied();
    await p.blackhole();
    const r = await timedRun(h.check);
    expectFailedWithin(r, TIMEOUT, /timed out/);
    expect(r.ms).toBeGreaterThanOrEqual(TIMEOUT * 0.95);
  });

  it('delayed: beyond the timeout fails, below it passes with the delay in first byte', async () => {
    const { p, h } = await proxied();
    await p.delay(TIMEOUT * 2);
    expectFailedWithin(await timedRun(h.check), TIMEOUT, /timed out/);
    await p.delay(100);
    const r = await timedRun(h.check);
    expect(r.outcome.status, r.outcome.error).toBe('pass');
    expect(r.outcome.instances[0]!.values.firstByteSeconds).toBeGreaterThanOrEqual(0.2);
  });

  it('reset mid-response', async () => {
    const { p, h } = await proxied();
    expectFailedWithin((await p.reset(), await timedRun(h.check)), TIMEOUT, /^connection reset by peer$/);
    expect(p.resets).toBe(1);
  });

  for (const fault of ['refuse', 'blackhole', 'reset'] as const) {
    it(`recovers by itself after ${fault}`, async () => {
      const { p, h } = await proxied({ failureThreshold: 2, successThreshold: 2 });
      expect((await timedRun(h.check)).state.status).toBe('pass');
      await expectFailsThenRecovers(
        h,
        () => p[fault](),
        () => p.restore(),
        { failure: 2, success: 2 },
      );
    });
  }
});

describe('http probe runs', () => {
  /** A raw TCP server: what arrives on each connection, and whether the client closed it. */
  async function rawServer(answer: string) {
    const conns: { bytes: string; ended: boolean }[] = [];
    const server = createServer((s: Socket) => {
      const conn = { bytes: '', ended: false };
      conns.push(conn);
      s.on('data', (d) => {
        conn.bytes += d.toString('latin1');
        if (conn.bytes.includes('\r\n\r\n')) s.write(answer);
      });
      s.on('end', () => {
        conn.ended = true;
        s.end();
      });
      s.on('error', () => {});
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => server.close(() => r())));
    return { port: (server.address() as { port: number }).port, conns };
  }
  const probeOf = (raw: Record<string, unknown>) =>
    create(CheckConfig.parse({ name: 'dep', kind: 'http', timeout: TIMEOUT, ...raw }) as never);

  it('each run sends the same request on a connection of its own, and closes it', async () => {
    const srv = await rawServer('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
    const probe = probeOf({
      url: `http://user:p%40ss@127.0.0.1:${srv.port}/ok?x=1`,
      headers: { 'X-Trace': '1' },
    });
    const runs = [await probe.run(new AbortController().signal), await probe.run(new AbortController().signal)];
    expect(runs.map((r) => [r.ok, r.values.statusCode, r.values.contentLengthBytes])).toEqual([
      [true, 200, 2],
      [true, 200, 2],
    ]);
    await expect.poll(() => srv.conns.map((c) => c.ended)).toEqual([true, true]);
    const request =
      'GET /ok?x=1 HTTP/1.1\r\nuser-agent: mcp-vitals\r\nX-Trace: 1\r\n' +
      `Host: 127.0.0.1:${srv.port}\r\nAuthorization: Basic ${Buffer.from('user:p@ss').toString('base64')}\r\n` +
      'Connection: close\r\n\r\n';
    expect(srv.conns.map((c) => c.bytes)).toEqual([request, request]);
  });

  it('a POST with a body sends it after the same headers', async () => {
    const srv = await rawServer('HTTP/1.1 204 No Content\r\n\r\n');
    const probe = probeOf({ url: `http://127.0.0.1:${srv.port}/in`, method: 'POST', body: '{"q":1}' });
    expect((await probe.run(new AbortController().signal)).values.statusCode).toBe(204);
    await expect.poll(() => srv.conns[0]?.ended).toBe(true);
    expect(srv.conns[0]!.bytes).toBe(
      `POST /in HTTP/1.1\r\nuser-agent: mcp-vitals\r\nHost: 127.0.0.1:${srv.port}\r\nConnection: close\r\n` +
        'Transfer-Encoding: chunked\r\n\r\n7\r\n{"q":1}\r\n0\r\n\r\n',
    );
  });

  it('a run told of its abort by signal or by hook ends at once with the same answer, and lets go', async () => {
    const srv = await rawServer('');
    const probe = probeOf({ url: `http://127.0.0.1:${srv.port}/never` });
    const bySignal = probe.run(AbortSignal.timeout(100));
    let abort: (() => void) | undefined;
    const byHook = probe.runWithHook!({ aborted: false, onAbort: (l) => (abort = l) });
    setTimeout(() => abort?.(), 100);
    const t0 = performance.now();
    const answers = await Promise.all([bySignal, byHook]);
    expect(performance.now() - t0).toBeLessThan(1000);
    for (const a of answers) {
      expect(a).toMatchObject({ ok: false, error: 'timed out' });
      expect(Object.keys(a.values)).toEqual(['responseTimeSeconds']);
    }
    // Both connections are given up, not left to the server.
    await expect.poll(() => srv.conns.map((c) => c.ended)).toEqual([true, true]);
    // Already abandoned before it started: no connection is made.
    const late = await probe.runWithHook!({ aborted: true, onAbort: (l) => l() });
    expect(late).toMatchObject({ ok: false, error: 'timed out' });
    expect(srv.conns).toHaveLength(2);
  });

  it('abandoned mid-response, the run ends at once as timed out', async () => {
    const srv = await rawServer('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial');
    const probe = probeOf({ url: `http://127.0.0.1:${srv.port}/half` });
    let abort: (() => void) | undefined;
    const run = probe.runWithHook!({ aborted: false, onAbort: (l) => (abort = l) });
    await expect.poll(() => srv.conns[0]?.bytes.length ?? 0).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 50));
    abort!();
    expect(await run).toMatchObject({ ok: false, error: 'timed out' });
  });
});
