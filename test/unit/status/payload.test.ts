import { describe, expect, it } from 'vitest';
import { checkDetail, statusPayload, UPTIME_SLOT_MS, UPTIME_SLOTS } from '../../../src/status/payload.js';
import type { HealthMonitor } from '../../../src/monitor/health-monitor.js';
import type { CheckState, HealthEvent, Snapshot } from '../../../src/monitor/schema.js';
import { MemoryHistory } from '../../../src/store/memory.js';

const HOUR = 3_600_000;
// 40 minutes past: a 1-hour bucket would land the latest samples in the previous half-hour.
const now = Date.parse('2026-01-02T12:40:00.000Z');
const iso = (t: number) => new Date(t).toISOString();

const db: CheckState = {
  name: 'db',
  kind: 'postgres',
  group: 'dependency',
  component: 'db',
  measurement: 'responseTime',
  status: 'pass',
  critical: true,
  observedValue: 0.004,
  observedUnit: 's',
  output: '',
  since: iso(now - HOUR),
  time: iso(now),
};
const cpu: CheckState = {
  name: 'cpu',
  kind: 'cpu',
  group: 'host',
  component: 'cpu',
  measurement: 'utilization',
  status: 'pass',
  critical: false,
  observedValue: 0.3,
  observedUnit: 'ratio',
  threshold: { warn: 0.85, fail: 0.95, forSeconds: 60 },
  output: '',
  since: iso(now - HOUR),
  time: iso(now),
};
const snapshot: Snapshot = {
  status: 'pass',
  time: iso(now),
  startedAt: iso(now - 2 * 24 * HOUR),
  hostname: 'h',
  checks: { db, cpu },
  host: { cpu: { utilization: 0.3, modes: {}, secondsTotal: {}, perCore: [], cores: 2 } },
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
const events: HealthEvent[] = [
  { type: 'status', check: 'db', time: iso(now - 2 * HOUR + 60_000), from: 'fail', to: 'pass', reason: 'recovered' },
  { type: 'status', check: 'db', time: iso(now - 2 * HOUR), from: 'pass', to: 'fail', reason: 'refused' },
] as HealthEvent[];
// The monitor as the status readers see it: its snapshot, its events (newest first), intervals and clock.
const monitor = {
  snapshot,
  events: (o: { sinceMs?: number; check?: string; limit?: number } = {}) =>
    events
      .filter(
        (e) =>
          (o.sinceMs === undefined || Date.parse(e.time) >= o.sinceMs) &&
          (o.check === undefined || e.check === o.check),
      )
      .slice(0, o.limit ?? Infinity),
  intervals: { db: 30_000 },
  config: { host: { interval: 5_000 } },
  now: () => now,
} as unknown as HealthMonitor;

function history(): MemoryHistory {
  const h = new MemoryHistory({
    retention: { raw: HOUR, minute: 24 * HOUR, quarter: 7 * 24 * HOUR },
    maxRawPerSeries: 3600,
    maxSeries: 100,
    eventsMax: 100,
    clock: () => now,
  });
  // db: recorded every minute for the last 6 hours, failed for two minutes two hours ago, warned once 5 h ago.
  for (let t = now - 6 * HOUR; t <= now; t += 60_000) {
    const status = t >= now - 2 * HOUR && t < now - 2 * HOUR + 120_000 ? 2 : t === now - 5 * HOUR ? 1 : 0;
    h.append(t, [
      ['check.status:db', status],
      ['check.latency:db', 0.004],
      ['check.status:cpu', 0],
      ['check.value:cpu', 0.3],
    ]);
  }
  return h;
}

describe('status payload', () => {
  it('uptime: the worst status recorded in each half-hour of the last 24 h, null where nothing was', async () => {
    const h = history();
    const p = await statusPayload({ monitor, query: (q) => h.query(q) }, now);
    const slots = p.uptime.db!;
    expect(slots).toHaveLength(UPTIME_SLOTS);
    const slotOf = (t: number) => Math.floor((t - p.uptimeFrom) / UPTIME_SLOT_MS);
    expect(slotOf(now)).toBe(UPTIME_SLOTS - 1);
    expect(slots[slotOf(now - 2 * HOUR)]).toBe(2);
    expect(slots[slotOf(now - 5 * HOUR)]).toBe(1);
    expect(slots[slotOf(now - 3 * HOUR)]).toBe(0);
    // Before the first sample (6 h ago) nothing is known: never drawn as ok.
    expect(slots[slotOf(now - 7 * HOUR)]).toBeNull();
    expect(slots.filter((s) => s === 2)).toHaveLength(1);
    // The current half-hour holds the latest samples (not the one before it).
    expect(slots[UPTIME_SLOTS - 1]).toBe(0);
    expect(p.history.db!.length).toBeGreaterThan(3);
  });

  it('without a history store there are no bars rather than made-up ones', async () => {
    const p = await statusPayload({ monitor }, now);
    expect(p.uptime).toEqual({});
    expect(p.view.checks.map((c) => c.name)).toEqual(['db', 'cpu']);
  });

  it(
    "detail: the check's own series and thresholds, its events " + 'newest first, undefined for an unknown check',
    async () => {
      const h = history();
      const d = (await checkDetail({ monitor, query: (q) => h.query(q) }, 'cpu', '24h', now))!;
      expect(d).toMatchObject({ name: 'cpu', range: '24h', unit: 'ratio', thresholds: { warn: 0.85, fail: 0.95 } });
      expect(d.points.length).toBeGreaterThan(3);
      expect(d.points.every(([, v]) => Math.abs(v - 0.3) < 1e-9)).toBe(true);
      const dep = (await checkDetail({ monitor, query: (q) => h.query(q) }, 'db', '24h', now))!;
      expect(dep.unit).toBe('s');
      expect(dep.thresholds).toBeNull();
      expect(dep.events.map((e) => e.to)).toEqual(['pass', 'fail']);
      expect((await checkDetail({ monitor, query: (q) => h.query(q) }, 'db', '1h', now))!.events).toEqual([]);
      expect(await checkDetail({ monitor }, 'nope', '1h', now)).toBeUndefined();
    },
  );
});
