import { McpServer } from '@modelcontextprotocol/server';
import type { FastifyPluginAsync } from 'fastify';
import { request as httpRequest } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { HttpConfig } from '../../../src/config/schema.js';
import { sha256Hex } from '../../../src/http/auth.js';
import { McpHttp } from '../../../src/http/mcp-sessions.js';
import { mcpRoutes, scopesFromExtra } from '../../../src/http/routes/mcp.js';
import { httpMetricsPlugin, metricsRoutes, metricsShortcut } from '../../../src/http/routes/metrics.js';
import { spacedScrapes, startHttpServer, type HttpServer } from '../../../src/http/server.js';
import { createLogger } from '../../../src/shared/logger.js';

const log = createLogger({ level: 'silent' });
const MCP = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
const CALL = (name: string) =>
  JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: {} } });

let server: HttpServer | undefined;
afterEach(async () => {
  await server?.close(100);
  server = undefined;
});

/** A tiny MCP server: `whoami` answers the caller's scopes (as the real tools see them); `slow` takes a while. */
function testMcp(stateless: boolean, slowMs = 300) {
  let release: (() => void) | undefined;
  const mcp = new McpHttp({
    createServer: () => {
      const s = new McpServer({ name: 't', version: '1' });
      s.registerTool('whoami', { inputSchema: z.object({}) }, async (_a, extra) => ({
        content: [{ type: 'text' as const, text: JSON.stringify([...(scopesFromExtra(extra) ?? ['(unrestricted)'])]) }],
      }));
      s.registerTool('slow', { inputSchema: z.object({ n: z.number().optional() }) }, async () => {
        await new Promise<void>((r) => {
          release = r;
          setTimeout(r, slowMs);
        });
        return { content: [{ type: 'text' as const, text: 'done' }] };
      });
      return s;
    },
    stateless,
    maxSessions: 10,
    idleTimeoutMs: 60_000,
    log,
  });
  return { mcp, release: () => release?.() };
}

async function start(
  doc: Record<string, unknown>,
  plugins: [FastifyPluginAsync<any>, Record<string, unknown>][],
  mcp?: McpHttp,
): Promise<string> {
  server = await startHttpServer({
    config: HttpConfig.parse({ listen: '127.0.0.1:0', ...doc }),
    log,
    insecure: false,
    plugins,
    ...(mcp ? { drain: (d: number) => mcp.shutdown(d) } : {}),
  });
  return `http://127.0.0.1:${server.address.port}`;
}

const sseJson = async (r: Response) => {
  const text = await r.text();
  return JSON.parse(/^data: (.*)$/m.exec(text)?.[1] ?? text);
};

describe('HTTP server wiring', () => {
  it('refuses a non-loopback bind without auth', async () => {
    await expect(
      startHttpServer({ config: HttpConfig.parse({ listen: '0.0.0.0:0' }), log, insecure: false, plugins: [] }),
    ).rejects.toMatchObject({ code: 'UNSAFE_BIND' });
  });

  it("passes the caller's scopes to tools through authInfo; unrestricted when no auth is configured", async () => {
    const { mcp } = testMcp(true);
    const base = await start(
      { stateless: true, auth: { tokens: [{ subject: 'ops', sha256: sha256Hex('t-ops'), scopes: ['vitals:admin'] }] } },
      [[mcpRoutes, { mcp }]],
      mcp,
    );
    const r = await fetch(`${base}/mcp`, {
      method: 'POST',
      headers: { ...MCP, authorization: 'Bearer t-ops' },
      body: CALL('whoami'),
    });
    expect(JSON.parse((await sseJson(r)).result.content[0].text).sort()).toEqual([
      'vitals:admin',
      'vitals:metrics',
      'vitals:read',
      'vitals:refresh',
    ]);
    await server!.close(100);

    const open = testMcp(true);
    const base2 = await start({ stateless: true }, [[mcpRoutes, { mcp: open.mcp }]], open.mcp);
    const r2 = await fetch(`${base2}/mcp`, { method: 'POST', headers: MCP, body: CALL('whoami') });
    expect(JSON.parse((await sseJson(r2)).result.content[0].text)).toEqual(['(unrestricted)']);
  });

  it("rate-limits per principal, after authentication: one caller's budget is not another's", async () => {
    const ping: FastifyPluginAsync = async (app) => void app.get('/ping', async () => 'pong');
    const base = await start(
      {
        rateLimit: { max: 2, window: '1m' },
        auth: {
          tokens: [
            { subject: 'a', sha256: sha256Hex('t-a') },
            { subject: 'b', sha256: sha256Hex('t-b') },
          ],
        },
      },
      [[ping, {}]],
    );
    const get = (t?: string) => fetch(`${base}/ping`, { headers: t ? { authorization: `Bearer ${t}` } : {} });
    expect((await get('t-a')).status).toBe(200);
    expect((await get('t-a')).status).toBe(200);
    const limited = await get('t-a');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(await limited.json()).toMatchObject({ error: 'rate_limited', message: expect.stringMatching(/rate limit/) });
    expect((await get('t-b')).status).toBe(200);
    // Refused before the limiter: unauthenticated requests spend nobody's budget.
    expect((await get()).status).toBe(401);
    expect((await get('t-b')).status).toBe(200);
  });

  it('on close: in-flight calls finish, then sessions close; work past the grace period is cut', async () => {
    const { mcp } = testMcp(false, 400);
    const base = await start({}, [[mcpRoutes, { mcp }]], mcp);
    const init = await fetch(`${base}/mcp`, {
      method: 'POST',
      headers: MCP,
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 0,
        method: 'initialize',
        params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'c', version: '1' } },
      }),
    });
    const sid = init.headers.get('mcp-session-id')!;
    await init.text();
    expect(mcp.sessionCount).toBe(1);
    const call = fetch(`${base}/mcp`, {
      method: 'POST',
      headers: { ...MCP, 'mcp-session-id': sid, 'mcp-protocol-version': '2025-06-18' },
      body: CALL('slow'),
    });
    while (mcp.inFlight === 0) await new Promise((r) => setTimeout(r, 10));
    const closing = server!.close(10_000);
    const answer = await sseJson(await call);
    expect(answer.result.content[0].text).toBe('done');
    await closing;
    expect(mcp.sessionCount).toBe(0);
    await expect(fetch(`${base}/livez`)).rejects.toThrow();
    server = undefined;

    const stuck = testMcp(true, 60_000);
    const base2 = await start({ stateless: true }, [[mcpRoutes, { mcp: stuck.mcp }]], stuck.mcp);
    const hung = fetch(`${base2}/mcp`, { method: 'POST', headers: MCP, body: CALL('slow') }).then((r) => r.text());
    while (stuck.mcp.inFlight === 0) await new Promise((r) => setTimeout(r, 10));
    await server!.close(200);
    await expect(hung).rejects.toThrow();
    stuck.release();
    server = undefined;
  });
});

describe('GET /metrics past fastify', () => {
  const PAGE = {
    body: Buffer.from('# HELP up x\n# TYPE up gauge\nup 1\n'),
    gzip: () => Buffer.from('zz'),
    renderedAt: 0,
  };

  /** Every request that reached fastify's hooks, and every request-histogram recording. */
  async function serve(doc: Record<string, unknown>, page: () => typeof PAGE | Promise<typeof PAGE>, shortcut = true) {
    const hooked: string[] = [];
    const recorded: Record<string, unknown>[] = [];
    const spy: FastifyPluginAsync = async (app) => {
      app.addHook('onRequest', async (req) => void hooked.push(`${req.method} ${req.url}`));
    };
    (spy as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true;
    const record = (_s: number, a: Record<string, unknown>) => void recorded.push({ ...a });
    const s = await startHttpServer({
      config: HttpConfig.parse({ listen: '127.0.0.1:0', ...doc }),
      log,
      insecure: false,
      plugins: [
        [spy, {}],
        [httpMetricsPlugin, { record }],
        [metricsRoutes, { page }],
      ],
      ...(shortcut ? { metricsShortcut: metricsShortcut({ page, record }) } : {}),
    });
    return { s, port: s.address.port, hooked, recorded };
  }

  const get = (port: number, path: string, headers: Record<string, string> = {}, method = 'GET') =>
    new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
      httpRequest({ host: '127.0.0.1', port, path, method, headers }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      })
        .on('error', reject)
        .end();
    });
  // The shortcut closes the connection of a scrape that comes longer than keep-alive after the last one (below).
  const withoutDate = (h: Record<string, unknown>) => ({
    ...h,
    date: undefined,
    connection: undefined,
    'keep-alive': undefined,
  });

  let other: HttpServer | undefined;
  afterEach(async () => {
    await other?.close(100);
    other = undefined;
  });

  it("answers a plain scrape without a hook, with the route's bytes, headers and histogram recording", async () => {
    const ours = await serve({}, () => PAGE);
    server = ours.s;
    const viaRoute = await serve({}, () => PAGE, false);
    other = viaRoute.s;
    for (const headers of [{}, { 'accept-encoding': 'gzip, deflate' }] as Record<string, string>[]) {
      const a = await get(ours.port, '/metrics', headers);
      const b = await get(viaRoute.port, '/metrics', headers);
      expect(a.status).toBe(200);
      expect(a.body).toBe(b.body);
      expect(withoutDate(a.headers)).toEqual(withoutDate(b.headers));
    }
    expect((await get(ours.port, '/metrics?x=1')).status).toBe(200);
    expect(ours.hooked).toEqual([]);
    expect(viaRoute.hooked).toEqual(['GET /metrics', 'GET /metrics']);
    await new Promise((r) => setTimeout(r, 20));
    expect(ours.recorded).toEqual(viaRoute.recorded.concat([viaRoute.recorded[0]!]));
    expect(ours.recorded[0]).toEqual({
      'http.request.method': 'GET',
      'http.response.status_code': 200,
      'http.route': '/metrics',
    });
  });

  it('closes the connection of a scrape longer than keep-alive after the last one, keeps closer ones', async () => {
    // Keep-alive long enough that back-to-back scrapes stay within it on a loaded machine.
    const ours = await serve({ timeouts: { keepAlive: '1s' } }, () => PAGE);
    server = ours.s;
    const connection = async () => (await get(ours.port, '/metrics')).headers.connection;
    // The first scrape has no previous one: spaced.
    expect(await connection()).toBe('close');
    // Hammering: each within keep-alive of the last.
    expect(await connection()).toBe('keep-alive');
    expect(await connection()).toBe('keep-alive');
    await new Promise((r) => setTimeout(r, 1100));
    expect(await connection()).toBe('close');
    expect(await connection()).toBe('keep-alive');
    expect(ours.hooked).toEqual([]);
  });

  it('spacedScrapes: longer than keep-alive after the last scrape; never with keep-alive 0', () => {
    let t = 0;
    const spaced = spacedScrapes(5000, () => t);
    expect(spaced()).toBe(true);
    t = 4000;
    expect(spaced()).toBe(false);
    t = 9001;
    expect(spaced()).toBe(true);
    t = 9002;
    expect(spaced()).toBe(false);
    const forever = spacedScrapes(0, () => t);
    expect(forever()).toBe(false);
    t = 1e9;
    expect(forever()).toBe(false);
  });

  it('leaves fastify every scrape the security plugin has a say in: foreign Host or Origin, token, HEAD', async () => {
    const ours = await serve({}, () => PAGE);
    server = ours.s;
    // Refused by the security plugin's hook (ahead of the spy's), in its words.
    const host = await get(ours.port, '/metrics', { host: 'evil.example' });
    expect([host.status, JSON.parse(host.body).error]).toEqual([403, 'invalid_host']);
    const origin = await get(ours.port, '/metrics', { origin: 'http://evil.example' });
    expect([origin.status, JSON.parse(origin.body).error]).toEqual([403, 'invalid_origin']);
    expect((await get(ours.port, '/metrics', {}, 'HEAD')).status).toBe(200);
    expect(ours.hooked).toEqual(['HEAD /metrics']);

    const token = 'metrics-token-0123456789abcdef';
    const guarded = await serve(
      { metricsAuth: { tokens: [{ subject: 'prom', sha256: sha256Hex(token) }] } },
      () => PAGE,
    );
    other = guarded.s;
    expect((await get(guarded.port, '/metrics')).status).toBe(401);
    expect((await get(guarded.port, '/metrics', { authorization: `Bearer ${token}` })).body).toBe(PAGE.body.toString());
    expect(guarded.hooked).toEqual(['GET /metrics']);
  });

  it('hands a page that fails to render or to compress to fastify, whose error handler answers', async () => {
    let renders = 0;
    const ours = await serve({}, () => {
      renders++;
      return Promise.reject(new Error('render failed'));
    });
    server = ours.s;
    const r = await get(ours.port, '/metrics');
    expect(r.status).toBe(500);
    expect(JSON.parse(r.body)).toMatchObject({ error: 'internal_error' });
    expect(renders).toBe(2);
    expect(ours.hooked).toEqual(['GET /metrics']);

    const unzippable = await serve({}, () => ({
      ...PAGE,
      gzip: () => {
        throw new Error('gzip failed');
      },
    }));
    other = unzippable.s;
    expect((await get(unzippable.port, '/metrics', { 'accept-encoding': 'gzip' })).status).toBe(500);
    expect((await get(unzippable.port, '/metrics')).status).toBe(200);
  });
});
