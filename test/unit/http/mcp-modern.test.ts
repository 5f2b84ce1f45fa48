import { classifyInboundRequest, InMemoryServerEventBus, McpServer } from '@modelcontextprotocol/server';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { HttpConfig } from '../../../src/config/schema.js';
import { ModernMcp } from '../../../src/http/mcp-modern.js';
import { McpHttp } from '../../../src/http/mcp-sessions.js';
import { mcpRoutes } from '../../../src/http/routes/mcp.js';
import { startHttpServer, type HttpServer } from '../../../src/http/server.js';
import { SubscriptionBudget } from '../../../src/mcp/resources/live.js';
import { createLogger } from '../../../src/shared/logger.js';

const log = createLogger({ level: 'silent' });
/** JSON-RPC answers, read loosely. */
type Answer = any;

let server: HttpServer | undefined;
afterEach(async () => {
  await server?.close(100);
  server = undefined;
});

/** A daemon whose 2026-07-28 servers answer `echo` (a plain result) and `slow` (progress first, then the result). */
async function daemon() {
  const createServer = () => {
    const s = new McpServer({ name: 't', version: '1' });
    s.registerTool('echo', { inputSchema: z.object({ text: z.string() }) }, async ({ text }) => ({
      content: [{ type: 'text' as const, text }],
    }));
    s.registerTool('slow', { inputSchema: z.object({}) }, async (_a, ctx) => {
      const token = ctx.mcpReq._meta?.progressToken;
      if (token !== undefined)
        await ctx.mcpReq.notify({ method: 'notifications/progress', params: { progressToken: token, progress: 1 } });
      return { content: [{ type: 'text' as const, text: 'done' }] };
    });
    return s;
  };
  const mcp = new McpHttp({ createServer, stateless: true, maxSessions: 10, idleTimeoutMs: 60_000, log });
  const modern = new ModernMcp({
    createServer,
    bus: new InMemoryServerEventBus(),
    maxSubscriptions: 10,
    budget: new SubscriptionBudget(),
    maxBodyBytes: 1 << 20,
    log,
  });
  server = await startHttpServer({
    config: HttpConfig.parse({ listen: '127.0.0.1:0', stateless: true }),
    log,
    insecure: true,
    plugins: [[mcpRoutes, { mcp, modern }]],
    drain: async (d: number) => void (await Promise.all([mcp.shutdown(d), modern.close(d)])),
  });
  const url = `http://127.0.0.1:${server.address.port}/mcp`;
  return async (id: number, name: string, args: Record<string, unknown>, meta: Record<string, unknown> = {}) =>
    fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': '2026-07-28',
        'mcp-method': 'tools/call',
        'mcp-name': name,
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id,
        method: 'tools/call',
        params: {
          name,
          arguments: args,
          _meta: {
            'io.modelcontextprotocol/protocolVersion': '2026-07-28',
            'io.modelcontextprotocol/clientInfo': { name: 'test', version: '1' },
            'io.modelcontextprotocol/clientCapabilities': {},
            ...meta,
          },
        },
      }),
    });
}

describe('2026-07-28 exchanges over HTTP', () => {
  it('a result is one JSON body with its length; the server serves the next call', async () => {
    const call = await daemon();
    for (const id of [1, 2, 3]) {
      const r = await call(id, 'echo', { text: `hello ${id}` });
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toBe('application/json');
      const text = await r.text();
      expect(r.headers.get('content-length')).toBe(String(Buffer.byteLength(text)));
      const body = JSON.parse(text);
      expect(body.id).toBe(id);
      expect(body.result.content).toEqual([{ type: 'text', text: `hello ${id}` }]);
    }
  });

  it('a notification before the result makes it an SSE stream ending with the result', async () => {
    const call = await daemon();
    const r = await call(7, 'slow', {}, { progressToken: 'p' });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('text/event-stream');
    const frames = [...(await r.text()).matchAll(/^data: (.*)$/gm)].map((m) => JSON.parse(m[1] ?? 'null'));
    expect(frames.map((f) => f.method ?? 'result')).toEqual(['notifications/progress', 'result']);
    expect(frames[1].id).toBe(7);
    expect(frames[1].result.content[0].text).toBe('done');
    // And the server it ran on answers a plain call afterwards.
    expect(((await (await call(8, 'slow', {})).json()) as Answer).result.content[0].text).toBe('done');
  });

  it('errors keep the status the SDK gives them', async () => {
    const call = await daemon();
    const bad = await call(3, 'echo', { text: 42 });
    const body = (await bad.json()) as Answer;
    expect(body.id).toBe(3);
    expect(body.result?.isError ?? body.error).toBeTruthy();
    const unknown = await call(4, 'nope', {});
    const answer = (await unknown.json()) as Answer;
    expect(answer.id).toBe(4);
    expect(answer.error?.code ?? answer.result?.isError).toBeTruthy();
  });
});

describe('the era check', () => {
  const CLAIM = 'io.modelcontextprotocol/protocolVersion';
  const envelope = { [CLAIM]: '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {} };
  const call = (extra: Record<string, unknown> = {}, meta: Record<string, unknown> = envelope) => ({
    jsonrpc: '2.0',
    id: 1,
    method: 'tools/call',
    params: { name: 'x', arguments: {}, _meta: meta },
    ...extra,
  });
  const bodies: [string, unknown][] = [
    ['a 2026 call', call()],
    ['a claim naming a 2025 version', call({}, { [CLAIM]: '2025-06-18' })],
    ['a claim that is not a string', call({}, { [CLAIM]: 7 })],
    ['_meta without the claim', call({}, { progressToken: 1 })],
    ['a claim on a body shaped like a result', call({ result: {} })],
    ['a claim on a body shaped like an error', call({ error: { code: 1, message: 'x' } })],
    ['initialize with a claim', call({ method: 'initialize' })],
    ['initialize with a bad claim', call({ method: 'initialize' }, { [CLAIM]: 'x' })],
    ['a notification with a claim', { jsonrpc: '2.0', method: 'notifications/x', params: { _meta: envelope } }],
    ['a request without params', { jsonrpc: '2.0', id: 2, method: 'ping' }],
    ['a batch with a claim', [call()]],
    ['a response', { jsonrpc: '2.0', id: 1, result: {} }],
  ];
  const headerSets: Record<string, string>[] = [
    {},
    { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'x' },
    { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/list' },
    { 'mcp-protocol-version': '2025-06-18' },
  ];

  it("agrees with the SDK's classifier", () => {
    const modern = new ModernMcp({
      createServer: () => new McpServer({ name: 't', version: '1' }),
      bus: new InMemoryServerEventBus(),
      maxSubscriptions: 1,
      budget: new SubscriptionBudget(),
      maxBodyBytes: 1 << 20,
      log,
    });
    for (const [label, body] of bodies)
      for (const headers of headerSets)
        for (const method of ['POST', 'GET']) {
          const sdk = classifyInboundRequest({
            httpMethod: method,
            protocolVersionHeader: headers['mcp-protocol-version'],
            mcpMethodHeader: headers['mcp-method'],
            mcpNameHeader: headers['mcp-name'],
            ...(method === 'POST' ? { body } : {}),
          });
          const legacy = modern.isLegacy(method, headers, method === 'POST' ? body : undefined);
          expect(legacy, `${label}, ${method}, ${JSON.stringify(headers)}`).toBe(sdk.kind === 'legacy');
        }
  });
});
