import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaultProxy } from '../support/fault-proxy.js';
import { waitUntil } from '../support/wait.js';
import { OVERALL_WORD, startDaemon, statusOf, type Daemon, type Json } from './support.js';

const INTERVAL = 500;
const TIMEOUT = 600;

describe('scenario: PostgreSQL black-holed through the fault proxy, then restored', () => {
  let proxy: FaultProxy;
  let d: Daemon;
  const truth = { cutAt: 0, restoreAt: 0, passSeenAt: 0 };

  beforeAll(async () => {
    proxy = await FaultProxy.start({ host: '127.0.0.1', port: 5432 });
    d = await startDaemon(`
host: { interval: 500ms }
checks:
  - name: orders-db
    kind: postgres
    url: postgres://postgres@127.0.0.1:${proxy.port}/postgres
    critical: true
    every: ${INTERVAL}ms
    timeout: ${TIMEOUT}ms
    failureThreshold: 2
    successThreshold: 2
    breaker: { failures: 1000, cooldown: 1s }
`);
    await waitUntil(async () => (await statusOf(d, 'orders-db')) === 'pass', 'orders-db to pass', 15_000);
  });

  afterAll(async () => {
    await d?.close();
    await proxy?.close();
  });

  it('a hang is a failure that began with the first run that hung', async () => {
    truth.cutAt = Date.now();
    await proxy.blackhole();
    await waitUntil(async () => (await statusOf(d, 'orders-db')) === 'fail', 'orders-db to fail', 15_000);

    const deps = await d.call('check_dependencies', { names: ['orders-db'] });
    const c = deps.data.checks[0] as Json;
    expect(c.lastError).toMatch(/timed out after 600ms/);
    const start = Date.parse(c.problemSince);
    // A round already in flight when the cut came began at most a timeout before it.
    expect(start).toBeGreaterThanOrEqual(truth.cutAt - TIMEOUT - 100);
    expect(start).toBeLessThanOrEqual(truth.cutAt + INTERVAL + 100);
    expect(deps.text).toMatch(/^- orders-db \(postgres, critical\): failed since \d\d:\d\d:\d\d, \d+m?s ago — /);

    const r = await d.call('diagnose', { window: '15m' });
    const inc = (r.data.incidents as Json[]).find((i) => i.check === 'orders-db')!;
    expect(inc).toMatchObject({ start: c.problemSince, ongoing: true });
    const health = await d.call('health_check', {});
    expect(r.data.status).toBe(health.data.status);
    expect(r.text.split('\n')[0]).toBe(`${health.data.hostname} is ${OVERALL_WORD[health.data.status]}: 1 failed now`);
    // Minutes of data: no trend, no disk-full ETA, and the analysis says so.
    expect(r.data.findings.filter((f: Json) => f.kind === 'disk_full_eta')).toEqual([]);
    expect(r.text).toMatch(/no disk-full ETA: less than 10m of samples/);
  });

  it('restored, the finished incident has an end between the restore and the first pass seen', async () => {
    truth.restoreAt = Date.now();
    await proxy.restore();
    await waitUntil(async () => (await statusOf(d, 'orders-db')) === 'pass', 'orders-db to recover', 20_000);
    truth.passSeenAt = Date.now();

    const r = await d.call('diagnose', { check: 'orders-db', window: '15m' });
    const inc = (r.data.incidents as Json[])[0]!;
    expect(inc).toMatchObject({ check: 'orders-db', ongoing: false });
    const end = Date.parse(inc.end);
    expect(end).toBeGreaterThanOrEqual(truth.restoreAt - TIMEOUT - 100);
    expect(end).toBeLessThanOrEqual(truth.passSeenAt);
    expect(r.text.split('\n')[0]).toMatch(/^orders-db is ok now \(.*\); 1 incident ended in the last 15m: failed /);
  });
});
