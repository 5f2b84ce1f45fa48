import { createServer, type Server } from 'node:net';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectClient, MCP_HEADERS, minimalArgs, postMcp, startDaemon, type Daemon } from '../support/http-daemon.js';

/** A TCP port that accepts, so check_dependencies has a real dependency to report. */
let tcp: Server;
let tcpPort: number;
beforeAll(async () => {
  tcp = createServer((s) => s.end());
  await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
  tcpPort = (tcp.address() as { port: number }).port;
});
afterAll(() => new Promise<void>((r) => tcp.close(() => r())));

const config = (stateless: boolean, extra = '') => `
http:
  stateless: ${stateless}
${extra}
checks:
  - name: local-tcp
    kind: tcp
    host: 127.0.0.1
    port: ${tcpPort}
    every: 1h
`;

/** Tools whose arguments depend on each other (so the schema alone cannot produce valid ones). A new tool not
 *  listed here is called with its schema's required properties and must answer without an error. */
const EXAMPLE_ARGS: Record<string, Record<string, unknown>> = {
  query_history: { series: 'cpu.utilization', window: '15m' },
};

const INIT = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
});

describe.each([
  ['stateful', false],
  ['stateless', true],
])('Streamable HTTP /mcp (%s, real SDK client, spawned daemon)', (_mode, stateless) => {
  let daemon: Daemon;
  let client: Client;
  let transport: StreamableHTTPClientTransport;

  beforeAll(async () => {
    daemon = await startDaemon({ config: config(stateless) });
    ({ client, transport } = await connectClient(daemon.url));
  });
  afterAll(async () => {
    await client?.close();
    expect(await daemon?.stop()).toBe(0);
  });

  it(`${stateless ? 'hands out no' : 'hands out a'} session id`, () => {
    if (stateless) expect(transport.sessionId).toBeUndefined();
    else expect(transport.sessionId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('lists and calls every tool; each answer matches its output schema', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(
      expect.arrayContaining(['health_check', 'get_metrics', 'check_dependencies']),
    );
    for (const tool of tools) {
      // The client validates structuredContent against the listed outputSchema, so a mismatch throws here.
      const r = await client.callTool({
        name: tool.name,
        arguments: EXAMPLE_ARGS[tool.name] ?? minimalArgs(tool.inputSchema as never),
      });
      expect(r.isError, `${tool.name}: ${JSON.stringify(r.content)}`).toBeFalsy();
      expect((r.content as { type: string; text: string }[])[0]!.text.length).toBeGreaterThan(0);
      if (tool.outputSchema) expect(r.structuredContent).toBeTypeOf('object');
    }
  });

  it('lists and reads the resources', async () => {
    const { resources } = await client.listResources();
    expect(resources.length).toBeGreaterThan(0);
    for (const r of resources) {
      const read = await client.readResource({ uri: r.uri });
      expect(read.contents.length, r.uri).toBeGreaterThan(0);
    }
  });

  it('reports the configured dependency; refresh runs it again (no auth: unrestricted)', async () => {
    const r = await client.callTool({ name: 'check_dependencies', arguments: { refresh: true } });
    expect(r.isError).toBeFalsy();
    const d = r.structuredContent as { refreshed: boolean; checks: { name: string; status: string }[] };
    expect(d.refreshed).toBe(true);
    expect(d.checks.map((c) => c.name)).toEqual(['local-tcp']);
    expect(d.checks[0]!.status).toBe('pass');
  });

  it('answers concurrent calls from several clients', async () => {
    const others = await Promise.all([1, 2, 3].map(() => connectClient(daemon.url)));
    try {
      const results = await Promise.all(
        others.flatMap(({ client: c }) => [
          c.callTool({ name: 'health_check', arguments: {} }),
          c.callTool({ name: 'get_metrics', arguments: { sections: ['memory'] } }),
        ]),
      );
      for (const r of results) expect(r.isError).toBeFalsy();
    } finally {
      await Promise.all(others.map(({ client: c }) => c.close()));
    }
  });

  const subscriptionsTitle = stateless
    ? 'claims no resource subscriptions (nothing can be pushed without a session)'
    : 'claims resource subscriptions and takes them';
  it(subscriptionsTitle, async () => {
    const caps = client.getServerCapabilities()?.resources;
    if (stateless) {
      expect(caps?.subscribe).toBeFalsy();
      await expect(client.subscribeResource({ uri: 'vitals://health' })).rejects.toMatchObject({ code: -32601 });
    } else {
      expect(caps?.subscribe).toBe(true);
      await expect(client.subscribeResource({ uri: 'vitals://health' })).resolves.toEqual({});
    }
  });

  it('unknown tool and bad arguments are JSON-RPC or isError answers, not HTTP failures', async () => {
    await expect(client.callTool({ name: 'no_such_tool', arguments: {} })).resolves.toMatchObject({ isError: true });
    const bad = await client
      .callTool({ name: 'get_metrics', arguments: { sections: 'memory' } })
      .catch((e: Error) => e);
    if (bad instanceof Error) expect(bad.message).toMatch(/-32602|Invalid/i);
    else expect(bad.isError).toBe(true);
  });

  if (stateless) {
    it('refuses GET and DELETE with 405 (no stream or session to offer)', async () => {
      for (const method of ['GET', 'DELETE']) {
        const r = await fetch(`${daemon.url}/mcp`, { method, headers: { accept: 'text/event-stream' } });
        expect(r.status).toBe(405);
        expect(r.headers.get('allow')).toBe('POST');
        expect(((await r.json()) as { error: { code: number } }).error.code).toBe(-32000);
      }
    });

    it('answers a tools/call with no initialize first (any replica can take any request)', async () => {
      const r = await postMcp(
        daemon.url,
        JSON.stringify({
          jsonrpc: '2.0',
          id: 7,
          method: 'tools/call',
          params: { name: 'health_check', arguments: {} },
        }),
      );
      expect(r.status).toBe(200);
      expect(r.json.id).toBe(7);
      expect(r.json.result.structuredContent.status).toMatch(/pass|warn|fail/);
    });
  } else {
    it('opens the GET stream for server messages, and DELETE ends the session', async () => {
      const { client: c, transport: t } = await connectClient(daemon.url);
      const sid = t.sessionId!;
      const get = await fetch(`${daemon.url}/mcp`, {
        headers: { accept: 'text/event-stream', 'mcp-session-id': sid, 'mcp-protocol-version': '2025-06-18' },
      });
      // The SDK client opened one already: only one GET stream per session.
      expect([200, 409]).toContain(get.status);
      await get.body?.cancel();
      await t.terminateSession();
      const after = await postMcp(daemon.url, JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'ping' }), {
        'mcp-session-id': sid,
        'mcp-protocol-version': '2025-06-18',
      });
      expect(after.status).toBe(404);
      expect(after.json.error.code).toBe(-32001);
      await c.close();
    });

    it('needs a session id after initialize, and 404s unknown ones', async () => {
      const none = await postMcp(daemon.url, JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'tools/list' }));
      expect(none.status).toBe(400);
      expect(none.json).toMatchObject({ jsonrpc: '2.0', error: { code: -32000 }, id: 3 });
      const unknown = await postMcp(daemon.url, JSON.stringify({ jsonrpc: '2.0', id: 4, method: 'tools/list' }), {
        'mcp-session-id': '00000000-0000-4000-8000-000000000000',
      });
      expect(unknown.status).toBe(404);
      expect(unknown.json.error.code).toBe(-32001);
    });
  }
});

describe('stateful sessions: cap and idle expiry', () => {
  let daemon: Daemon;
  beforeAll(async () => {
    daemon = await startDaemon({ config: config(false, '  sessions: { max: 2, idleTimeout: 1s }') });
  });
  afterAll(async () => {
    expect(await daemon?.stop()).toBe(0);
  });

  it('refuses sessions beyond the cap with 503 and a JSON-RPC error, and expires idle ones', async () => {
    const a = await postMcp(daemon.url, INIT);
    const b = await postMcp(daemon.url, INIT);
    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
    const sid = a.headers.get('mcp-session-id')!;
    const c = await postMcp(daemon.url, INIT);
    expect(c.status).toBe(503);
    expect(c.headers.get('retry-after')).toBeTruthy();
    expect(c.json).toMatchObject({ jsonrpc: '2.0', error: { code: -32000 }, id: 1 });

    // Idle for longer than idleTimeout: both sessions go, and new ones fit again.
    let reopened: Awaited<ReturnType<typeof postMcp>> | undefined;
    for (let i = 0; i < 50 && reopened?.status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 200));
      reopened = await postMcp(daemon.url, INIT);
    }
    expect(reopened?.status).toBe(200);
    const old = await postMcp(daemon.url, JSON.stringify({ jsonrpc: '2.0', id: 5, method: 'ping' }), {
      'mcp-session-id': sid,
      'mcp-protocol-version': '2025-06-18',
    });
    expect(old.status).toBe(404);
  });

  it('an initialize the server rejects leaves no session behind', async () => {
    // Wait out the sessions of the previous test.
    await new Promise((r) => setTimeout(r, 2500));
    for (let i = 0; i < 4; i++) {
      const r = await postMcp(
        daemon.url,
        JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: 42 } }),
      );
      expect(r.status).toBeLessThan(500);
    }
    const ok = await postMcp(daemon.url, INIT);
    expect(ok.status).toBe(200);
  });

  it('keeps the accept rules of the transport (406 without text/event-stream)', async () => {
    const r = await fetch(`${daemon.url}/mcp`, {
      method: 'POST',
      headers: { ...MCP_HEADERS, accept: 'application/json' },
      body: INIT,
    });
    expect(r.status).toBe(406);
  });
});
