import { McpError } from '@modelcontextprotocol/sdk/types.js';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectClient, MCP_HEADERS, rssBytes, startDaemon, type Daemon } from '../support/http-daemon.js';

const METHODS = [
  'initialize',
  'ping',
  'tools/list',
  'tools/call',
  'resources/list',
  'resources/read',
  'resources/templates/list',
  'resources/subscribe',
  'prompts/list',
  'prompts/get',
  'logging/setLevel',
  'notifications/initialized',
  'notifications/cancelled',
  'completion/complete',
];

/** One request at the daemon; the status, after the body is read (or, for an event stream, abandoned). */
async function send(url: string, init: RequestInit): Promise<number> {
  const r = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
  if (r.headers.get('content-type')?.includes('text/event-stream') && init.method === 'GET') await r.body?.cancel();
  else await r.arrayBuffer();
  return r.status;
}

describe('fuzzing /mcp (fast-check, spawned daemon)', () => {
  let daemon: Daemon;
  let client: Client;
  let sessionId: string;
  let clientSession: string;
  let rssBefore: number;
  const statuses = new Map<number, number>();
  const count = (s: number) => statuses.set(s, (statuses.get(s) ?? 0) + 1);

  beforeAll(async () => {
    daemon = await startDaemon({ config: 'http:\n  rateLimit: { max: 1000000 }\n' });
    let transport;
    ({ client, transport } = await connectClient(daemon.url));
    // The raw fuzz gets a session of its own: a fuzzed DELETE may well end it.
    const init = await fetch(`${daemon.url}/mcp`, {
      method: 'POST',
      headers: MCP_HEADERS,
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 0,
        method: 'initialize',
        params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'fuzz', version: '1' } },
      }),
    });
    sessionId = init.headers.get('mcp-session-id')!;
    await init.text();
    clientSession = transport.sessionId!;
    // Warm up (JIT, lazy imports, first samples) before taking the baseline.
    for (let i = 0; i < 60; i++) await client.callTool({ name: 'health_check', arguments: {} });
    rssBefore = rssBytes(daemon.pid);
  });
  afterAll(async () => {
    await client?.close();
    expect(await daemon?.stop()).toBe(0);
  });

  const headersArb = fc.record(
    {
      'content-type': fc.constantFrom(
        'application/json',
        'application/json; charset=utf-8',
        'text/plain',
        'application/x-www-form-urlencoded',
        'application/jsonx',
      ),
      accept: fc.constantFrom('application/json, text/event-stream', 'application/json', 'text/event-stream', '*/*'),
      'mcp-session-id': fc.oneof(
        fc.constant('SESSION'),
        fc.uuid(),
        fc.string({ maxLength: 40 }).filter((s) => /^[\x21-\x7e]*$/.test(s)),
      ),
      'mcp-protocol-version': fc.constantFrom('2025-06-18', '2025-03-26', '1999-01-01', 'garbage'),
    },
    { requiredKeys: [] },
  );

  const messageArb = fc.record(
    {
      jsonrpc: fc.oneof({ weight: 5, arbitrary: fc.constant('2.0') }, fc.jsonValue()),
      id: fc.oneof(fc.integer(), fc.string({ maxLength: 20 }), fc.constant(null), fc.double(), fc.jsonValue()),
      method: fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom(...METHODS) },
        fc.string({ maxLength: 30 }),
        fc.jsonValue(),
      ),
      params: fc.oneof(
        fc.object({ maxDepth: 3 }),
        fc.jsonValue(),
        fc.record(
          {
            name: fc.constantFrom('health_check', 'get_metrics', 'check_dependencies', 'nope'),
            arguments: fc.jsonValue(),
            uri: fc.constantFrom('vitals://health', 'vitals://checks/cpu', 'vitals://nope', 'file:///etc/passwd'),
          },
          { requiredKeys: [] },
        ),
      ),
      result: fc.jsonValue(),
      error: fc.jsonValue(),
    },
    { requiredKeys: [] },
  );

  const bodyArb = fc.oneof(
    { weight: 4, arbitrary: messageArb.map((m) => JSON.stringify(m)) },
    { weight: 2, arbitrary: fc.array(messageArb, { maxLength: 5 }).map((m) => JSON.stringify(m)) },
    { weight: 2, arbitrary: fc.string({ maxLength: 200 }) },
    { weight: 1, arbitrary: fc.json({ maxDepth: 4 }) },
    // Truncated and corrupted JSON-RPC.
    {
      weight: 2,
      arbitrary: fc.tuple(messageArb, fc.nat(), fc.string({ maxLength: 3 })).map(([m, cut, junk]) => {
        const s = JSON.stringify(m);
        return s.slice(0, cut % (s.length + 1)) + junk;
      }),
    },
  );

  it('random and malformed JSON-RPC: never a 5xx, never a crash', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('POST', 'POST', 'POST', 'GET', 'DELETE', 'PUT', 'OPTIONS'),
        headersArb,
        bodyArb,
        async (method, headers, body) => {
          const h: Record<string, string> = { ...headers };
          if (h['mcp-session-id'] === 'SESSION') h['mcp-session-id'] = sessionId;
          const status = await send(`${daemon.url}/mcp`, {
            method,
            headers: h,
            ...(method === 'POST' || method === 'PUT' ? { body } : {}),
          });
          count(status);
          expect(status, `${method} ${JSON.stringify(h)} ${body.slice(0, 200)}`).toBeLessThan(500);
        },
      ),
      { numRuns: 300 },
    );
    // The fuzzing reached past the HTTP layer into the transport and the server, not only its refusals.
    expect([...statuses.keys()]).toEqual(expect.arrayContaining([200, 400]));
  }, 180_000);

  it('random arguments to every tool: a result, an isError answer, or an invalid-params error; never a transport ' +
    'failure', async () => {
    const { tools } = await client.listTools();
    for (const tool of tools) {
      const props = Object.keys((tool.inputSchema as { properties?: Record<string, unknown> }).properties ?? {});
      const argsArb = fc.oneof(
        fc.dictionary(
          fc.constantFrom(...props, 'extra', '__proto__', 'constructor'),
          fc.oneof(
            fc.jsonValue(),
            fc.string({ maxLength: 30 }),
            fc.array(fc.string({ maxLength: 12 }), { maxLength: 4 }),
            fc.boolean(),
            fc.integer(),
          ),
        ),
        fc.object({ maxDepth: 2 }),
      );
      await fc.assert(
        fc.asyncProperty(argsArb, async (args) => {
          try {
            const r = await client.callTool({ name: tool.name, arguments: args as Record<string, unknown> });
            expect(Array.isArray(r.content)).toBe(true);
          } catch (e) {
            // The SDK answers arguments that fail the input schema with -32602; anything else is a bug.
            expect(e, `${tool.name} ${JSON.stringify(args)}: ${(e as Error).message}`).toBeInstanceOf(McpError);
            expect((e as McpError).code, `${tool.name} ${JSON.stringify(args)}: ${(e as Error).message}`).toBe(-32602);
          }
        }),
        { numRuns: 40 },
      );
    }
  }, 180_000);

  it('the daemon is alive and its memory stayed bounded', async () => {
    expect(daemon.child.exitCode).toBeNull();
    expect((await fetch(`${daemon.url}/livez`)).status).toBe(200);
    const r = await fetch(`${daemon.url}/mcp`, {
      method: 'POST',
      headers: { ...MCP_HEADERS, 'mcp-session-id': clientSession, 'mcp-protocol-version': '2025-06-18' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
    });
    expect(r.status).toBe(200);
    await r.text();
    const grown = rssBytes(daemon.pid) - rssBefore;
    // Generous: GC timing makes RSS noisy; a leak per request over ~500 requests would blow well past this.
    expect(grown, `RSS grew by ${(grown / 1048576).toFixed(1)} MiB`).toBeLessThan(96 * 1024 * 1024);
    expect(daemon.stderr()).not.toMatch(/"level":"(fatal)"/);
  });
});
