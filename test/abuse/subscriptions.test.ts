import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MCP_HEADERS, postMcp, rssBytes, startDaemon, type Daemon } from '../support/http-daemon.js';

const INIT = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'abuse', version: '1' } },
});
const MiB = 1024 * 1024;
// The flood's daemon runs with its V8 old space capped: a kept 1 MB URI fills it within ~60 attempts and the
// daemon dies of heap exhaustion, while garbage only makes V8 collect sooner. That makes "nothing is kept"
// a hard failure instead of a reading of RSS that waits on V8's memory reducer (a minute and more under load).
const HEAP_CAP_MIB = 96;

let id = 100;

async function openSession(daemon: Daemon): Promise<string> {
  const r = await fetch(`${daemon.url}/mcp`, { method: 'POST', headers: MCP_HEADERS, body: INIT });
  const session = r.headers.get('mcp-session-id')!;
  await r.text();
  await postMcp(daemon.url, JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }), {
    'mcp-session-id': session,
    'mcp-protocol-version': '2025-06-18',
  });
  return session;
}

function subscriber(daemon: Daemon) {
  return (session: string, uri: string) =>
    postMcp(daemon.url, JSON.stringify({ jsonrpc: '2.0', id: ++id, method: 'resources/subscribe', params: { uri } }), {
      'mcp-session-id': session,
      'mcp-protocol-version': '2025-06-18',
    });
}

describe('resources/subscribe with the default limits (finding 2)', () => {
  let daemon: Daemon;
  let subscribe: ReturnType<typeof subscriber>;
  beforeAll(async () => {
    daemon = await startDaemon({
      config: 'http:\n  rateLimit: { max: 1000000 }\n',
      env: { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --max-old-space-size=${HEAP_CAP_MIB}`.trim() },
    });
    subscribe = subscriber(daemon);
  });
  afterAll(async () => {
    expect(await daemon?.stop()).toBe(0);
  });

  it('a URI over 2048 bytes, and a URI that is no resource of ours, are refused and kept nowhere', async () => {
    const s = await openSession(daemon);
    const long = await subscribe(s, `vitals://checks/${'a'.repeat(3000)}`);
    expect(long.json.error).toMatchObject({
      code: -32602,
      message: expect.stringMatching(/longer than the limit of 2048 bytes/),
    });
    const foreign = await subscribe(s, 'file:///etc/passwd');
    expect(foreign.json.error).toMatchObject({ code: -32602, message: expect.stringMatching(/unknown resource/) });
    const metrics = await (await fetch(`${daemon.url}/metrics`)).text();
    expect(
      Number(/vitals_limit_refusals_total\{[^}]*limit="uri_bytes"[^}]*\} (\d+)/.exec(metrics)?.[1]),
    ).toBeGreaterThanOrEqual(1);
  });

  it('1,000 subscribe attempts with 1 MB URIs keep nothing: served on a 96 MiB heap, RSS never +50 MiB', async () => {
    const sessions = [await openSession(daemon), await openSession(daemon)];
    const pad = 'x'.repeat(1_000_000);
    const attempt = (i: number) => subscribe(sessions[i % 2]!, `vitals://checks/${i}-${pad}`);
    for (let i = 0; i < 20; i++) await attempt(i); // warm up: buffers and code paths in place
    const before = rssBytes(daemon.pid);
    let refused = 0;
    let peak = before;
    for (let i = 0; i < 1000; i += 4) {
      const rs = await Promise.all([attempt(i), attempt(i + 1), attempt(i + 2), attempt(i + 3)]);
      refused += rs.filter((r) => r.json?.error?.code === -32602).length;
      peak = Math.max(peak, rssBytes(daemon.pid));
    }
    expect(refused).toBe(1000);
    // Still serving after a gigabyte of bodies: a daemon that kept them would have died at the heap cap.
    expect((await fetch(`${daemon.url}/livez`)).status).toBe(200);
    console.info(
      `subscribe flood: RSS ${(before / MiB).toFixed(1)} MiB before, at most ${(peak / MiB).toFixed(1)} during ` +
        `1,000 × 1 MB URIs, ${(rssBytes(daemon.pid) / MiB).toFixed(1)} after ` +
        `(V8 old space capped at ${HEAP_CAP_MIB} MiB)`,
    );
    expect(peak - before).toBeLessThan(50 * MiB);
  }, 150_000);
});

describe('resources/subscribe per session and per principal', () => {
  let daemon: Daemon;
  let subscribe: ReturnType<typeof subscriber>;
  beforeAll(async () => {
    daemon = await startDaemon({
      config:
        'limits: { subscriptionsPerSession: 3, subscriptionsPerPrincipal: 5 }\nhttp:\n  rateLimit: { max: 1000000 }\n',
    });
    subscribe = subscriber(daemon);
  });
  afterAll(async () => {
    expect(await daemon?.stop()).toBe(0);
  });

  it('per session and per principal across sessions; a deleted session gives its share back', async () => {
    const a = await openSession(daemon);
    for (const uri of ['vitals://health', 'vitals://events', 'vitals://checks/cpu'])
      expect((await subscribe(a, uri)).json.result).toEqual({});
    // The same URI again is no new subscription.
    expect((await subscribe(a, 'vitals://health')).json.result).toEqual({});
    const fourth = await subscribe(a, 'vitals://checks/memory');
    expect(fourth.json.error).toMatchObject({
      message: expect.stringMatching(/too many subscriptions in this session \(limit 3\)/),
    });

    const b = await openSession(daemon);
    expect((await subscribe(b, 'vitals://health')).json.result).toEqual({});
    expect((await subscribe(b, 'vitals://events')).json.result).toEqual({});
    const sixth = await subscribe(b, 'vitals://checks/cpu');
    expect(sixth.json.error).toMatchObject({
      message: expect.stringMatching(/too many subscriptions for this principal across its sessions \(limit 5\)/),
    });

    const del = await fetch(`${daemon.url}/mcp`, {
      method: 'DELETE',
      headers: { 'mcp-session-id': a, 'mcp-protocol-version': '2025-06-18' },
    });
    expect(del.status).toBe(200);
    await expect
      .poll(async () => (await subscribe(b, 'vitals://checks/cpu')).json.result, { timeout: 5000 })
      .toEqual({});

    const metrics = await (await fetch(`${daemon.url}/metrics`)).text();
    for (const limit of ['subscriptions_per_session', 'subscriptions_per_principal']) {
      expect(
        Number(new RegExp(`vitals_limit_refusals_total\\{[^}]*limit="${limit}"[^}]*\\} (\\d+)`).exec(metrics)?.[1]),
        limit,
      ).toBeGreaterThanOrEqual(1);
    }
  });
});
