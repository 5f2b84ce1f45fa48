import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDaemon, type Daemon } from '../support/http-daemon.js';

const META = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' },
  'io.modelcontextprotocol/clientCapabilities': {},
};

describe('2026-07-28 listen streams per principal (limits.subscriptionsPerPrincipal)', () => {
  let daemon: Daemon;
  let client: Client;

  beforeAll(async () => {
    daemon = await startDaemon({ config: 'limits: { subscriptionsPerPrincipal: 2 }\n' });
    client = new Client({ name: 'abuse-listen', version: '1.0.0' }, { versionNegotiation: { mode: 'auto' } });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${daemon.url}/mcp`)));
  });
  afterAll(async () => {
    await client?.close();
    expect(await daemon?.stop()).toBe(0);
  });

  it('past the limit a listen is refused with 429 and a JSON-RPC error; closing one makes room', async () => {
    const open = [
      await client.listen({ resourceSubscriptions: ['vitals://health'] }),
      await client.listen({ resourceSubscriptions: ['vitals://events'] }),
    ];
    const r = await fetch(`${daemon.url}/mcp`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': '2026-07-28',
        'mcp-method': 'subscriptions/listen',
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 'l3',
        method: 'subscriptions/listen',
        params: { notifications: { resourceSubscriptions: ['vitals://health'] }, _meta: META },
      }),
    });
    expect(r.status).toBe(429);
    expect(await r.json()).toMatchObject({
      id: 'l3',
      error: { code: -32000, message: expect.stringContaining('limit 2') },
    });
    await expect(client.listen({ resourceSubscriptions: ['vitals://health'] })).rejects.toThrow();
    await open[0]!.close();
    // The stream's end reaches the daemon a moment after close() resolves.
    let again;
    for (let i = 0; i < 50 && !again; i++)
      again = await client
        .listen({ resourceSubscriptions: ['vitals://health'] })
        .catch(() => new Promise((res) => setTimeout(() => res(undefined), 100)));
    expect(again).toBeDefined();
    const metrics = await (await fetch(`${daemon.url}/metrics`)).text();
    expect(metrics).toMatch(/vitals_limit_refusals_total\{[^}]*limit="subscriptions_per_principal"[^}]*\} [1-9]/);
    await Promise.all([open[1]!.close(), (again as { close(): Promise<void> }).close()]);
  });
});
