import { describe, expect, it } from 'vitest';
import { diagnose } from '../../../src/mcp/tools/diagnose.js';
import type { CheckState, HealthEvent, Snapshot } from '../../../src/monitor/schema.js';
import { MemoryHistory } from '../../../src/store/memory.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const T = Date.UTC(2026, 5, 1, 12);
const iso = (t: number) => new Date(t).toISOString();

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
  return { status: 'fail', time: iso(T), startedAt: iso(T - 7 * HOUR), hostname: 'box', checks: Object.fromEntries(checks.map((c) => [c.name, c])), host: {}, tools: {} as Snapshot['tools'], collectors: {} };
}

describe('diagnose', () => {
  it('correlates failing checks with what happened before, resources, processes, and a disk-full ETA', async () => {
    let now = T - 7 * HOUR;
    const h = new MemoryHistory({ retention: { raw: HOUR, minute: 24 * HOUR, quarter: 7 * 24 * HOUR }, maxRawPerSeries: 3600, maxSeries: 100, eventsMax: 100, clock: () => now });
    for (let t = T - 7 * HOUR; t <= T; t += 30_000) {
      now = t;
      // The disk fills 1 percentage point an hour: 0.86 now, so 14 h to full and 9 h to the 95 % fail level.
      const disk = 0.86 - ((T - t) / HOUR) * 0.01;
      // Memory doubles in the fifteen minutes before db fails (at T − 5 min).
      const memory = t >= T - 20 * MIN ? 0.6 : 0.3;
      h.append(t, [['disk.utilization:/', disk], ['memory.utilization', memory], ['cpu.utilization', 0.2], ['check.latency:db', 0.002]]);
    }
    const events: HealthEvent[] = [
      { time: iso(T - 8 * MIN), check: 'cache', type: 'breaker', from: 'closed', to: 'open', reason: '5 failed runs in a row' },
      { time: iso(T - 5 * MIN), check: 'db', type: 'status', from: 'pass', to: 'fail', reason: 'connection refused' },
      { time: iso(T - 4 * MIN), check: 'api', type: 'status', from: 'pass', to: 'fail', reason: 'HTTP 503' },
    ];
    for (const e of events) h.recordEvent(e);
    h.recordProcesses({ time: T - 5 * MIN + 1000, reason: 'db pass → fail', processes: [{ pid: 42, name: 'backup', user: 'root', cpuPercent: 180, rssBytes: 4e9, memoryRatio: 0.5 }] });

    const s = snapshot([
      check('db', { status: 'fail', since: iso(T - 5 * MIN), output: 'connection refused', consecutiveFailures: 10, breaker: 'closed' }),
      check('api', { kind: 'http', status: 'fail', since: iso(T - 4 * MIN), output: 'HTTP 503' }),
      check('disk:/', { kind: 'disk', group: 'host', status: 'pass', observedValue: 0.86, observedUnit: 'ratio', threshold: { warn: 0.85, fail: 0.95, forSeconds: 300 } }),
    ]);
    const findings = await diagnose({ snapshot: s, history: h, now: T, windowMs: 6 * HOUR });
    const of = (kind: string, c?: string) => findings.filter((f) => f.kind === kind && (c === undefined || f.check === c));

    const db = of('failing', 'db')[0]!;
    expect(db).toMatchObject({ severity: 'fail', time: iso(T - 5 * MIN), detail: 'connection refused' });
    expect(db.title).toContain(iso(T - 5 * MIN));
    expect(db.figures).toMatchObject({ consecutiveFailures: 10, sinceSeconds: 300, latencyAvgBeforeSeconds: 0.002 });
    expect(of('failing', 'api')[0]).toMatchObject({ time: iso(T - 4 * MIN) });

    expect(of('preceded_by', 'db')).toEqual([expect.objectContaining({ figures: expect.objectContaining({ eventCheck: 'cache', eventType: 'breaker', secondsBefore: 180 }) })]);
    // For api, db's failure a minute earlier and the breaker before it.
    expect(of('preceded_by', 'api').map((f) => f.figures.eventCheck)).toEqual(['db', 'cache']);

    const mem = of('resource_change', 'db').find((f) => f.figures.series === 'memory.utilization')!;
    expect(mem.figures.baselineAvg).toBeCloseTo(0.3, 6);
    expect(mem.figures.recentAvg).toBeCloseTo(0.6, 6);
    expect(of('resource_change', 'db').some((f) => f.figures.series === 'cpu.utilization')).toBe(false);

    expect(of('processes', 'db')[0]!.detail).toContain('backup (pid 42) 180.0%');

    const together = of('correlated')[0]!;
    expect(together.title).toMatch(/^db, api went bad within 60s of each other; db first/);

    const eta = of('disk_full_eta', 'disk:/')[0]!;
    expect(eta.severity).toBe('fail');
    expect(eta.figures.trendPerHour).toBeCloseTo(0.01, 8);
    expect(eta.figures.hoursToFull).toBeCloseTo(14, 1);
    expect(eta.figures.hoursToFailThreshold).toBeCloseTo(9, 1);
    expect(eta.time).toBe(iso(T + (eta.figures.hoursToFull as number) * HOUR));
  });

  it('says all is clear when nothing fails, and skips disks without a trend', async () => {
    let now = T - HOUR;
    const h = new MemoryHistory({ retention: { raw: HOUR, minute: 24 * HOUR, quarter: 7 * 24 * HOUR }, maxRawPerSeries: 3600, maxSeries: 100, eventsMax: 100, clock: () => now });
    for (let t = T - HOUR; t <= T; t += 30_000) {
      now = t;
      h.append(t, [['disk.utilization:/', 0.5]]);
    }
    const findings = await diagnose({ snapshot: snapshot([check('db', {})]), history: h, now: T, windowMs: HOUR });
    expect(findings).toEqual([expect.objectContaining({ kind: 'all_clear', title: 'all 1 checks pass' })]);
  });
});
