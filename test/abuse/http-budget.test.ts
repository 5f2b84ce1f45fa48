import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MCP_HEADERS, postMcp, startDaemon, type Daemon } from '../support/http-daemon.js';

const INIT = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'abuse', version: '1' } },
});
const ping = (id: number | string) => ({ jsonrpc: '2.0', id, method: 'ping' });

describe('rate limit counts JSON-RPC messages and weighs expensive tools (finding 6)', () => {
  let daemon: Daemon;
  beforeAll(async () => {
    daemon = await startDaemon({ config: 'http:\n  stateless: true\n  rateLimit: { max: 150, window: 1m }\n' });
  });
  afterAll(async () => {
    expect(await daemon?.stop()).toBe(0);
  });

  it('a batch of 100 calls costs 100; the next batch of 100 is refused with 429', async () => {
    const batch = JSON.stringify(Array.from({ length: 100 }, (_, i) => ping(i + 1)));
    const first = await postMcp(daemon.url, batch);
    expect(first.status).toBe(200);
    expect(first.headers.get('x-ratelimit-remaining')).toBe('50');
    const second = await postMcp(daemon.url, batch);
    expect(second.status).toBe(429);
    expect(Number(second.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(second.json).toMatchObject({
      jsonrpc: '2.0',
      error: { code: -32000, message: expect.stringMatching(/rate limit/) },
    });
  });
});

describe('tool weights and the batch bound on a fresh budget', () => {
  let daemon: Daemon;
  beforeAll(async () => {
    daemon = await startDaemon({
      config: 'http:\n  stateless: true\n  rateLimit: { max: 1000, window: 1m, toolCost: { diagnose: 25 } }\n',
    });
  });
  afterAll(async () => {
    expect(await daemon?.stop()).toBe(0);
  });

  it('diagnose costs its weight, a ping costs 1', async () => {
    const a = await postMcp(daemon.url, JSON.stringify(ping(1)));
    expect(a.headers.get('x-ratelimit-remaining')).toBe('999');
    const b = await postMcp(
      daemon.url,
      JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'diagnose', arguments: {} } }),
    );
    expect(b.status).toBe(200);
    expect(b.headers.get('x-ratelimit-remaining')).toBe('974');
  });

  it('101 messages in one batch: -32600 naming the limit; the same id twice in one batch: -32600', async () => {
    const big = await postMcp(daemon.url, JSON.stringify(Array.from({ length: 101 }, (_, i) => ping(i + 1))));
    expect(big.status).toBe(400);
    expect(big.json.error).toMatchObject({
      code: -32600,
      message: expect.stringMatching(/batch of 101 messages is larger than the limit of 100/),
    });
    const dup = await postMcp(daemon.url, JSON.stringify([ping(7), ping(7)]));
    expect(dup.status).toBe(400);
    expect(dup.json.error).toMatchObject({
      code: -32600,
      message: expect.stringMatching(/request id 7 appears twice/),
    });
  });
});

describe('request ids and pending requests per session (finding 6)', () => {
  let daemon: Daemon;
  let mute: Server;
  const sockets = new Set<Socket>();
  let session: string;
  const headers = () => ({ 'mcp-session-id': session, 'mcp-protocol-version': '2025-06-18' });

  beforeAll(async () => {
    // A "Redis" that accepts and never answers: a refresh of its check takes the check's whole timeout.
    mute = createServer((s) => (sockets.add(s), s.on('close', () => sockets.delete(s))));
    await new Promise<void>((r) => mute.listen(0, '127.0.0.1', r));
    const port = (mute.address() as { port: number }).port;
    daemon = await startDaemon({
      config: `
limits: { pendingRequests: 3 }
refreshMinInterval: 0s
checks:
  - { name: mute, kind: redis, url: "redis://127.0.0.1:${port}", timeout: 2s, every: 10m, retry: { attempts: 0 } }
`,
    });
    const r = await fetch(`${daemon.url}/mcp`, { method: 'POST', headers: MCP_HEADERS, body: INIT });
    session = r.headers.get('mcp-session-id')!;
    await r.text();
    await postMcp(daemon.url, JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }), headers());
  });
  afterAll(async () => {
    expect(await daemon?.stop()).toBe(0);
    for (const s of sockets) s.destroy();
    mute.close();
  });

  const slowCall = (id: number) => ({
    jsonrpc: '2.0',
    id,
    method: 'tools/call',
    params: { name: 'check_dependencies', arguments: { refresh: true } },
  });

  it(
    'a request id already in flight in the session is refused at once; the first request is still ' + 'answered',
    async () => {
      const first = postMcp(daemon.url, JSON.stringify(slowCall(1)), headers());
      await new Promise((r) => setTimeout(r, 400));
      const reused = await postMcp(daemon.url, JSON.stringify(ping(1)), headers());
      expect(reused.status).toBe(400);
      expect(reused.json.error).toMatchObject({
        code: -32600,
        message: expect.stringMatching(/request id 1 is already in use/),
      });
      const answered = await first;
      expect(answered.status).toBe(200);
      expect(answered.json).toMatchObject({ id: 1, result: expect.anything() });
      // Once answered, the id is free again.
      const again = await postMcp(daemon.url, JSON.stringify(ping(1)), headers());
      expect(again.json).toMatchObject({ id: 1, result: {} });
    },
  );

  it('past limits.pendingRequests in one session: 429 and a JSON-RPC error', async () => {
    // One POST each: 2025-06-18 has no batches (a batch is refused outright, below).
    const inFlight = [11, 12, 13].map((id) => postMcp(daemon.url, JSON.stringify(slowCall(id)), headers()));
    await new Promise((r) => setTimeout(r, 400));
    const r = await postMcp(daemon.url, JSON.stringify(slowCall(14)), headers());
    expect(r.status).toBe(429);
    expect(r.json.error).toMatchObject({
      code: -32000,
      message: expect.stringMatching(/Too many requests in flight in this session \(limit 3\)/),
    });
    for (const answered of await Promise.all(inFlight)) expect(answered.status).toBe(200);
  });

  it('a JSON-RPC batch in a 2025-06-18 session: -32600, none of it run', async () => {
    const r = await postMcp(daemon.url, JSON.stringify([ping(21), ping(22)]), headers());
    expect(r.status).toBe(400);
    expect(r.json.error).toMatchObject({
      code: -32600,
      message: expect.stringMatching(/batches are not part of protocol version 2025-06-18/),
    });
  });
});
