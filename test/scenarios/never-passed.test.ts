import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, waitUntil } from '../support/wait.js';
import { startDaemon, statusOf, type Daemon, type Json } from './support.js';

describe('scenario: a dependency that never passed', () => {
  let d: Daemon;
  let startedAt = 0;

  beforeAll(async () => {
    // Nothing listens on this port: every run is refused, from the first one on.
    const port = await freePort();
    startedAt = Date.now();
    d = await startDaemon(`
host: { interval: 500ms }
checks:
  - name: orders-db
    kind: postgres
    url: postgres://postgres@127.0.0.1:${port}/postgres
    every: 500ms
    timeout: 500ms
    failureThreshold: 3
`);
    await waitUntil(async () => (await statusOf(d, 'orders-db')) === 'fail', 'orders-db to fail', 15_000);
  });

  afterAll(async () => {
    await d?.close();
  });

  it('is evented and logged from unknown, never from pass, at warn (not critical)', async () => {
    const ev = await d.call('list_events', { check: 'orders-db', window: '5m' });
    expect(ev.data.events).toEqual([
      expect.objectContaining({ check: 'orders-db', type: 'status', from: 'unknown', to: 'fail' }),
    ]);
    expect(ev.text).toMatch(/^- \d\d:\d\d:\d\d orders-db unknown → failed: /m);
    const line = d.logs().find((l) => l.check === 'orders-db' && l.type === 'status');
    expect(line).toMatchObject({ level: 'warn', from: 'unknown', to: 'fail' });
    expect(d.logs().some((l) => l.check === 'orders-db' && l.from === 'pass')).toBe(false);
  });

  it('diagnose says it never passed, with its start at the first run', async () => {
    const r = await d.call('diagnose', { window: '15m' });
    const inc = (r.data.incidents as Json[]).find((i) => i.check === 'orders-db')!;
    expect(Date.parse(inc.start)).toBeGreaterThanOrEqual(startedAt);
    expect(Date.parse(inc.start)).toBeLessThanOrEqual(startedAt + 5000);
    expect(r.text).toMatch(/^\[FAIL\] orders-db failed since \d\d:\d\d:\d\d, .* ago \(never passed before\): /m);
    // Not critical: the whole is warning, and diagnose says what health_check says.
    const health = await d.call('health_check', {});
    expect(health.data.status).toBe('warn');
    expect(r.text.split('\n')[0]).toBe(`${health.data.hostname} is warning (warn): 1 failed now`);
    // Seconds of samples: no disk-full ETA.
    expect(r.data.findings.filter((f: Json) => f.kind === 'disk_full_eta')).toEqual([]);
  });
});
