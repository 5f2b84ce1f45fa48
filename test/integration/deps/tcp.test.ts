import { createServer, type Server } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { FaultProxy } from '../../support/fault-proxy.js';
import {
  expectFailedWithin,
  expectFailsThenRecovers,
  makeCheck,
  PG,
  REDIS,
  timedRun,
  type Harness,
} from './helpers.js';
import { create } from '../../../src/probes/deps/tcp.js';
import { selfSigned } from './servers.js';

const TIMEOUT = 1500;

const open: Harness[] = [];
const cleanups: (() => Promise<void>)[] = [];
async function check(raw: Record<string, unknown>): Promise<Harness> {
  const h = await makeCheck({ kind: 'tcp', host: '127.0.0.1', timeout: TIMEOUT, ...raw });
  open.push(h);
  return h;
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((h) => h.check.close()));
  await Promise.all(cleanups.splice(0).map((c) => c()));
});

async function onFreePort(server: Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise((r) => server.close(() => r())));
  return (server.address() as { port: number }).port;
}

/** A TLS server of the test's own (certificate from openssl) that answers the handshake and nothing else. */
async function tlsServer(days = 30) {
  const cert = selfSigned(days);
  const server = createTlsServer({ key: cert.key, cert: cert.cert }, (s) => s.on('error', () => {}));
  return { cert, port: await onFreePort(server) };
}

async function proxyTo(port: number): Promise<FaultProxy> {
  const p = await FaultProxy.start({ host: '127.0.0.1', port });
  cleanups.push(() => p.close());
  return p;
}

describe('tcp check against the real servers', () => {
  it('PostgreSQL and Redis ports accept: connect time is the response time', async () => {
    for (const port of [PG.port, REDIS.port]) {
      const r = await timedRun((await check({ port })).check);
      expect(r.outcome.status).toBe('pass');
      const v = r.outcome.instances[0]!.values;
      expect(v.connectSeconds).toBeGreaterThan(0);
      expect(v.responseTimeSeconds).toBe(v.connectSeconds);
      expect(r.state.instances![0]!.target).toBe(`127.0.0.1:${port}`);
    }
  });

  it('several instances: all up pass, some down warn, none up fail, each instance kept', async () => {
    const refusedPort = await (async () => {
      const s = createServer();
      const port = await onFreePort(s);
      await new Promise((r) => s.close(r));
      return port;
    })();
    const up = { host: '127.0.0.1', port: PG.port };
    const down = { host: '127.0.0.1', port: refusedPort };
    const all = await timedRun(
      (
        await check({
          host: undefined,
          instances: [
            { name: 'a', ...up },
            { name: 'b', ...up },
          ],
        })
      ).check,
    );
    expect(all.outcome.status).toBe('pass');
    const some = await timedRun(
      (
        await check({
          host: undefined,
          instances: [
            { name: 'a', ...up },
            { name: 'b', ...down },
          ],
        })
      ).check,
    );
    expect(some.outcome.status).toBe('warn');
    expect(some.outcome.instances.map((i) => [i.name, i.ok])).toEqual([
      ['a', true],
      ['b', false],
    ]);
    expect(some.outcome.error).toBe('b: connection refused');
    const none = await timedRun((await check({ host: undefined, instances: [{ ...down }, { ...down }] })).check);
    expect(none.outcome.status).toBe('fail');
    expect(none.outcome.instances.map((i) => i.name)).toEqual(['dep-1', 'dep-2']);
  });
});

describe('tcp check with TLS', () => {
  it('handshake time and certificate days left; near expiry warns or fails', async () => {
    const { cert, port } = await tlsServer(30);
    const r = await timedRun((await check({ port, tls: { ca: cert.cert, servername: 'localhost' } })).check);
    expect(r.outcome.status, r.outcome.error).toBe('pass');
    const v = r.outcome.instances[0]!.values;
    expect(v.tlsSeconds).toBeGreaterThanOrEqual(0);
    expect(v.responseTimeSeconds).toBeCloseTo(v.connectSeconds! + v.tlsSeconds!, 6);
    expect(v.certExpiryTimestampSeconds).toBe(cert.notAfter);
    const soon = await tlsServer(5);
    const fail = await timedRun(
      (await check({ port: soon.port, tls: { ca: soon.cert.certPath, servername: 'localhost' } })).check,
    );
    expectFailedWithin(fail, TIMEOUT, /^TLS certificate expires in (4\.9|5\.0) days$/);
    const warn = await timedRun(
      (await check({ port: soon.port, tls: { ca: soon.cert.cert, servername: 'localhost', certFailDays: 1 } })).check,
    );
    expect(warn.outcome.status).toBe('warn');
  });

  it('an untrusted certificate fails unless verification is skipped', async () => {
    const { port } = await tlsServer();
    expect((await timedRun((await check({ port, tls: true })).check)).outcome.error).toBe(
      'TLS certificate is self-signed',
    );
    expect((await timedRun((await check({ port, tls: { insecureSkipVerify: true } })).check)).outcome.status).toBe(
      'pass',
    );
  });
});

describe('tcp check through the fault proxy', () => {
  it('refused', async () => {
    const p = await proxyTo(REDIS.port);
    await p.refuse();
    expectFailedWithin(await timedRun((await check({ port: p.port })).check), TIMEOUT, /^connection refused$/);
  });

  it('black-holed: a plain connect still succeeds (the proxy accepts), which is all a tcp check can see', async () => {
    // The kernel completes the handshake before any process sees the connection, so only a TLS check can
    // tell an accepting black hole from a live service. Documented, not papered over.
    const p = await proxyTo(REDIS.port);
    await p.blackhole();
    expect((await timedRun((await check({ port: p.port })).check)).outcome.status).toBe('pass');
  });

  it('black-holed with TLS: the handshake never completes and the check fails at the timeout', async () => {
    const { port } = await tlsServer();
    const p = await proxyTo(port);
    await p.blackhole();
    const r = await timedRun((await check({ port: p.port, tls: { insecureSkipVerify: true } })).check);
    expectFailedWithin(r, TIMEOUT, new RegExp(`^timed out after ${TIMEOUT}ms$`));
    expect(r.ms).toBeGreaterThanOrEqual(TIMEOUT * 0.95);
  });

  it('delayed with TLS: beyond the timeout fails, below it passes with the delay in the handshake', async () => {
    const { port } = await tlsServer();
    const p = await proxyTo(port);
    const h = await check({ port: p.port, tls: { insecureSkipVerify: true } });
    await p.delay(TIMEOUT * 2);
    expectFailedWithin(await timedRun(h.check), TIMEOUT, /timed out/);
    await p.delay(100);
    const r = await timedRun(h.check);
    expect(r.outcome.status, r.outcome.error).toBe('pass');
    expect(r.outcome.instances[0]!.values.tlsSeconds).toBeGreaterThanOrEqual(0.2);
  });

  it('reset during the TLS handshake', async () => {
    const { port } = await tlsServer();
    const p = await proxyTo(port);
    await p.reset();
    expectFailedWithin(
      await timedRun((await check({ port: p.port, tls: { insecureSkipVerify: true } })).check),
      TIMEOUT,
      /reset|closed|disconnected/i,
    );
    expect(p.resets).toBe(1);
  });

  for (const fault of ['refuse', 'reset'] as const) {
    it(`recovers by itself after ${fault}`, async () => {
      const { port } = await tlsServer();
      const p = await proxyTo(port);
      const h = await check({
        port: p.port,
        tls: { insecureSkipVerify: true },
        failureThreshold: 2,
        successThreshold: 2,
      });
      expect((await timedRun(h.check)).state.status).toBe('pass');
      await expectFailsThenRecovers(
        h,
        () => p[fault](),
        () => p.restore(),
        { failure: 2, success: 2 },
      );
    });
  }

  it('a run told of its abort by signal or by hook ends at once with the same answer', async () => {
    const { port } = await tlsServer();
    const p = await proxyTo(port);
    await p.blackhole();
    const probe = create({ host: '127.0.0.1', port: p.port, tls: { insecureSkipVerify: true } } as never);
    const bySignal = probe.run(AbortSignal.timeout(100));
    let abort: (() => void) | undefined;
    const byHook = probe.runWithHook!({ aborted: false, onAbort: (l) => (abort = l) });
    setTimeout(() => abort?.(), 100);
    const t0 = performance.now();
    const answers = await Promise.all([bySignal, byHook]);
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(answers).toEqual([
      { ok: false, values: {}, error: 'timed out' },
      { ok: false, values: {}, error: 'timed out' },
    ]);
    // Already abandoned before it started: no connection is kept waiting.
    const late = await probe.runWithHook!({ aborted: true, onAbort: (l) => l() });
    expect(late).toEqual({ ok: false, values: {}, error: 'timed out' });
  });
});
