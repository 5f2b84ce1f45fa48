import { EventEmitter } from 'node:events';
import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AlertmanagerSourceConfig } from '../../../src/config/fleet.js';
import type { AlertmanagerClient, PostableAlert } from '../../../src/fleet/alertmanager.js';
import { AlertPoster } from '../../../src/fleet/poster.js';
import type { HealthEvent, Snapshot } from '../../../src/monitor/schema.js';

/** The monitor's transition events and a snapshot, as the poster sees them. */
class Transitions extends EventEmitter {
  snapshot = { checks: {} } as unknown as Snapshot;
  emitStatus(check: string, from: string, to: string, time = new Date().toISOString()): void {
    this.emit('event', { time, check, type: 'status', from, to, reason: `${check} went ${to}` } satisfies HealthEvent);
  }
}

function setup(post: Record<string, unknown> = {}) {
  const monitor = new Transitions();
  const batches: PostableAlert[][] = [];
  let failing = false;
  const client = {
    postAlerts: async (alerts: PostableAlert[]) => {
      if (failing) throw new Error('connection refused');
      batches.push(alerts);
    },
  } as unknown as AlertmanagerClient;
  const config = AlertmanagerSourceConfig.parse({
    url: 'http://127.0.0.1:9093',
    post: { enabled: true, resendInterval: '10s', instance: 'web-1', ...post },
  }).post;
  const poster = new AlertPoster(monitor, client, config, pino({ level: 'silent' }));
  return { monitor, poster, batches, setFailing: (f: boolean) => (failing = f) };
}

afterEach(() => vi.useRealTimers());

describe('AlertPoster', () => {
  it('posts a failing check at once, re-sends it while it fails, and resolves it on recovery', async () => {
    vi.useFakeTimers({ now: Date.parse('2026-06-15T12:00:00Z') });
    const { monitor, poster, batches } = setup({ labels: { team: 'web' } });
    poster.start();
    monitor.emitStatus('db', 'pass', 'fail', '2026-06-15T12:00:00.000Z');
    await poster.flush();
    const first = batches.at(-1)!;
    expect(first).toEqual([
      {
        labels: { team: 'web', alertname: 'VitalsCheckFailing', check: 'db', severity: 'critical', instance: 'web-1' },
        annotations: { summary: 'db is failing on web-1', description: 'db went fail' },
        startsAt: '2026-06-15T12:00:00.000Z',
        endsAt: '2026-06-15T12:00:40.000Z',
      },
    ]);
    const sent = batches.length;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(batches.length).toBe(sent + 1);
    expect(batches.at(-1)![0]!.endsAt).toBe('2026-06-15T12:00:50.000Z');
    monitor.emitStatus('db', 'fail', 'pass');
    await poster.flush();
    expect(batches.at(-1)).toEqual([
      expect.objectContaining({ labels: expect.objectContaining({ check: 'db' }), endsAt: '2026-06-15T12:00:10.000Z' }),
    ]);
    // Nothing more to send once it is resolved.
    const after = batches.length;
    await vi.advanceTimersByTimeAsync(30_000);
    expect(batches.length).toBe(after);
    await poster.stop();
  });

  it('leaves warnings out unless asked, and resolves the warning when it turns into a failure', async () => {
    const quiet = setup();
    quiet.poster.start();
    quiet.monitor.emitStatus('cpu', 'pass', 'warn');
    await quiet.poster.flush();
    expect(quiet.batches).toEqual([]);
    await quiet.poster.stop();

    const { monitor, poster, batches } = setup({ minStatus: 'warn' });
    poster.start();
    monitor.emitStatus('cpu', 'pass', 'warn');
    await poster.flush();
    expect(batches.at(-1)!.map((a) => a.labels.alertname)).toEqual(['VitalsCheckWarning']);
    const before = batches.length;
    monitor.emitStatus('cpu', 'warn', 'fail');
    await poster.flush();
    const last = batches.slice(before)[0]!;
    expect(
      last.map((a) => `${a.labels.alertname} ${Date.parse(a.endsAt!) <= Date.now() ? 'resolved' : 'firing'}`).sort(),
    ).toEqual(['VitalsCheckFailing firing', 'VitalsCheckWarning resolved']);
    await poster.stop();
  });

  it('keeps posting through an Alertmanager outage and delivers the resolution once it is back', async () => {
    vi.useFakeTimers({ now: Date.parse('2026-06-15T12:00:00Z') });
    const { monitor, poster, batches, setFailing } = setup({ checks: ['db'] });
    poster.start();
    setFailing(true);
    monitor.emitStatus('db', 'pass', 'fail');
    monitor.emitStatus('other', 'pass', 'fail');
    monitor.emitStatus('db', 'fail', 'pass');
    await poster.flush();
    expect(batches).toEqual([]);
    setFailing(false);
    await vi.advanceTimersByTimeAsync(10_000);
    // Only `db` is posted (the filter), and its resolution survived the outage.
    expect(
      batches.flat().map((a) => `${a.labels.check} ${Date.parse(a.endsAt!) <= Date.now() ? 'resolved' : 'firing'}`),
    ).toEqual(['db resolved']);
    await poster.stop();
  });

  it('posts checks already failing when it starts', async () => {
    const { monitor, poster, batches } = setup();
    monitor.snapshot = {
      checks: {
        db: {
          name: 'db',
          kind: 'postgres',
          critical: true,
          status: 'fail',
          output: 'connection refused',
          since: '2026-06-15T11:00:00.000Z',
        },
      },
    } as unknown as Snapshot;
    poster.start();
    await poster.flush();
    expect(batches[0]).toEqual([
      expect.objectContaining({
        labels: expect.objectContaining({ check: 'db', kind: 'postgres', critical: 'true' }),
        startsAt: '2026-06-15T11:00:00.000Z',
      }),
    ]);
    await poster.stop();
  });
});
