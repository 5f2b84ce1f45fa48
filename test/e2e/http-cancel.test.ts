import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaultProxy } from '../support/fault-proxy.js';
import { MCP_HEADERS, postMcp, startDaemon, type Daemon } from '../support/http-daemon.js';

const VERSION = '2025-11-25';

/**
 * A daemon whose one check is a Redis behind a black-holed proxy (a refresh of it waits the check's whole
 * timeout), started before and stopped after the tests of the calling describe. `settings`: config text before
 * `checks:`; `check`: extra options of the check.
 */
function withBlackholedRedis(settings: string, check: string): { daemon: () => Daemon } {
  let proxy: FaultProxy;
  let daemon: Daemon;
  beforeAll(async () => {
    proxy = await FaultProxy.start({ host: '127.0.0.1', port: 6379 });
    await proxy.blackhole();
    daemon = await startDaemon({
      config:
        `${settings}checks:\n  - { name: cache, kind: redis, url: "redis://127.0.0.1:${proxy.port}", every: 1h, ` +
        `breaker: { failures: 1000 }, ${check} }\n`,
    });
  });
  afterAll(async () => {
    await daemon?.stop('SIGKILL');
    await proxy?.close();
  });
  return { daemon: () => daemon };
}

/**
 * A refresh that hangs (Redis behind a black-holed proxy, 20 s timeout), cancelled by the client. The spec says a
 * cancelled request gets no answer; its response stream must still end, or it holds shutdown's grace period.
 */
describe('a cancelled request in a 2025-era HTTP session', () => {
  const setup = withBlackholedRedis('http:\n  shutdownGrace: 30s\n', 'timeout: 20s');

  it('ends its response stream, and SIGTERM does not wait for the grace period', async () => {
    const daemon = setup.daemon();
    const init = await postMcp(
      daemon.url,
      JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: VERSION, capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
      }),
    );
    const session = init.headers.get('mcp-session-id')!;
    expect(session).toBeTruthy();
    const headers = { ...MCP_HEADERS, 'mcp-session-id': session, 'mcp-protocol-version': VERSION };
    await postMcp(daemon.url, JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }), headers);

    const call = fetch(`${daemon.url}/mcp`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 7,
        method: 'tools/call',
        params: { name: 'check_dependencies', arguments: { refresh: true } },
      }),
    });
    const response = await call;
    expect(response.status).toBe(200);
    const body = response.text();
    let ended = false;
    void body.then(() => (ended = true));
    await new Promise((r) => setTimeout(r, 500));
    expect(ended).toBe(false); // the refresh is still waiting on the black hole

    const cancel = await postMcp(
      daemon.url,
      JSON.stringify({
        jsonrpc: '2.0',
        method: 'notifications/cancelled',
        params: { requestId: 7, reason: 'user gave up' },
      }),
      headers,
    );
    expect(cancel.status).toBe(202);
    // Ends long before the 20 s check timeout would have let the refresh finish, and carries no answer to id 7.
    const text = await body;
    expect(text).not.toContain('"id":7');

    const stoppedAt = Date.now();
    expect(await daemon.stop('SIGTERM')).toBe(0);
    // Nothing is in flight: the exit does not wait out the 30 s grace (nor the 20 s refresh).
    expect(Date.now() - stoppedAt).toBeLessThan(15_000);
  }, 40_000);
});

describe('SIGTERM with 2026-07-28 traffic in flight', () => {
  const setup = withBlackholedRedis('refreshMinInterval: 0s\n', 'timeout: 2s, retry: { attempts: 0 }');

  it('a call in flight is answered, an open listen ends gracefully, and the daemon exits 0', async () => {
    const daemon = setup.daemon();
    const client = new Client({ name: 'e2e-drain', version: '1.0.0' }, { versionNegotiation: { mode: 'auto' } });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${daemon.url}/mcp`)));
    expect(client.getNegotiatedProtocolVersion()).toBe('2026-07-28');
    const sub = await client.listen({ resourceSubscriptions: ['vitals://health'] });
    // A refresh that waits out the black hole's 2 s timeout.
    const call = client.callTool({ name: 'check_dependencies', arguments: { refresh: true } });
    await new Promise((r) => setTimeout(r, 300));
    const exit = daemon.stop('SIGTERM');
    const result = (await call) as { structuredContent?: { checks?: { name: string; status: string }[] } };
    expect(result.structuredContent?.checks?.[0]).toMatchObject({ name: 'cache', status: 'fail' });
    expect(await sub.closed).toBe('graceful');
    expect(await exit).toBe(0);
    await client.close().catch(() => undefined);
  }, 30_000);
});
