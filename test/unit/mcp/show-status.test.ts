import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { HealthMonitor } from '../../../src/monitor/health-monitor.js';
import type { CheckState, Snapshot } from '../../../src/monitor/schema.js';
import type { History, HistoryQuery, HistoryResult } from '../../../src/store/types.js';
import { showStatusTool, SHOW_TEXT_BUDGET } from '../../../src/mcp/tools/show-status.js';

const now = Date.parse('2026-01-02T12:00:00.000Z');
const iso = (t: number) => new Date(t).toISOString();
const dep = (name: string, status: CheckState['status']): CheckState => ({
  name,
  kind: 'tcp',
  group: 'dependency',
  component: name,
  measurement: 'responseTime',
  status,
  critical: false,
  observedValue: status === 'fail' ? null : 0.002,
  observedUnit: 's',
  output: status === 'fail' ? `connect ECONNREFUSED to ${name}` : '',
  since: iso(now - 60_000),
  time: iso(now),
});

function monitorOf(checks: CheckState[]): HealthMonitor & EventEmitter {
  const snapshot: Snapshot = {
    status: checks.some((c) => c.status === 'fail') ? 'warn' : 'pass',
    time: iso(now),
    startedAt: iso(now - 3_600_000),
    hostname: 'h',
    checks: Object.fromEntries(checks.map((c) => [c.name, c])),
    host: {},
    tools: {
      calls: 0,
      errors: 0,
      clientErrors: 0,
      windowSeconds: 300,
      callsInWindow: 0,
      errorsInWindow: 0,
      errorRate: null,
      latencySeconds: { p50: null, p95: null },
      byTool: {},
    },
    collectors: {},
  };
  return Object.assign(new EventEmitter(), {
    ready: Promise.resolve(),
    snapshot,
    events: () => [],
    intervals: {},
    config: { host: { interval: 5_000 } },
    now: () => now,
  }) as unknown as HealthMonitor & EventEmitter;
}

afterEach(() => vi.useRealTimers());

describe('show_status', () => {
  it('callers waiting for the next update share one monitor listener and are answered by it', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const monitor = monitorOf([dep('db', 'pass')]);
    let answered = 0;
    const calls = Array.from({ length: 20 }, () =>
      showStatusTool.run({ waitSeconds: 30 }, { monitor }).then((r) => (answered++, r)),
    );
    await vi.advanceTimersByTimeAsync(0);
    expect(monitor.listenerCount('snapshot')).toBe(1);
    expect(answered).toBe(0);
    monitor.emit('snapshot', monitor.snapshot);
    const results = await Promise.all(calls);
    expect(results.every((r) => r.data.payload !== undefined)).toBe(true);
    expect(monitor.listenerCount('snapshot')).toBe(0);
  });

  it('callers woken by one update share one payload build (history read once, not once per caller)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const monitor = monitorOf([dep('db', 'pass'), dep('cache', 'fail')]);
    const queries: HistoryQuery[] = [];
    const history = {
      query: async (q: HistoryQuery): Promise<HistoryResult> => {
        queries.push(q);
        return {
          series: q.series,
          unit: 's',
          resolution: 'raw',
          from: q.from,
          to: q.to,
          stepMs: 60_000,
          stepAdjusted: false,
          summary: null,
          points: [],
        } as unknown as HistoryResult;
      },
    } as unknown as History;
    await showStatusTool.run({}, { monitor, history });
    const perBuild = queries.length;
    expect(perBuild).toBeGreaterThan(0);
    queries.length = 0;
    const calls = Array.from({ length: 20 }, () => showStatusTool.run({ waitSeconds: 30 }, { monitor, history }));
    await vi.advanceTimersByTimeAsync(0);
    (monitor as { snapshot: Snapshot }).snapshot = { ...monitor.snapshot, time: iso(now + 5_000) };
    monitor.emit('snapshot', monitor.snapshot);
    const results = await Promise.all(calls);
    expect(queries).toHaveLength(perBuild);
    expect(new Set(results.map((r) => r.data.payload)).size).toBe(1);
    expect(results[0]!.data.time).toBe(iso(now + 5_000));
  });

  it('a caller no update reaches is answered when its wait runs out', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const monitor = monitorOf([dep('db', 'pass')]);
    let done = false;
    const call = showStatusTool.run({ waitSeconds: 2 }, { monitor }).then(() => (done = true));
    await vi.advanceTimersByTimeAsync(1_999);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await call;
    expect(done).toBe(true);
  });

  it('its text stays within budget however many checks fail', async () => {
    const monitor = monitorOf(
      Array.from({ length: 200 }, (_, i) => dep(`service-${String(i).padStart(3, '0')}`, 'fail')),
    );
    const r = await showStatusTool.run({}, { monitor });
    expect(r.text.length).toBeLessThanOrEqual(SHOW_TEXT_BUDGET);
    expect(r.text).toMatch(/^h is warning \(warn\): 200 failed/);
    expect(r.text).toMatch(/… \d+ more lines \(health_check lists every check\)$/);
    expect((r.data.payload as { view: { checks: unknown[] } }).view.checks).toHaveLength(200);
  });
});
