import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { analysisFromHistory } from '../../../src/analysis/index.js';
import type { CheckState, HealthEvent, Snapshot } from '../../../src/monitor/schema.js';
import { MemoryHistory } from '../../../src/store/memory.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const T = Date.UTC(2026, 5, 1, 12);
const iso = (t: number) => new Date(t).toISOString();
const config = parseConfig({}, {});

function check(name: string, over: Partial<CheckState>): CheckState {
  return {
    name,
    kind: 'postgres',
    group: 'dependency',
    component: name,
    measurement: 'responseTime',
    status: 'pass',
    critical: false,
    observedValue: null,
    observedUnit: 's',
    output: '',
    since: iso(T - 2 * HOUR),
    time: iso(T),
    ...over,
  };
}

function snapshot(checks: CheckState[]): Snapshot {
  return {
    status: 'fail',
    time: iso(T),
    startedAt: iso(T - 7 * HOUR),
    hostname: 'box',
    checks: Object.fromEntries(checks.map((c) => [c.name, c])),
    host: {},
    tools: {} as Snapshot['tools'],
    collectors: {},
  };
}

describe('analysisFromHistory (memory store → analysis)', () => {
  it('correlates failing checks with what happened before, resources, processes, and a disk-full ETA', async () => {
    let now = T - 7 * HOUR;
    const h = new MemoryHistory({
      retention: { raw: HOUR, minute: 24 * HOUR, quarter: 7 * 24 * HOUR },
      maxRawPerSeries: 3600,
      maxSeries: 100,
      eventsMax: 100,
      clock: () => now,
    });
    for (let t = T - 7 * HOUR; t <= T; t += 30_000) {
      now = t;
      // The disk fills 1 percentage point an hour: 0.86 now, so 14 h to full and 9 h to the 95 % fail level.
      const disk = 0.86 - ((T - t) / HOUR) * 0.01;
      // Memory doubles in the fifteen minutes before db fails (at T − 5 min).
      const memory = t >= T - 20 * MIN ? 0.6 : 0.3;
      h.append(t, [
        ['disk.utilization:/', disk],
        ['memory.utilization', memory],
        ['cpu.utilization', 0.2],
        ['check.latency:db', 0.002],
      ]);
    }
    const events: HealthEvent[] = [
      {
        time: iso(T - 8 * MIN),
        check: 'cache',
        type: 'breaker',
        from: 'closed',
        to: 'open',
        reason: '5 failed runs in a row',
      },
      { time: iso(T - 5 * MIN), check: 'db', type: 'status', from: 'pass', to: 'fail', reason: 'connection refused' },
      { time: iso(T - 4 * MIN), check: 'api', type: 'status', from: 'pass', to: 'fail', reason: 'HTTP 503' },
    ];
    for (const e of events) h.recordEvent(e);
    h.recordProcesses({
      time: T - 5 * MIN + 1000,
      reason: 'db pass → fail',
      processes: [{ pid: 42, name: 'backup', user: 'root', cpuPercent: 180, rssBytes: 4e9, memoryRatio: 0.5 }],
    });

    const s = snapshot([
      check('db', {
        status: 'fail',
        since: iso(T - 5 * MIN),
        output: 'connection refused',
        consecutiveFailures: 10,
        breaker: 'closed',
      }),
      check('api', { kind: 'http', status: 'fail', since: iso(T - 4 * MIN), output: 'HTTP 503' }),
      check('disk:/', {
        kind: 'disk',
        group: 'host',
        status: 'pass',
        observedValue: 0.86,
        observedUnit: 'ratio',
        threshold: { warn: 0.85, fail: 0.95, forSeconds: 300 },
      }),
    ]);
    const a = await analysisFromHistory({
      snapshot: s,
      history: h,
      intervals: {},
      hostIntervalMs: config.host.interval,
      now: T,
      windowMs: 6 * HOUR,
    });
    const findings = a.findings;
    const of = (kind: string, c?: string) =>
      findings.filter((f) => f.kind === kind && (c === undefined || f.check === c));

    expect(a.incidents.map((i) => [i.check, i.start, i.end, i.ongoing])).toEqual([
      ['db', iso(T - 5 * MIN), null, true],
      ['api', iso(T - 4 * MIN), null, true],
    ]);
    expect(a.headline).toBe('box is failed (fail): 2 failed now');
    const db = of('incident', 'db')[0]!;
    expect(db).toMatchObject({ severity: 'fail', time: iso(T - 5 * MIN) });
    expect(db.text).toBe('db failed since 11:55:00, 5m ago: connection refused; peak 2.0ms');

    expect(of('preceded_by', 'db')).toEqual([
      expect.objectContaining({
        figures: expect.objectContaining({ eventCheck: 'cache', eventType: 'breaker', secondsBefore: 180 }),
      }),
    ]);
    // For api, db's failure a minute earlier and the breaker before it.
    expect(of('preceded_by', 'api').map((f) => f.figures.eventCheck)).toEqual(['db', 'cache']);

    const mem = of('resource_change', 'db').find((f) => f.figures.series === 'memory.utilization')!;
    expect(mem.figures.baselineAvg).toBeCloseTo(0.3, 6);
    expect(mem.figures.recentAvg).toBeCloseTo(0.6, 6);
    expect(of('resource_change', 'db').some((f) => f.figures.series === 'cpu.utilization')).toBe(false);

    expect(of('processes', 'db')[0]!.text).toContain('backup (pid 42) 180%');
    // The structured incidents carry their evidence too: what moved before, and the capture (on both).
    const dbIncident = a.incidents.find((i) => i.check === 'db')!;
    expect(dbIncident.before).toEqual([
      expect.stringMatching(/^3m before db began: cache breaker closed → open/),
      expect.stringMatching(/^memory\.utilization went from avg 30\.0% to 60\.0%/),
    ]);
    expect(dbIncident.processes).toEqual({
      time: iso(T - 5 * MIN + 1000),
      top: [{ name: 'backup', pid: 42, cpuPercent: 180, rssBytes: 4e9 }],
    });
    expect(a.incidents.find((i) => i.check === 'api')!.processes).toEqual(dbIncident.processes);
    // api began 4 minutes after: the same capture is not repeated.
    expect(of('processes', 'api')).toEqual([]);

    // A minute apart with 30 s intervals: no shared start is claimed.
    expect(of('shared_start')).toEqual([]);

    const eta = of('disk_full_eta', 'disk:/')[0]!;
    expect(eta.severity).toBe('fail');
    expect(eta.figures.trendPerHour).toBeCloseTo(0.01, 8);
    expect(eta.figures.hoursToFull).toBeCloseTo(14, 1);
    expect(eta.figures.hoursToFailThreshold).toBeCloseTo(9, 1);
    expect(eta.time).toBe(iso(T + (eta.figures.hoursToFull as number) * HOUR));
  });

  it('no disk-full ETA from 80 s of samples, however wide the window or its first bucket', async () => {
    let now = T - 80_000;
    const h = new MemoryHistory({
      retention: { raw: HOUR, minute: 24 * HOUR, quarter: 7 * 24 * HOUR },
      maxRawPerSeries: 3600,
      maxSeries: 100,
      eventsMax: 100,
      clock: () => now,
    });
    // 25 % and rising fast, sampled every 5 s for 80 s: a slope, but no trend.
    for (let t = T - 80_000; t <= T; t += 5000) {
      now = t;
      h.append(t, [['disk.utilization:/', 0.25 + (t - T + 80_000) / 1e8]]);
    }
    for (const windowMs of [HOUR, 6 * HOUR, 7 * 24 * HOUR]) {
      const a = await analysisFromHistory({
        snapshot: snapshot([]),
        history: h,
        intervals: {},
        hostIntervalMs: config.host.interval,
        now: T,
        windowMs,
      });
      expect(a.findings.filter((f) => f.kind === 'disk_full_eta')).toEqual([]);
      expect(a.findings.map((f) => f.text)).toContain('no disk-full ETA: less than 10m of samples for 1 filesystem');
    }
  });

  it('says all is clear when nothing fails, and skips disks without a trend', async () => {
    let now = T - HOUR;
    const h = new MemoryHistory({
      retention: { raw: HOUR, minute: 24 * HOUR, quarter: 7 * 24 * HOUR },
      maxRawPerSeries: 3600,
      maxSeries: 100,
      eventsMax: 100,
      clock: () => now,
    });
    for (let t = T - HOUR; t <= T; t += 30_000) {
      now = t;
      h.append(t, [['disk.utilization:/', 0.5]]);
    }
    const a = await analysisFromHistory({
      snapshot: { ...snapshot([check('db', {})]), status: 'pass' },
      history: h,
      intervals: {},
      hostIntervalMs: config.host.interval,
      now: T,
      windowMs: HOUR,
    });
    expect(a.findings).toEqual([
      expect.objectContaining({ kind: 'all_clear', text: 'no check failed or warned in the last 1h' }),
    ]);
    expect(a.headline).toBe('box is ok (pass): nothing failing or warning now');
  });
});
