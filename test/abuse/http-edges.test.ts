import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeToken, startDaemon, type Daemon } from '../support/http-daemon.js';
import { nonJsonLines } from './stdio-daemon.js';

const SECRET = 'an-hs256-secret-of-at-least-32-characters!';
const ISSUER = 'https://idp.abuse.test';
const reader = makeToken();

async function jwt(expiresInSeconds: number): Promise<string> {
  return new SignJWT({ scope: 'vitals:read' })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(ISSUER)
    .setAudience('mcp-vitals')
    .setSubject('long-lived')
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + expiresInSeconds)
    .sign(new TextEncoder().encode(SECRET));
}

/** Opens /events; resolves once the first snapshot arrived, with a promise for the stream's end. */
function openStream(
  url: string,
  token: string,
): Promise<{ status: number; ended: Promise<number>; close: () => void }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      `${url}/events`,
      { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' } },
      (res) => {
        const ended = new Promise<number>((r) => {
          res.on('end', () => r(Date.now()));
          res.on('close', () => r(Date.now()));
        });
        if (res.statusCode !== 200) {
          res.resume();
          resolve({ status: res.statusCode!, ended, close: () => req.destroy() });
          return;
        }
        let text = '';
        res.on('data', (d) => {
          text += d;
          if (text.includes('event: snapshot')) resolve({ status: 200, ended, close: () => req.destroy() });
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('HTTP edges: tokens, timers and timeouts', () => {
  let daemon: Daemon;
  beforeAll(async () => {
    daemon = await startDaemon({
      config: `
http:
  timeouts: { headers: 2s, request: 3s }
  auth:
    tokens: [{ subject: reader, sha256: ${reader.sha256}, scopes: [vitals:read] }]
    jwt: { secret: "${SECRET}", issuer: "${ISSUER}", audience: mcp-vitals }
`,
    });
  });
  afterAll(async () => {
    expect(await daemon?.stop()).toBe(0);
    // Nothing but JSON log lines on stderr: no TimeoutOverflowWarning or any other Node text.
    expect(nonJsonLines(daemon.stderr())).toEqual([]);
  });

  it('a JWT valid for 60 days keeps its /events stream open (finding 4)', async () => {
    const s = await openStream(daemon.url, await jwt(60 * 86_400));
    expect(s.status).toBe(200);
    const early = await Promise.race([
      s.ended.then(() => 'ended'),
      new Promise((r) => setTimeout(() => r('open'), 2500)),
    ]);
    expect(early).toBe('open');
    s.close();
    expect(daemon.stderr()).not.toMatch(/TimeoutOverflowWarning/);
  });

  it('a JWT that expires in 2 s ends its stream then', async () => {
    const opened = Date.now();
    const s = await openStream(daemon.url, await jwt(2));
    expect(s.status).toBe(200);
    const end = await s.ended;
    expect(end - opened).toBeGreaterThan(500);
    expect(end - opened).toBeLessThan(6000);
  });

  it('a valid token still works after 200 invalid ones from the same address (finding 8)', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 200; i++) {
      const r = await fetch(`${daemon.url}/health`, { headers: { authorization: `Bearer guess-${i}` } });
      await r.arrayBuffer();
      statuses.push(r.status);
    }
    // The first 100 are told 401, the rest are throttled.
    expect(statuses.slice(0, 100).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(100).every((s) => s === 429)).toBe(true);
    const ok = await fetch(`${daemon.url}/health`, { headers: { authorization: `Bearer ${reader.token}` } });
    expect([200, 503]).toContain(ok.status);
    expect(((await ok.json()) as { status: string }).status).toMatch(/pass|warn|fail/);
    const viaJwt = await fetch(`${daemon.url}/health`, { headers: { authorization: `Bearer ${await jwt(600)}` } });
    expect([200, 503]).toContain(viaJwt.status);
    // A refusal metric counts them.
    const metrics = await (
      await fetch(`${daemon.url}/metrics`, { headers: { authorization: `Bearer ${reader.token}` } })
    ).text();
    expect(
      Number(/vitals_limit_refusals_total\{[^}]*limit="invalid_tokens"[^}]*\} (\d+)/.exec(metrics)?.[1]),
    ).toBeGreaterThanOrEqual(100);
  });

  it('a slowloris client is cut at the header timeout (2 s), not up to 30 s later (finding 7)', async () => {
    const started = Date.now();
    const closedAt = await new Promise<number>((resolve, reject) => {
      const socket = connect(daemon.port, '127.0.0.1', () => {
        socket.write('GET /livez HTTP/1.1\r\nHost: 127.0.0.1\r\n');
        const drip = setInterval(() => socket.writable && socket.write(`X-Drip-${Date.now()}: 1\r\n`), 300);
        socket.on('close', () => (clearInterval(drip), resolve(Date.now())));
      });
      socket.on('error', () => undefined);
      setTimeout(() => reject(new Error('socket still open after 8 s')), 8000).unref();
    });
    expect(closedAt - started).toBeGreaterThanOrEqual(1900);
    expect(closedAt - started).toBeLessThan(3500);
  });

  it('a stalled body gets 408 at the request timeout (3 s) (finding 7)', async () => {
    const started = Date.now();
    const answer = await new Promise<string>((resolve) => {
      const socket = connect(daemon.port, '127.0.0.1', () => {
        socket.write(
          `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${reader.token}\r\nContent-Type: ` +
            `application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: ` +
            `1000\r\n\r\n{"jsonrpc":`,
        );
      });
      let text = '';
      socket.on('data', (d) => (text += d));
      socket.on('close', () => resolve(text));
      socket.on('error', () => undefined);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(Date.now() - started).toBeLessThan(4500);
  });
});

describe('live stream bound', () => {
  let daemon: Daemon;
  beforeAll(async () => {
    daemon = await startDaemon({
      config:
        `limits: { eventStreamsPerPrincipal: 2 }\nhttp:\n  auth:\n    tokens: [{ subject: reader, ` +
        `sha256: ${reader.sha256}` +
        `, scopes: [vitals:read] }]\n`,
    });
  });
  afterAll(async () => {
    expect(await daemon?.stop()).toBe(0);
  });

  it('past limits.eventStreamsPerPrincipal a third /events stream gets 429', async () => {
    const a = await openStream(daemon.url, reader.token);
    const b = await openStream(daemon.url, reader.token);
    const c = await openStream(daemon.url, reader.token);
    expect([a.status, b.status, c.status]).toEqual([200, 200, 429]);
    a.close();
    b.close();
  });
});
