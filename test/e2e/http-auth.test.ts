import { createHash, randomUUID } from 'node:crypto';
import { createServer as createHttpServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { connectClient, makeToken, postMcp, startDaemon, type Daemon } from '../support/http-daemon.js';
import { newKey, signJwt, startJwks, type JwksServer, type SigningKey } from '../support/http-jwks.js';

const ISSUER = 'https://issuer.test';
const AUDIENCE = 'mcp-vitals-e2e';
const PING = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' });
const INIT = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
});

const reader = makeToken();
const refresher = makeToken();
const scraper = makeToken();
const metricsOnly = makeToken();

describe('HTTP authentication, scopes and hardening (spawned daemon)', () => {
  let daemon: Daemon;
  let jwks: JwksServer;
  let k1: SigningKey;

  beforeAll(async () => {
    k1 = await newKey('k1', 'ES256');
    jwks = await startJwks([k1]);
    daemon = await startDaemon({
      config: `
http:
  allowedOrigins: ["https://app.example.com"]
  rateLimit: { max: 100000 }
  metricsAuth:
    tokens: [{ subject: prometheus, sha256: ${scraper.sha256} }]
  auth:
    authorizationServers: ["${ISSUER}"]
    tokens:
      - { subject: reader, sha256: ${reader.sha256}, scopes: [vitals:read] }
      - { subject: refresher, sha256: ${refresher.sha256.toUpperCase()}, scopes: [vitals:read, vitals:refresh] }
      - { subject: metrics-only, sha256: ${metricsOnly.sha256}, scopes: [vitals:metrics] }
    jwt:
      jwksUrl: ${jwks.url}
      issuer: ${ISSUER}
      audience: ${AUDIENCE}
      clockSkew: 30s
      jwksCooldown: 0s
`,
    });
  });
  afterAll(async () => {
    expect(await daemon?.stop()).toBe(0);
    await jwks?.close();
  });

  const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

  it('401 without a token, with a Bearer challenge pointing at the RFC 9728 metadata', async () => {
    const r = await postMcp(daemon.url, INIT);
    expect(r.status).toBe(401);
    const challenge = r.headers.get('www-authenticate')!;
    expect(challenge).toMatch(/^Bearer realm="mcp-vitals"/);
    expect(challenge).toContain(`resource_metadata="${daemon.url}/.well-known/oauth-protected-resource"`);
    expect(challenge).toContain('scope="vitals:read"');
    expect(r.json).toMatchObject({ jsonrpc: '2.0', error: { code: -32000 }, id: null });

    const meta = await (await fetch(`${daemon.url}/.well-known/oauth-protected-resource`)).json();
    expect(meta).toEqual({
      resource: `${daemon.url}/mcp`,
      authorization_servers: [ISSUER],
      scopes_supported: ['vitals:read', 'vitals:refresh', 'vitals:admin', 'vitals:metrics'],
      bearer_methods_supported: ['header'],
      resource_name: 'mcp-vitals',
    });
  });

  it('the probes stay open; /health needs vitals:read', async () => {
    expect((await fetch(`${daemon.url}/livez`)).status).toBe(200);
    expect([200, 503]).toContain((await fetch(`${daemon.url}/readyz`)).status);
    const closed = await fetch(`${daemon.url}/health`);
    expect(closed.status).toBe(401);
    expect(closed.headers.get('www-authenticate')).toContain('resource_metadata=');
    expect(((await closed.json()) as { error: string }).error).toBe('unauthorized');
    expect([200, 503]).toContain((await fetch(`${daemon.url}/health`, { headers: bearer(reader.token) })).status);
  });

  it('a static token works with the SDK client; the token never reaches the logs', async () => {
    const { client } = await connectClient(daemon.url, reader.token);
    const { tools } = await client.listTools();
    expect(tools.length).toBeGreaterThanOrEqual(3);
    expect((await client.callTool({ name: 'health_check', arguments: {} })).isError).toBeFalsy();
    await client.close();
    for (const t of [reader, refresher, scraper, metricsOnly]) expect(daemon.stderr()).not.toContain(t.token);
  });

  it(
    'refresh needs vitals:refresh: a read-only caller gets an ' + 'isError answer, a refresher gets fresh data',
    async () => {
      const ro = await connectClient(daemon.url, reader.token);
      const denied = await ro.client.callTool({ name: 'check_dependencies', arguments: { refresh: true } });
      expect(denied.isError).toBe(true);
      expect(JSON.stringify(denied.content)).toContain('vitals:refresh');
      expect((await ro.client.callTool({ name: 'check_dependencies', arguments: {} })).isError).toBeFalsy();
      await ro.client.close();

      const rw = await connectClient(daemon.url, refresher.token);
      const ok = await rw.client.callTool({ name: 'check_dependencies', arguments: { refresh: true } });
      expect(ok.isError).toBeFalsy();
      expect((ok.structuredContent as { refreshed: boolean }).refreshed).toBe(true);
      await rw.client.close();
    },
  );

  it('403 insufficient_scope for a valid token without vitals:read', async () => {
    const r = await postMcp(daemon.url, INIT, bearer(metricsOnly.token));
    expect(r.status).toBe(403);
    expect(r.headers.get('www-authenticate')).toMatch(/error="insufficient_scope", scope="vitals:read"/);
    expect(r.json.error.code).toBe(-32000);
  });

  it('a session belongs to the principal that opened it', async () => {
    const opened = await postMcp(daemon.url, INIT, bearer(reader.token));
    const sid = opened.headers.get('mcp-session-id')!;
    const stolen = await postMcp(daemon.url, PING, {
      ...bearer(refresher.token),
      'mcp-session-id': sid,
      'mcp-protocol-version': '2025-06-18',
    });
    expect(stolen.status).toBe(404);
    const own = await postMcp(daemon.url, PING, {
      ...bearer(reader.token),
      'mcp-session-id': sid,
      'mcp-protocol-version': '2025-06-18',
    });
    expect(own.status).toBe(200);
  });

  it('401 invalid_token for unknown tokens and malformed headers', async () => {
    for (const authorization of ['Bearer not-a-known-token', 'Basic dXNlcjpwYXNz', 'Bearer', 'Bearer a.b.c']) {
      const r = await postMcp(daemon.url, INIT, { authorization });
      expect(r.status, authorization).toBe(401);
      expect(r.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
    }
  });

  it(
    'JWT: good token accepted; bad signature, expired, wrong audience, wrong issuer, future nbf, no exp ' + 'refused',
    async () => {
      const good = await signJwt(k1, {
        issuer: ISSUER,
        audience: AUDIENCE,
        subject: 'alice',
        scope: 'vitals:read openid',
      });
      const { client } = await connectClient(daemon.url, good);
      expect((await client.callTool({ name: 'health_check', arguments: {} })).isError).toBeFalsy();
      await client.close();

      const impostor = { ...(await newKey('k1', 'ES256')) };
      const cases: [string, string, RegExp][] = [
        [
          'bad signature',
          await signJwt(impostor, { issuer: ISSUER, audience: AUDIENCE, subject: 'alice', scope: 'vitals:read' }),
          /signature/,
        ],
        [
          'expired',
          await signJwt(k1, {
            issuer: ISSUER,
            audience: AUDIENCE,
            subject: 'alice',
            scope: 'vitals:read',
            expiresIn: -120,
          }),
          /expired/,
        ],
        [
          'wrong audience',
          await signJwt(k1, { issuer: ISSUER, audience: 'some-other-api', subject: 'alice', scope: 'vitals:read' }),
          /audience/,
        ],
        [
          'wrong issuer',
          await signJwt(k1, {
            issuer: 'https://evil.test',
            audience: AUDIENCE,
            subject: 'alice',
            scope: 'vitals:read',
          }),
          /issuer/,
        ],
        [
          'nbf beyond skew',
          await signJwt(k1, {
            issuer: ISSUER,
            audience: AUDIENCE,
            subject: 'alice',
            scope: 'vitals:read',
            notBefore: 600,
          }),
          /not yet valid/,
        ],
      ];
      for (const [name, token, reason] of cases) {
        const r = await postMcp(daemon.url, INIT, bearer(token));
        expect(r.status, name).toBe(401);
        expect(r.headers.get('www-authenticate'), name).toMatch(reason);
      }
      // Inside the 30 s skew a slightly early nbf and a just-expired exp still pass.
      for (const o of [{ notBefore: 10 }, { expiresIn: -10 }]) {
        const t = await signJwt(k1, {
          issuer: ISSUER,
          audience: AUDIENCE,
          subject: 'alice',
          scope: 'vitals:read',
          ...o,
        });
        expect((await postMcp(daemon.url, INIT, bearer(t))).status, JSON.stringify(o)).toBe(200);
      }
      const noRead = await signJwt(k1, { issuer: ISSUER, audience: AUDIENCE, subject: 'bob', scope: 'openid' });
      expect((await postMcp(daemon.url, INIT, bearer(noRead))).status).toBe(403);
      for (const t of [good, noRead]) expect(daemon.stderr()).not.toContain(t);
    },
  );

  it(
    'JWKS rotation: a token with a new kid makes the daemon fetch the key set again; the retired key stops ' +
      'working',
    async () => {
      const before = jwks.fetches;
      const k2 = await newKey('k2', 'ES256');
      jwks.keys = [k2];
      const fresh = await signJwt(k2, { issuer: ISSUER, audience: AUDIENCE, subject: 'carol', scope: 'vitals:read' });
      expect((await postMcp(daemon.url, INIT, bearer(fresh))).status).toBe(200);
      expect(jwks.fetches).toBeGreaterThan(before);
      const retired = await signJwt(k1, { issuer: ISSUER, audience: AUDIENCE, subject: 'carol', scope: 'vitals:read' });
      const r = await postMcp(daemon.url, INIT, bearer(retired));
      expect(r.status).toBe(401);
      expect(r.headers.get('www-authenticate')).toMatch(/unknown key/);
    },
  );

  it('/metrics takes its own token (and a vitals:read one); never open when auth is configured', async () => {
    const open = await fetch(`${daemon.url}/metrics`);
    expect(open.status).toBe(401);
    expect((await fetch(`${daemon.url}/metrics`, { headers: bearer(scraper.token) })).status).toBe(200);
    expect((await fetch(`${daemon.url}/metrics`, { headers: bearer(reader.token) })).status).toBe(200);
    // The scrape token opens nothing else.
    expect((await postMcp(daemon.url, INIT, bearer(scraper.token))).status).toBe(403);
  });

  it('bad Origin 403 (JSON-RPC on /mcp); allowed origins get CORS and a preflight', async () => {
    const bad = await postMcp(daemon.url, INIT, { ...bearer(reader.token), origin: 'https://evil.example' });
    expect(bad.status).toBe(403);
    expect(bad.json).toMatchObject({
      jsonrpc: '2.0',
      error: { code: -32000, message: expect.stringMatching(/Origin/) },
      id: null,
    });
    expect((await postMcp(daemon.url, INIT, { ...bearer(reader.token), origin: 'null' })).status).toBe(403);

    const good = await postMcp(daemon.url, INIT, { ...bearer(reader.token), origin: 'https://app.example.com' });
    expect(good.status).toBe(200);
    expect(good.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(good.headers.get('access-control-expose-headers')).toMatch(/Mcp-Session-Id/);
    expect((await postMcp(daemon.url, INIT, { ...bearer(reader.token), origin: 'http://localhost:5173' })).status).toBe(
      200,
    );

    const pre = await fetch(`${daemon.url}/mcp`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://app.example.com',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type',
      },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-headers')).toMatch(/Authorization/);
  });

  it('a Host that is not ours is refused (DNS rebinding); IP literals and localhost pass', async () => {
    const http = await import('node:http');
    const get = (host: string) =>
      new Promise<number>((resolve, reject) => {
        http
          .get(
            { host: '127.0.0.1', port: daemon.port, path: '/.well-known/oauth-protected-resource', headers: { host } },
            (res) => {
              res.resume();
              resolve(res.statusCode!);
            },
          )
          .on('error', reject);
      });
    expect(await get('attacker.example:80')).toBe(403);
    expect(await get(`localhost:${daemon.port}`)).toBe(200);
    expect(await get(`10.1.2.3:${daemon.port}`)).toBe(200);
    // The probes answer whatever the Host (kubelet sends the pod IP; some proxies a service name).
    expect(
      await new Promise<number>((r) =>
        http.get(
          { host: '127.0.0.1', port: daemon.port, path: '/livez', headers: { host: 'attacker.example' } },
          (res) => (res.resume(), r(res.statusCode!)),
        ),
      ),
    ).toBe(200);
  });

  it('a 2 MiB body is refused with 413 and a JSON-RPC error', async () => {
    const big = JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'ping', params: { pad: 'x'.repeat(2 * 1024 * 1024) } });
    const r = await postMcp(daemon.url, big, bearer(reader.token));
    expect(r.status).toBe(413);
    expect(r.json).toMatchObject({ jsonrpc: '2.0', error: { code: -32000, message: expect.stringMatching(/1 MiB/) } });
  });

  it('malformed JSON is -32700; valid JSON that is not JSON-RPC is -32600; wrong content type 415', async () => {
    const parse = await postMcp(daemon.url, '{"jsonrpc": "2.0", "id": 1, "method": ', bearer(reader.token));
    expect(parse.status).toBe(400);
    expect(parse.json).toEqual({ jsonrpc: '2.0', error: { code: -32700, message: expect.any(String) }, id: null });
    for (const body of ['{"id": 5, "method": 7}', '[]', '42', '{"jsonrpc":"1.0","id":5,"method":"ping"}']) {
      const r = await postMcp(daemon.url, body, bearer(reader.token));
      expect(r.status, body).toBe(400);
      expect(r.json.error.code, body).toBe(-32600);
    }
    expect((await postMcp(daemon.url, '{"jsonrpc":"2.0","id":"abc","method":7}', bearer(reader.token))).json.id).toBe(
      'abc',
    );
    const text = await postMcp(daemon.url, PING, { ...bearer(reader.token), 'content-type': 'text/plain' });
    expect(text.status).toBe(415);
    expect(text.json.error.code).toBe(-32000);
  });
});

describe('vitals token new', () => {
  it('prints a random token and a config entry holding only its hash', async () => {
    const { code, stdout } = await runCli(['token', 'new', 'ci-bot']);
    expect(code).toBe(0);
    const token = /^ {2}([A-Za-z0-9_-]{43})$/m.exec(stdout)![1]!;
    const hash = /sha256: ([0-9a-f]{64})/.exec(stdout)![1];
    expect(hash).toBe(createHash('sha256').update(token).digest('hex'));
    expect(stdout).toContain('subject: ci-bot');
    const again = await runCli(['token', 'new']);
    expect(again.stdout).not.toContain(token);
  });
});

describe('rate limit shared by two daemons through the same Redis', () => {
  const token = makeToken();
  let a: Daemon;
  let b: Daemon;

  beforeAll(async () => {
    // A key prefix of this run's own, so parallel runs never share a budget; keys expire with the window.
    const config = `
http:
  stateless: true
  auth:
    tokens: [{ subject: shared, sha256: ${token.sha256}, scopes: [vitals:read] }]
  rateLimit: { max: 6, window: 1m, redis: "redis://127.0.0.1:6379", keyPrefix: "vitals-test:${randomUUID()}:" }
`;
    [a, b] = await Promise.all([startDaemon({ config }), startDaemon({ config })]);
  });
  afterAll(async () => {
    expect(await Promise.all([a?.stop(), b?.stop()])).toEqual([0, 0]);
  });

  it(
    'six requests spread over both pass, the seventh gets 429 with Retry-After and an MCP-shaped error, on ' + 'either',
    async () => {
      const headers = { authorization: `Bearer ${token.token}` };
      const remaining: number[] = [];
      for (let i = 0; i < 6; i++) {
        const r = await postMcp(i % 2 ? b.url : a.url, PING, headers);
        expect(r.status, `request ${i + 1}`).toBe(200);
        remaining.push(Number(r.headers.get('x-ratelimit-remaining')));
      }
      // One budget: what one daemon spends, the other sees gone.
      expect(remaining).toEqual([5, 4, 3, 2, 1, 0]);
      for (const d of [a, b]) {
        const r = await postMcp(d.url, PING, headers);
        expect(r.status).toBe(429);
        expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
        expect(r.json).toMatchObject({
          jsonrpc: '2.0',
          error: { code: -32000, message: expect.stringMatching(/rate limit/i) },
          id: null,
        });
      }
      // The probes are never limited.
      expect((await fetch(`${a.url}/livez`)).status).toBe(200);
    },
  );
});

describe('graceful shutdown', () => {
  let slow: Server;
  let slowPort: number;
  let served = 0;
  let onSlowRequest: (() => void) | undefined;

  beforeAll(async () => {
    // An HTTP dependency that answers after 3 s: a refresh of it is a slow in-flight tool call.
    slow = createHttpServer((_req, res) => {
      onSlowRequest?.();
      setTimeout(() => {
        served++;
        res.end('ok');
      }, 3000);
    });
    await new Promise<void>((r) => slow.listen(0, '127.0.0.1', r));
    slowPort = (slow.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((r) => slow.close(() => r())));

  it('SIGTERM during a slow call: new connections are refused, the call still completes, exit 0', async () => {
    const daemon = await startDaemon({
      config: `
refreshMinInterval: 100ms
checks:
  - { name: slow-api, kind: http, url: "http://127.0.0.1:${slowPort}/", timeout: 20s, every: 1h }
`,
    });
    const { client } = await connectClient(daemon.url);
    // Wait out the first scheduled run, so the next request the slow server sees is our refresh.
    while (served < 1) await new Promise((r) => setTimeout(r, 100));
    const arrived = new Promise<void>((r) => (onSlowRequest = r));
    const call = client.callTool({ name: 'check_dependencies', arguments: { refresh: true } }, undefined, {
      timeout: 30_000,
    });
    await arrived;
    daemon.child.kill('SIGTERM');

    let refused = false;
    for (let i = 0; i < 50 && !refused; i++) {
      refused = await new Promise<boolean>((resolve) => {
        const s = connect(daemon.port, '127.0.0.1');
        s.once('connect', () => (s.destroy(), resolve(false)));
        s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ECONNREFUSED'));
      });
      if (!refused) await new Promise((r) => setTimeout(r, 50));
    }
    expect(refused).toBe(true);

    const result = await call;
    expect(result.isError).toBeFalsy();
    const data = result.structuredContent as { refreshed: boolean; checks: { name: string; status: string }[] };
    expect(data.refreshed).toBe(true);
    expect(data.checks[0]).toMatchObject({ name: 'slow-api' });
    expect(await daemon.exited).toBe(0);
    expect(daemon.stderr()).toMatch(/"msg":"mcp-vitals stopped"/);
    await client.close().catch(() => undefined);
  });
});
