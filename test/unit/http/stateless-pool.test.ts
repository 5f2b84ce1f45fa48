import { InMemoryServerEventBus, McpServer } from '@modelcontextprotocol/server';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { HttpConfig } from '../../../src/config/schema.js';
import { sha256Hex } from '../../../src/http/auth.js';
import { ModernMcp } from '../../../src/http/mcp-modern.js';
import { McpHttp } from '../../../src/http/mcp-sessions.js';
import { SubscriptionBudget } from '../../../src/mcp/resources/live.js';
import { mcpRoutes, scopesFromExtra } from '../../../src/http/routes/mcp.js';
import { startHttpServer, type HttpServer } from '../../../src/http/server.js';
import { createLogger } from '../../../src/shared/logger.js';

const log = createLogger({ level: 'silent' });
const MCP = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
const message = (method: string, params: Record<string, unknown>) =>
  JSON.stringify({ jsonrpc: '2.0', id: 1, method, params });
const WHOAMI = message('tools/call', { name: 'whoami', arguments: {} });
const INIT = message('initialize', {
  protocolVersion: '2025-06-18',
  capabilities: { roots: {} },
  clientInfo: { name: 'first', version: '1' },
});

let server: HttpServer | undefined;
afterEach(async () => {
  await server?.close(100);
  server = undefined;
});

/** A stateless daemon whose servers answer `whoami` (the caller's scopes and the client this server knows). */
async function statelessDaemon() {
  const built: McpServer[] = [];
  const createServer = () => {
    const s = new McpServer({ name: 't', version: '1' });
    s.registerTool('whoami', { inputSchema: z.object({}) }, async (_a, extra) => ({
      content: [
        {
          type: 'text' as const,
          text: JSON.stringify({
            scopes: [...(scopesFromExtra(extra) ?? [])].sort(),
            client: s.server.getClientVersion()?.name ?? null,
            capabilities: s.server.getClientCapabilities() ?? null,
          }),
        },
      ],
    }));
    built.push(s);
    return s;
  };
  const mcp = new McpHttp({
    createServer,
    stateless: true,
    maxSessions: 10,
    idleTimeoutMs: 60_000,
    log,
  });
  const modern = new ModernMcp({
    createServer,
    bus: new InMemoryServerEventBus(),
    maxSubscriptions: 10,
    budget: new SubscriptionBudget(),
    maxBodyBytes: 1 << 20,
    log,
  });
  const tokens = [
    { subject: 'reader', sha256: sha256Hex('t-read'), scopes: ['vitals:read'] },
    { subject: 'admin', sha256: sha256Hex('t-admin'), scopes: ['vitals:admin'] },
  ];
  server = await startHttpServer({
    config: HttpConfig.parse({ listen: '127.0.0.1:0', stateless: true, auth: { tokens } }),
    log,
    insecure: false,
    plugins: [[mcpRoutes, { mcp, modern }]],
    drain: async (d: number) => void (await Promise.all([mcp.shutdown(d), modern.close(d)])),
  });
  const base = `http://127.0.0.1:${server.address.port}/mcp`;
  const post = async (token: string, body: string, headers: Record<string, string> = {}) => {
    const r = await fetch(base, {
      method: 'POST',
      headers: { ...MCP, ...headers, authorization: `Bearer ${token}` },
      body,
    });
    const text = await r.text();
    return JSON.parse(/^data: (.*)$/m.exec(text)?.[1] ?? text);
  };
  const whoami = async (token: string) => JSON.parse((await post(token, WHOAMI)).result.content[0].text);
  /** The same call as a 2026-07-28 client makes it: no session, the client in the request's own envelope. */
  const whoamiModern = async (token: string, client: string, capabilities: Record<string, unknown>) => {
    const body = JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: {
        name: 'whoami',
        arguments: {},
        _meta: {
          'io.modelcontextprotocol/protocolVersion': '2026-07-28',
          'io.modelcontextprotocol/clientInfo': { name: client, version: '1' },
          'io.modelcontextprotocol/clientCapabilities': capabilities,
        },
      },
    });
    const headers = { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'whoami' };
    return JSON.parse((await post(token, body, headers)).result.content[0].text);
  };
  // The server goes back to the pool once the response has closed: give that a moment.
  const settle = () => new Promise((r) => setTimeout(r, 20));
  return { built, post, whoami, whoamiModern, settle };
}

describe('stateless requests', () => {
  it('reuse one built server, each call seeing only its own caller', async () => {
    const d = await statelessDaemon();
    expect(await d.whoami('t-read')).toEqual({ scopes: ['vitals:read'], client: null, capabilities: null });
    await d.settle();
    expect((await d.whoami('t-admin')).scopes).toEqual([
      'vitals:admin',
      'vitals:metrics',
      'vitals:read',
      'vitals:refresh',
    ]);
    await d.settle();
    expect(await d.whoami('t-read')).toEqual({ scopes: ['vitals:read'], client: null, capabilities: null });
    expect(d.built).toHaveLength(1);
  });

  it('never lend a server that answered initialize: it holds that client', async () => {
    const d = await statelessDaemon();
    expect((await d.post('t-read', INIT)).result.serverInfo.name).toBe('t');
    await d.settle();
    expect(await d.whoami('t-read')).toEqual({ scopes: ['vitals:read'], client: null, capabilities: null });
    expect(d.built).toHaveLength(2);
  });

  it('on 2026-07-28 reuse one built server, each call seeing its own caller and client', async () => {
    const d = await statelessDaemon();
    expect(await d.whoamiModern('t-admin', 'alpha', { roots: {} })).toEqual({
      scopes: ['vitals:admin', 'vitals:metrics', 'vitals:read', 'vitals:refresh'],
      client: 'alpha',
      capabilities: { roots: {} },
    });
    await d.settle();
    expect(await d.whoamiModern('t-read', 'beta', {})).toEqual({
      scopes: ['vitals:read'],
      client: 'beta',
      capabilities: {},
    });
    await d.settle();
    expect((await d.whoamiModern('t-read', 'gamma', {})).client).toBe('gamma');
    expect(d.built).toHaveLength(1);
  });
});
