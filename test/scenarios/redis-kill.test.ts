import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, sleep, waitUntil } from '../support/wait.js';
import { OVERALL_WORD, OwnRedis, startDaemon, statusOf, type Daemon, type Json } from './support.js';

const INTERVAL = 500;

describe("scenario: a critical Redis of the test's own is killed, then restarted", () => {
  let redis: OwnRedis;
  let d: Daemon;
  const truth = { killAt: 0, killedAt: 0, restartAt: 0, restartedAt: 0, passSeenAt: 0 };

  beforeAll(async () => {
    redis = new OwnRedis(await freePort());
    await redis.start();
    d = await startDaemon(
      `
host: { interval: 500ms }
checks:
  - name: session-cache
    kind: redis
    url: redis://127.0.0.1:${redis.port}
    critical: true
    every: ${INTERVAL}ms
    timeout: 400ms
    failureThreshold: 2
    successThreshold: 2
    breaker: { failures: 1000, cooldown: 1s }
`,
      // Only warnings and worse are logged: a critical failure must still show, a recovery must not.
      { VITALS_LOG_LEVEL: 'warn' },
    );
    await waitUntil(async () => (await statusOf(d, 'session-cache')) === 'pass', 'session-cache to pass', 15_000);
  });

  afterAll(async () => {
    await d?.close();
    await redis?.kill();
  });

  it('the kill is reported as failed, starting at the first failed run, and the whole host as failed', async () => {
    truth.killAt = Date.now();
    await redis.kill();
    truth.killedAt = Date.now();
    await waitUntil(async () => (await statusOf(d, 'session-cache')) === 'fail', 'session-cache to fail', 15_000);

    const health = await d.call('health_check', {});
    expect(health.data.status).toBe('fail');
    expect(health.text.split('\n')[0]).toMatch(/is failed \(fail\): 1 failed, \d+ ok of \d+ checks$/);
    expect(health.text).toMatch(/^- session-cache: failed since \d\d:\d\d:\d\d, \d+m?s ago: /m);

    const r = await d.call('diagnose', { window: '15m' });
    const inc = (r.data.incidents as Json[]).find((i) => i.check === 'session-cache')!;
    expect(inc).toMatchObject({ status: 'fail', ongoing: true, end: null });
    const start = Date.parse(inc.start);
    // The first failed run began within one interval of the kill (a round already in flight may start just before).
    expect(start).toBeGreaterThanOrEqual(truth.killAt - INTERVAL);
    expect(start).toBeLessThanOrEqual(truth.killedAt + INTERVAL + 100);
    // Reported after the second failed run (failureThreshold 2), not earlier.
    expect(Date.parse(inc.reportedAt)).toBeGreaterThan(start);
    expect(r.text.split('\n')[0]).toBe(`${health.data.hostname} is ${OVERALL_WORD[health.data.status]}: 1 failed now`);
    expect(r.data.findings.filter((f: Json) => f.kind === 'disk_full_eta')).toEqual([]);

    // Logged at error (a critical check), although the daemon logs only warnings and worse.
    const line = d.logs().find((l) => l.check === 'session-cache' && l.type === 'status' && l.to === 'fail');
    expect(line).toMatchObject({ level: 'error', from: 'pass', startedAt: inc.start });
  });

  it(
    'after the restart the check is ok, and the finished outage is reported with its start, end and ' + 'duration',
    async () => {
      truth.restartAt = Date.now();
      await redis.start();
      truth.restartedAt = Date.now();
      await waitUntil(async () => (await statusOf(d, 'session-cache')) === 'pass', 'session-cache to recover', 15_000);
      truth.passSeenAt = Date.now();
      await sleep(1000);

      const health = await d.call('health_check', {});
      const r = await d.call('diagnose', { check: 'session-cache', window: '15m' });
      const inc = (r.data.incidents as Json[])[0]!;
      expect(r.data.incidents).toHaveLength(1);
      expect(inc).toMatchObject({ check: 'session-cache', status: 'fail', ongoing: false });
      const start = Date.parse(inc.start);
      const end = Date.parse(inc.end);
      // The end is the first good run: within one interval after Redis listened again.
      expect(end).toBeGreaterThanOrEqual(truth.restartAt - 100);
      expect(end).toBeLessThanOrEqual(truth.restartedAt + INTERVAL + 100);
      expect(inc.durationSeconds).toBe(Math.round((end - start) / 1000));
      expect(Math.abs(end - start - (truth.restartAt - truth.killAt))).toBeLessThan(2 * INTERVAL + 200);

      // The headline agrees with health_check and with itself: ok now, one incident in the window.
      const headline = r.text.split('\n')[0]!;
      expect(headline).toMatch(
        new RegExp(
          `^session-cache is ok now \\(${health.data.hostname} is ` +
            `${OVERALL_WORD[health.data.status]!.replace(/[()]/g, '\\$&')}` +
            `\\); 1 incident ended in the last 15m: failed \\d\\d:\\d\\d:\\d\\d–\\d\\d:\\d\\d:\\d\\d \\(`,
        ),
      );
      expect(r.text).toMatch(
        /^\[info\] session-cache was failed \d\d:\d\d:\d\d–\d\d:\d\d:\d\d \(\d+m?s\), ended \d+m?s ago: /m,
      );
      expect(r.text).not.toMatch(/nothing failing|is passing/);

      // The events say the same: a failure that began at the first failed run, a recovery at the first good one.
      const ev = await d.call('list_events', { check: 'session-cache', window: '15m' });
      const [recovery, failure] = ev.data.events as Json[];
      expect(failure).toMatchObject({ from: 'pass', to: 'fail', startedAt: inc.start });
      expect(recovery).toMatchObject({ from: 'fail', to: 'pass', startedAt: inc.end });
      // Recovery is info: not in a warn-level log.
      expect(d.logs().some((l) => l.check === 'session-cache' && l.to === 'pass')).toBe(false);
    },
  );

  it('a window that ends after the outage does not report it', async () => {
    const r = await d.call('diagnose', { check: 'session-cache', window: '1s' });
    expect(r.data.incidents).toEqual([]);
    expect(r.data.findings.map((f: Json) => f.text)).toContain('session-cache had no problem in the last 1s');
  });
});
