import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeToken, MCP_HEADERS, startDaemon, type Daemon } from '../support/http-daemon.js';

const INIT = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
});
const reader = makeToken();
const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

describe('HTTP hardening found in review', () => {
  let daemon: Daemon;
  beforeAll(async () => {
    daemon = await startDaemon({
      config: `
http:
  sessions: { max: 100, maxPerPrincipal: 2 }
  shutdownGrace: 20s
  auth:
    tokens: [{ subject: reader, sha256: ${reader.sha256}, scopes: [vitals:read] }]
checks:
  - { name: pg-port, kind: tcp, host: 127.0.0.1, port: 5432, critical: true, every: 1s }
`,
    });
  });
  afterAll(async () => {
    await daemon?.stop();
  });

  it('/readyz stays open, but its verbose list (check names and errors) needs a read token', async () => {
    expect((await fetch(`${daemon.url}/readyz`)).status).not.toBe(401);
    expect((await fetch(`${daemon.url}/readyz?verbose`)).status).toBe(401);
    await expect
      .poll(async () => (await fetch(`${daemon.url}/readyz?verbose`, { headers: bearer(reader.token) })).text(), {
        timeout: 10_000,
      })
      .toMatch(/\[\+\]started ok/);
  });

  it(
    'one principal cannot hold more than maxPerPrincipal sessions: its least recently used idle one is ' + 'closed',
    async () => {
      const open = async () => {
        const r = await fetch(`${daemon.url}/mcp`, {
          method: 'POST',
          headers: { ...MCP_HEADERS, ...bearer(reader.token) },
          body: INIT,
        });
        expect(r.status).toBe(200);
        await r.text();
        return r.headers.get('mcp-session-id')!;
      };
      const first = await open();
      await open();
      await open();
      const ping = await fetch(`${daemon.url}/mcp`, {
        method: 'POST',
        headers: {
          ...MCP_HEADERS,
          ...bearer(reader.token),
          'mcp-session-id': first,
          'mcp-protocol-version': '2025-06-18',
        },
        body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'ping' }),
      });
      expect(ping.status).toBe(404);
    },
  );

  it('invalid tokens from one address are throttled with 429 and Retry-After', async () => {
    let last: Response | undefined;
    for (let i = 0; i < 101; i++) {
      last = await fetch(`${daemon.url}/health`, { headers: bearer(`guess-${i}`) });
      await last.arrayBuffer();
    }
    expect(last!.status).toBe(429);
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});

describe('shutdown ends live /events streams at once', () => {
  it('an open status stream does not hold SIGTERM for the grace period', async () => {
    const daemon = await startDaemon({ config: 'http:\n  shutdownGrace: 20s\n' });
    const ended = new Promise<void>((resolve, reject) => {
      const req = httpRequest(`${daemon.url}/events`, { headers: { accept: 'text/event-stream' } }, (res) => {
        res.on('data', () => {});
        res.on('end', () => resolve());
        res.on('error', () => resolve());
      });
      req.on('error', reject);
      req.end();
    });
    await new Promise((r) => setTimeout(r, 500));
    const started = Date.now();
    const code = await daemon.stop('SIGTERM');
    await ended;
    expect(code).toBe(0);
    // Well inside the 20 s grace: the stream was ended when shutdown began, not cut at the deadline.
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(daemon.stderr()).not.toMatch(/"level":"error"/);
  });
});
