import pg from 'pg';
import { afterEach, beforeAll, afterAll, describe, expect, it } from 'vitest';
import { FaultProxy } from '../../support/fault-proxy.js';
import { pollUntil } from '../../support/wait.js';
import { expectFailedWithin, expectFailsThenRecovers, makeCheck, PG, timedRun, type Harness } from './helpers.js';

const TIMEOUT = 1500;
const url = (port = PG.port, db = 'test', user = 'postgres', password = '') =>
  `postgres://${user}${password ? `:${password}` : ''}@127.0.0.1:${port}/${db}`;

/** A plain client of the test's own, to compare what the probe reports with what the server says. */
let reference: pg.Client;
beforeAll(async () => {
  reference = new pg.Client({ connectionString: url() });
  await reference.connect();
});
afterAll(async () => {
  await reference?.end();
});

const open: Harness[] = [];
const proxies: FaultProxy[] = [];
async function check(raw: Record<string, unknown>): Promise<Harness> {
  const h = await makeCheck({ kind: 'postgres', timeout: TIMEOUT, ...raw });
  open.push(h);
  return h;
}
async function proxy(): Promise<FaultProxy> {
  const p = await FaultProxy.start(PG);
  proxies.push(p);
  return p;
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((h) => h.check.close()));
  await Promise.all(proxies.splice(0).map((p) => p.close()));
});

describe('postgres check against the real server', () => {
  it('healthy: SELECT 1 latency, version, connections against max_connections, role', async () => {
    const h = await check({ url: url() });
    const r = await timedRun(h.check);
    expect(r.outcome.status).toBe('pass');
    const inst = r.outcome.instances[0]!;
    const { rows } = await reference.query<{ version: string; max: number }>(
      `SELECT current_setting('server_version') AS version, current_setting('max_connections')::int AS max`,
    );
    expect(inst.info).toEqual({ version: rows[0]!.version, role: 'primary' });
    expect(inst.values.maxConnections).toBe(rows[0]!.max);
    // At least the probe's own connection and the reference client are client backends.
    expect(inst.values.connections).toBeGreaterThanOrEqual(2);
    expect(inst.values.connectionsRatio).toBeCloseTo(inst.values.connections! / inst.values.maxConnections!, 10);
    expect(inst.values.responseTimeSeconds).toBeGreaterThan(0);
    expect(inst.values.replicationLagSeconds).toBeUndefined();
    expect(r.state.latencySeconds).toBe(inst.values.responseTimeSeconds);
  });

  it('connections above the warn ratio make a passing run warn, above fail make it fail', async () => {
    const warn = await check({ url: url(), connections: { warn: '1%', fail: '100%' } });
    const w = await timedRun(warn.check);
    expect(w.outcome.status).toBe('warn');
    expect(w.outcome.warnings.join()).toMatch(/connections \d+\/\d+ at or above 1%/);
    const fail = await check({ url: url(), connections: { warn: '1%', fail: '1%' } });
    const f = await timedRun(fail.check);
    expect(f.outcome.status).toBe('fail');
    expect(f.outcome.error).toMatch(/at or above 1%/);
  });

  it('a user query is checked against its expected row count', async () => {
    const ok = await check({ url: url(), query: { sql: 'SELECT generate_series(1, 3)', expectRows: 3 } });
    const r = await timedRun(ok.check);
    expect(r.outcome.status).toBe('pass');
    expect(r.outcome.instances[0]!.values.queryRows).toBe(3);
    const bad = await check({ url: url(), query: { sql: 'SELECT generate_series(1, 3)', expectRows: 2 } });
    const b = await timedRun(bad.check);
    expect(b.outcome.status).toBe('fail');
    expect(b.outcome.error).toBe('query returned 3 rows, expected 2');
  });

  it(
    'wrong password: this server trusts 127.0.0.1, so a wrong password for a real role is accepted, and a role ' +
      'that does not exist is refused',
    async () => {
      // pg_hba.conf here is `host all all 127.0.0.1/32 trust` and must not be changed for a test, so the
      // server never asks for a password. What it does reject is an unknown role (SQLSTATE 28000).
      const trusted = await check({ url: url(PG.port, 'test', 'postgres', 'definitely-wrong') });
      expect((await timedRun(trusted.check)).outcome.status).toBe('pass');
      const unknownRole = await check({ url: url(PG.port, 'test', 'no_such_role_vitals', 'definitely-wrong') });
      const r = await timedRun(unknownRole.check);
      expectFailedWithin(r, TIMEOUT, /^role does not exist$/);
      expect(JSON.stringify(r.state)).not.toContain('definitely-wrong');
      expect(r.state.instances![0]!.target).toBe(`postgres://no_such_role_vitals:***@127.0.0.1:${PG.port}/test`);
    },
  );

  it('unknown database', async () => {
    const h = await check({ url: url(PG.port, 'no_such_db_vitals') });
    expectFailedWithin(await timedRun(h.check), TIMEOUT, /^database does not exist$/);
  });

  it('the postgres database works too', async () => {
    const h = await check({ url: url(PG.port, 'postgres') });
    expect((await timedRun(h.check)).outcome.status).toBe('pass');
  });
});

describe('postgres check through the fault proxy', () => {
  it('pass-through is healthy', async () => {
    const p = await proxy();
    const h = await check({ url: url(p.port) });
    expect((await timedRun(h.check)).outcome.status).toBe('pass');
    expect(p.accepted).toBe(1);
  });

  it('refused: fails fast with the reason', async () => {
    const p = await proxy();
    const h = await check({ url: url(p.port) });
    await timedRun(h.check);
    await p.refuse();
    expectFailedWithin(await timedRun(h.check), TIMEOUT, /connection refused|terminated|closed/);
    // The pooled connection was cut too; the next round has nowhere to connect.
    expectFailedWithin(await timedRun(h.check), TIMEOUT, /^connection refused$/);
  });

  it('black-holed on connect: fails at the timeout and leaves no socket behind', async () => {
    const p = await proxy();
    await p.blackhole();
    const h = await check({ url: url(p.port) });
    const r = await timedRun(h.check);
    expectFailedWithin(r, TIMEOUT, new RegExp(`^timed out after ${TIMEOUT}ms$`));
    expect(r.ms).toBeGreaterThanOrEqual(TIMEOUT * 0.95);
    expect(await pollUntil(() => p.open === 0, Boolean, 2000)).toBe(true);
  });

  it(
    'black-holed mid-session (pooled connection goes silent): fails at the timeout and drops that ' + 'connection',
    async () => {
      const p = await proxy();
      const h = await check({ url: url(p.port) });
      expect((await timedRun(h.check)).outcome.status).toBe('pass');
      expect(p.open).toBe(1);
      await p.blackhole();
      const r = await timedRun(h.check);
      expectFailedWithin(r, TIMEOUT, /timed out/);
      // A wedged client must be destroyed, not handed out again by the pool.
      expect(await pollUntil(() => p.open === 0, Boolean, 2000)).toBe(true);
      await p.restore();
      expect((await timedRun(h.check)).outcome.status).toBe('pass');
    },
  );

  it(
    'delayed beyond the timeout fails at the timeout; a smaller delay passes, slower, and warns over ' +
      'maxResponseTime',
    async () => {
      const p = await proxy();
      await p.delay(TIMEOUT * 2);
      const slow = await check({ url: url(p.port) });
      expectFailedWithin(await timedRun(slow.check), TIMEOUT, /timed out/);
      await p.delay(60);
      const h = await check({ url: url(p.port), maxResponseTime: '100ms' });
      const r = await timedRun(h.check);
      expect(r.outcome.status).toBe('warn');
      // Startup and SELECT 1 each cross the proxy both ways at least once.
      expect(r.outcome.instances[0]!.values.responseTimeSeconds).toBeGreaterThanOrEqual(0.2);
      expect(r.outcome.warnings[0]).toMatch(/^response time \d+ms above 100ms$/);
    },
  );

  it('reset mid-query: the pooled connection is reset while SELECT 1 is in flight', async () => {
    const p = await proxy();
    const h = await check({ url: url(p.port) });
    expect((await timedRun(h.check)).outcome.status).toBe('pass');
    await p.reset();
    const r = await timedRun(h.check);
    expectFailedWithin(r, TIMEOUT, /reset|terminated|closed/i);
    expect(p.resets).toBeGreaterThanOrEqual(1);
  });

  for (const fault of ['refuse', 'blackhole', 'reset'] as const) {
    const title = `recovers by itself after ${fault}: fail after failureThreshold rounds, pass after successThreshold`;
    it(title, async () => {
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

  it('the breaker opens after its failures, says why, and runs no probe while open', async () => {
    const p = await proxy();
    await p.refuse();
    const h = await check({ url: url(p.port), breaker: { failures: 2, cooldown: '1m' } });
    await timedRun(h.check);
    await timedRun(h.check);
    expect(h.check.state.breaker).toBe('open');
    await p.restore();
    const r = await timedRun(h.check);
    expect(r.ms).toBeLessThan(50);
    expect(p.accepted).toBe(0);
    expect(r.outcome.error).toMatch(
      /^circuit open after 2 failed runs \(last: connection refused\); next try in \d+s$/,
    );
    expect(h.events.some((e) => e.type === 'breaker' && e.to === 'open')).toBe(true);
  });
});
