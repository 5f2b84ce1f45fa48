import { connect } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseTarget } from '../../../src/probes/deps/redis.js';
import { FaultProxy } from '../../support/fault-proxy.js';
import { pollUntil, sleep } from '../../support/wait.js';
import { expectFailedWithin, expectFailsThenRecovers, makeCheck, REDIS, timedRun, type Harness } from './helpers.js';

const TIMEOUT = 1500;
const url = (port = REDIS.port, o: { auth?: string; db?: number } = {}) =>
  `redis://${o.auth ? `${o.auth}@` : ''}127.0.0.1:${port}${o.db !== undefined ? `/${o.db}` : ''}`;

/** Sends raw RESP commands on a fresh socket: the test's own view of what the server says. */
function raw(command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(REDIS.port, REDIS.host, () => s.write(`${command}\r\n`));
    let out = '';
    s.on('data', (d) => {
      out += d;
      if (out.endsWith('\r\n') && (!out.startsWith('$') || out.split('\r\n').length > 2)) {
        s.end();
        resolve(out);
      }
    });
    s.on('error', reject);
  });
}

const open: Harness[] = [];
const proxies: FaultProxy[] = [];
async function check(raw: Record<string, unknown>): Promise<Harness> {
  const h = await makeCheck({ kind: 'redis', timeout: TIMEOUT, ...raw });
  open.push(h);
  return h;
}
async function proxy(): Promise<FaultProxy> {
  const p = await FaultProxy.start(REDIS);
  proxies.push(p);
  return p;
}
afterEach(async () => {
  vi.restoreAllMocks();
  await Promise.all(open.splice(0).map((h) => h.check.close()));
  await Promise.all(proxies.splice(0).map((p) => p.close()));
});

describe('redis URL handling', () => {
  it('takes credentials and database out of the URL so the probe sends them itself', () => {
    expect(parseTarget('redis://u:p%40ss@127.0.0.1:6379/3')).toEqual({
      url: 'redis://127.0.0.1:6379',
      username: 'u',
      password: 'p@ss',
      db: 3,
    });
    expect(parseTarget('redis://:pw@127.0.0.1:6379')).toEqual({ url: 'redis://127.0.0.1:6379', password: 'pw', db: 0 });
    expect(parseTarget('rediss://127.0.0.1:6380?password=x&family=4')).toEqual({
      url: 'rediss://127.0.0.1:6380?family=4',
      password: 'x',
      db: 0,
    });
  });
});

describe('redis check against the real server', () => {
  it('healthy: PING latency, role, version, memory, clients as INFO says', async () => {
    const h = await check({ url: url() });
    const r = await timedRun(h.check);
    expect(r.outcome.status).toBe('pass');
    const inst = r.outcome.instances[0]!;
    const info = await raw('INFO server');
    expect(inst.info?.version).toBe(/redis_version:(\S+)/.exec(info)![1]);
    expect(inst.info?.role).toBe('master');
    expect(inst.values.usedMemoryBytes).toBeGreaterThan(0);
    expect(inst.values.connectedClients).toBeGreaterThanOrEqual(1);
    expect(inst.values.responseTimeSeconds).toBeGreaterThan(0);
    const maxmemory = Number(/maxmemory:(\d+)/.exec(await raw('INFO memory'))![1]);
    expect(inst.values.maxMemoryBytes).toBe(maxmemory);
    // With maxmemory 0 (no limit) there is no ratio to judge.
    if (maxmemory === 0) expect(inst.values.memoryRatio).toBeUndefined();
  });

  it(
    'wrong password: the server has no password, rejects AUTH, and the check fails with that reason (no console ' +
      'noise)',
    async () => {
      const warn = vi.spyOn(console, 'warn');
      const stderr = vi.spyOn(process.stderr, 'write');
      // What the server really answers, asked directly.
      expect(await raw('AUTH definitely-wrong')).toMatch(
        /^-ERR AUTH <password> called without any password configured/,
      );
      const h = await check({ url: url(REDIS.port, { auth: ':definitely-wrong' }) });
      const r = await timedRun(h.check);
      expectFailedWithin(r, TIMEOUT, /^authentication failed: a password is configured but the server has none$/);
      expect(JSON.stringify(r.state)).not.toContain('definitely-wrong');
      expect(r.state.instances![0]!.target).toBe(`redis://:***@127.0.0.1:${REDIS.port}`);
      expect(warn).not.toHaveBeenCalled();
      expect(stderr).not.toHaveBeenCalled();
    },
  );

  it('wrong username and password (ACL): WRONGPASS', async () => {
    expect(await raw('AUTH no_such_user definitely-wrong')).toMatch(/^-WRONGPASS/);
    const h = await check({ url: url(REDIS.port, { auth: 'no_such_user:definitely-wrong' }) });
    expectFailedWithin(await timedRun(h.check), TIMEOUT, /^authentication failed: wrong username or password$/);
  });

  it('unknown database: an index past `databases` fails, an existing one passes', async () => {
    const bad = await check({ url: url(REDIS.port, { db: 9999 }) });
    expectFailedWithin(await timedRun(bad.check), TIMEOUT, /^database index out of range$/);
    const good = await check({ url: url(REDIS.port, { db: 2 }) });
    expect((await timedRun(good.check)).outcome.status).toBe('pass');
  });
});

describe('redis check through the fault proxy', () => {
  it('refused: fails fast with the socket error, not a bare "connection closed"', async () => {
    const p = await proxy();
    const h = await check({ url: url(p.port) });
    expect((await timedRun(h.check)).outcome.status).toBe('pass');
    await p.refuse();
    const first = await timedRun(h.check);
    expectFailedWithin(first, TIMEOUT);
    expectFailedWithin(await timedRun(h.check), TIMEOUT, /^connection refused$/);
  });

  it('black-holed: fails at the timeout and closes its socket', async () => {
    const p = await proxy();
    const h = await check({ url: url(p.port) });
    expect((await timedRun(h.check)).outcome.status).toBe('pass');
    await p.blackhole();
    const r = await timedRun(h.check);
    expectFailedWithin(r, TIMEOUT, new RegExp(`^timed out after ${TIMEOUT}ms$`));
    expect(r.ms).toBeGreaterThanOrEqual(TIMEOUT * 0.95);
    expect(await pollUntil(() => p.open === 0, Boolean, 1000)).toBe(true);
    // A fresh connection into the black hole is no different.
    expectFailedWithin(await timedRun(h.check), TIMEOUT, /timed out/);
  });

  it('delayed beyond the timeout fails at the timeout; a small delay passes slower', async () => {
    const p = await proxy();
    await p.delay(TIMEOUT * 2);
    const slow = await check({ url: url(p.port) });
    expectFailedWithin(await timedRun(slow.check), TIMEOUT, /timed out/);
    await p.delay(80);
    const h = await check({ url: url(p.port), maxResponseTime: '100ms' });
    const r = await timedRun(h.check);
    expect(r.outcome.status).toBe('warn');
    expect(r.outcome.instances[0]!.values.responseTimeSeconds).toBeGreaterThanOrEqual(0.16);
  });

  it('reset mid-query: PING reaches the server and the answer is cut by a reset', async () => {
    const p = await proxy();
    const h = await check({ url: url(p.port) });
    expect((await timedRun(h.check)).outcome.status).toBe('pass');
    await p.reset();
    expectFailedWithin(await timedRun(h.check), TIMEOUT, /reset|closed/);
    expect(p.resets).toBe(1);
  });

  it('no reconnect storm: between runs the probe opens no connections of its own', async () => {
    const p = await proxy();
    const h = await check({ url: url(p.port) });
    await p.reset();
    for (let i = 0; i < 3; i++) expect((await timedRun(h.check)).outcome.status).toBe('fail');
    const after = p.accepted;
    expect(after).toBeLessThanOrEqual(3);
    await sleep(2000);
    expect(p.accepted).toBe(after);
  });

  for (const fault of ['refuse', 'blackhole', 'reset'] as const) {
    it(`recovers by itself after ${fault}`, async () => {
      const p = await proxy();
      const h = await check({ url: url(p.port), failureThreshold: 2, successThreshold: 2 });
      expect((await timedRun(h.check)).state.status).toBe('pass');
      await expectFailsThenRecovers(
        h,
        () => p[fault](),
        () => p.restore(),
        { failure: 2, success: 2 },
      );
    });
  }
});
