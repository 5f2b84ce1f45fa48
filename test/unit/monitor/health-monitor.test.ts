import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { HealthMonitor, type ProbeRunInfo, type SnapshotChanges } from '../../../src/monitor/health-monitor.js';
import type { HealthEvent, Snapshot } from '../../../src/monitor/schema.js';
import { createLogger } from '../../../src/shared/logger.js';
// The monitor loads these on its first start; loaded here, that load takes no real time under fake timers.
import '../../../src/monitor/dependency-check.js';
import { fakeDependency, type Answer } from './fake-probes.js';
import { HOST_OFF as ALL_HOST_OFF } from '../../support/host-off.js';

const T = Date.UTC(2026, 5, 1, 12);
const iso = (t: number) => new Date(t).toISOString();

/** No host collectors, and a host tick far away: only the dependency checks (all fakes) run. */
const HOST_OFF = { ...ALL_HOST_OFF, interval: '1h' };

/**
 * A monitor over fake dependencies on fake timers; its clock is the faked `Date.now`, so moving timers moves
 * both. Everything it publishes is collected.
 */
function setup(checks: Record<string, unknown>[], first: Answer = 'up', raw: Record<string, unknown> = {}) {
  vi.useFakeTimers({ now: T });
  const fake = fakeDependency(first);
  const config = parseConfig(
    {
      host: HOST_OFF,
      refreshMinInterval: '2s',
      checks: checks.map((c) => ({ kind: 'tcp', host: '127.0.0.1', port: 1, every: '1h', timeout: '1s', ...c })),
      ...raw,
    },
    {},
  );
  const monitor = new HealthMonitor(config, createLogger({ level: 'silent' }), {
    now: () => Date.now(),
    loadKind: async () => fake.module,
  });
  const published: [Snapshot, SnapshotChanges][] = [];
  const events: HealthEvent[] = [];
  const runs: ProbeRunInfo[] = [];
  monitor.on('snapshot', (s, c) => published.push([s, c]));
  monitor.on('event', (e) => events.push(e));
  monitor.on('probe-run', (r) => runs.push(r));
  const start = async () => {
    const started = monitor.start();
    await vi.advanceTimersByTimeAsync(250);
    await started;
  };
  return { monitor, fake, published, events, runs, start };
}

let stop: (() => Promise<void>) | undefined;
afterEach(async () => {
  await stop?.();
  stop = undefined;
  vi.useRealTimers();
});

describe('HealthMonitor', () => {
  it('shows a dependency as pending until its first result; pending is neither a pass nor a problem', async () => {
    const h = setup([{ name: 'orders-db', critical: true }], 'hang');
    stop = () => h.monitor.stop();
    let checked = false;
    void h.monitor.checked.then(() => (checked = true));
    await h.start();
    await h.monitor.ready;
    expect(h.monitor.snapshot.checks['orders-db']).toMatchObject({ status: 'pending', output: 'no result yet' });
    expect(h.monitor.snapshot.status).toBe('pass');
    expect(checked).toBe(false);

    // The hung first round ends at the check's timeout: a first result that fails is reported at once.
    await vi.advanceTimersByTimeAsync(1000);
    expect(checked).toBe(true);
    expect(h.monitor.snapshot.checks['orders-db']).toMatchObject({ status: 'fail', output: 'timed out after 1000ms' });
    expect(h.monitor.snapshot.status).toBe('fail');
    expect(h.events).toEqual([
      expect.objectContaining({ check: 'orders-db', type: 'status', from: 'unknown', to: 'fail' }),
    ]);
  });

  it('publishes the results of one tick as one snapshot naming exactly the checks that ran', async () => {
    const h = setup([
      { name: 'a', every: '5s' },
      { name: 'b', every: '5s' },
      { name: 'c', every: '5s' },
      { name: 'slow', every: '1h' },
    ]);
    stop = () => h.monitor.stop();
    await h.start();
    await vi.advanceTimersByTimeAsync(200);
    const before = h.published.at(-1)![0];
    h.published.length = 0;

    // Past the next 5 s tick and the publication delay: three results, one snapshot.
    await vi.advanceTimersByTimeAsync(5000);
    expect(h.published).toHaveLength(1);
    const [after, changes] = h.published[0]!;
    expect(changes.host).toBe(false);
    expect([...changes.checks].sort()).toEqual(['a', 'b', 'c']);
    expect(after.checks.a!.runs).toBe(2);
    // A check that did not run is the very same state in the new snapshot (nothing rebuilt for it).
    expect(after.checks.slow).toBe(before.checks.slow);
    expect(after.checks.slow!.runs).toBe(1);
  });

  it('a reader sees every finished result at once, before the coalescing timer publishes it', async () => {
    const h = setup([{ name: 'a' }, { name: 'b' }]);
    stop = () => h.monitor.stop();
    await h.start();
    await vi.advanceTimersByTimeAsync(200);
    h.published.length = 0;
    vi.setSystemTime(T + 10_000);
    h.fake.set({ down: 'refused' });
    const refreshed = await h.monitor.refresh({ dependenciesOnly: true });
    expect(refreshed.checks.a!.runs).toBe(2);
    expect(refreshed.checks.b!.consecutiveFailures).toBe(1);
    expect(h.published).toHaveLength(1);
    expect([...h.published[0]![1].checks].sort()).toEqual(['a', 'b']);
    // Nothing is left for the timer to publish.
    await vi.advanceTimersByTimeAsync(500);
    expect(h.published).toHaveLength(1);
  });

  it('publishes probe runs and transitions: a failure, then the recovery', async () => {
    const h = setup([{ name: 'cache', every: '5s', failureThreshold: 2, successThreshold: 1 }]);
    stop = () => h.monitor.stop();
    await h.start();
    expect(h.runs).toEqual([
      expect.objectContaining({ check: 'cache', kind: 'tcp', outcome: 'success', durationSeconds: expect.any(Number) }),
    ]);
    h.fake.set({ down: 'connection refused' });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(h.runs.slice(1)).toEqual([
      expect.objectContaining({ check: 'cache', outcome: 'failure', error: 'connection refused' }),
      expect.objectContaining({ check: 'cache', outcome: 'failure', error: 'connection refused' }),
    ]);
    const failedAt = h.events.at(-1)!;
    expect(failedAt).toMatchObject({ check: 'cache', from: 'pass', to: 'fail', startedAt: iso(T + 250 + 5000) });
    expect(h.monitor.snapshot.checks.cache).toMatchObject({ status: 'fail', problemSince: failedAt.startedAt });

    h.fake.set('up');
    await vi.advanceTimersByTimeAsync(5000);
    expect(h.events.map((e) => `${e.from}>${e.to}`)).toEqual(['pass>fail', 'fail>pass']);
    expect(h.events[1]).toMatchObject({ check: 'cache', reason: 'recovered' });
    expect(h.monitor.snapshot.checks.cache!.problemSince).toBeUndefined();
    expect(h.monitor.snapshot.status).toBe('pass');
  });

  it('refresh is single-flight and rate-limited on the monitor clock', async () => {
    const h = setup([{ name: 'a' }, { name: 'b' }]);
    stop = () => h.monitor.stop();
    await h.start();
    expect(h.fake.runs).toHaveLength(2);

    vi.setSystemTime(T + 10_000);
    h.fake.set('hang');
    const first = h.monitor.refresh();
    const second = h.monitor.refresh();
    expect(second).toBe(first);
    await vi.advanceTimersByTimeAsync(1000);
    const s = await first;
    expect(h.fake.runs).toHaveLength(4);
    expect(s.checks.a!.runs).toBe(2);

    // Within refreshMinInterval of the last one: the snapshot as it is, no probe runs.
    h.fake.set('up');
    const served = await h.monitor.refresh();
    expect(h.fake.runs).toHaveLength(4);
    expect(served.checks.a!.runs).toBe(2);
    vi.setSystemTime(Date.now() + 2000);
    expect((await h.monitor.refresh()).checks.a!.runs).toBe(3);
    expect(h.fake.runs).toHaveLength(6);
  });

  it('runs each dependency round inside the registered instrumentation until it is taken back', async () => {
    const h = setup([{ name: 'a' }]);
    stop = () => h.monitor.stop();
    const wrapped: string[] = [];
    const undo = h.monitor.instrument({
      scope: async (check, kind, run) => {
        wrapped.push(`${check}:${kind}`);
        const info = await run();
        return { ...info, outcome: 'skipped' };
      },
    });
    expect(() => h.monitor.instrument({ scope: (_c, _k, run) => run() })).toThrow(/already instrumented/);
    await h.start();
    expect(wrapped).toEqual(['a:tcp']);
    // What the scope hands back is what is published.
    expect(h.runs).toEqual([expect.objectContaining({ check: 'a', outcome: 'skipped' })]);

    undo();
    vi.setSystemTime(T + 10_000);
    await h.monitor.refresh();
    expect(wrapped).toHaveLength(1);
    expect(h.runs.at(-1)).toMatchObject({ check: 'a', outcome: 'success' });
  });
});
