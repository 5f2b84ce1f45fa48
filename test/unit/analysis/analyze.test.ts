import { describe, expect, it } from 'vitest';
import {
  analyze,
  renderAnalysis,
  DIAGNOSE_TEXT_BUDGET,
  type AnalysisInput,
  type SeriesData,
} from '../../../src/analysis/index.js';
import type { CheckState, HealthEvent } from '../../../src/monitor/schema.js';

const S = 1000;
const MIN = 60 * S;
const HOUR = 60 * MIN;
const T0 = Date.UTC(2026, 5, 1, 12);
const iso = (t: number) => new Date(t).toISOString();

function check(name: string, over: Partial<CheckState> = {}): CheckState {
  return {
    name,
    kind: 'redis',
    group: 'dependency',
    component: name,
    measurement: 'responseTime',
    status: 'pass',
    critical: false,
    observedValue: 0.001,
    observedUnit: 's',
    output: '',
    since: iso(T0 - HOUR),
    time: iso(T0),
    ...over,
  };
}
const ev = (t: number, c: string, from: string, to: string, reason: string, startedAt?: number): HealthEvent => ({
  time: iso(t),
  check: c,
  type: 'status',
  from,
  to,
  reason,
  ...(startedAt !== undefined ? { startedAt: iso(startedAt) } : {}),
});

function input(over: Partial<AnalysisInput>): AnalysisInput {
  return {
    now: T0 + 10 * MIN,
    windowMs: 6 * HOUR,
    hostname: 'box',
    status: 'pass',
    checks: [],
    events: [],
    intervals: {},
    defaultIntervalMs: 5 * S,
    series: {},
    processes: [],
    ...over,
  };
}

describe('analyze', () => {
  it(
    'a CPU problem that began before an unrelated dependency failure is no shared cause; each starts at its ' +
      'first crossing or failed run',
    () => {
      const cpuCrossed = T0;
      const killed = T0 + 65 * S;
      const a = analyze(
        input({
          status: 'fail',
          checks: [
            check('cpu', {
              kind: 'cpu',
              group: 'host',
              status: 'warn',
              observedValue: 0.97,
              observedUnit: 'ratio',
              since: iso(T0 + MIN),
              problemSince: iso(cpuCrossed),
              output: 'CPU 97.0% busy at or above warn level 85.0% for 60s',
            }),
            check('session-cache', {
              status: 'fail',
              critical: true,
              since: iso(killed + 10 * S),
              problemSince: iso(killed),
              output: 'connection refused',
            }),
          ],
          events: [
            ev(T0 + MIN, 'cpu', 'pass', 'warn', 'CPU 97.0% busy', cpuCrossed),
            ev(killed + 10 * S, 'session-cache', 'pass', 'fail', 'connection refused', killed),
          ],
          intervals: { 'session-cache': 5 * S },
        }),
      );
      expect(a.incidents.map((i) => [i.check, i.start, i.reportedAt, i.ongoing])).toEqual([
        ['cpu', iso(cpuCrossed), iso(T0 + MIN), true],
        ['session-cache', iso(killed), iso(killed + 10 * S), true],
      ]);
      expect(a.findings.filter((f) => f.kind === 'shared_start')).toEqual([]);
      expect(a.findings.map((f) => f.text).join('\n')).not.toMatch(/cause is likely|common cause/);
      const before = a.findings.find((f) => f.kind === 'preceded_by' && f.check === 'session-cache')!;
      expect(before.text).toBe('5s before session-cache began: cpu ok → warning (under way since 12:00:00)');
      expect(a.findings[0]!.text).toBe(
        'session-cache failed since 12:01:05, 8m55s ago: connection refused; reported 10s later',
      );
      expect(a.headline).toBe('box is failed (fail): 1 failed, 1 warning now');
      // No process table and no series were given: said, not guessed around.
      expect(a.findings.filter((f) => f.kind === 'missing_evidence').map((f) => f.text)).toEqual([
        'no process table was captured near the start of session-cache, cpu',
      ]);
    },
  );

  it(
    'two problems that began within one sampling interval, neither under way before, are said to share ' + 'a start',
    () => {
      const t = T0 + MIN;
      const a = analyze(
        input({
          status: 'fail',
          checks: [
            check('orders-db', { status: 'fail', problemSince: iso(t) }),
            check('session-cache', { status: 'fail', problemSince: iso(t + 2 * S) }),
          ],
          events: [
            ev(t + 10 * S, 'orders-db', 'pass', 'fail', 'timed out', t),
            ev(t + 12 * S, 'session-cache', 'pass', 'fail', 'timed out', t + 2 * S),
          ],
          intervals: { 'orders-db': 5 * S, 'session-cache': 5 * S },
        }),
      );
      const shared = a.findings.filter((f) => f.kind === 'shared_start');
      expect(shared).toHaveLength(1);
      expect(shared[0]!.text).toBe(
        'orders-db, session-cache began within 2s of each other (one sampling interval is 5s), neither under ' +
          'way before: possibly one cause; orders-db first',
      );
    },
  );

  it(
    'a finished incident inside the window is reported with its start, end and duration, and the headline says ' +
      'the check is ok now',
    () => {
      const start = T0;
      const end = T0 + 68 * S;
      const a = analyze(
        input({
          now: end + 50 * S,
          checks: [check('session-cache')],
          events: [
            ev(start + 10 * S, 'session-cache', 'pass', 'fail', 'connection refused', start),
            ev(end + 5 * S, 'session-cache', 'fail', 'pass', 'recovered', end),
          ],
          series: {
            'check.latency:session-cache': {
              unit: 's',
              points: [
                { time: start + 30 * S, min: 0.004, avg: 0.004, max: 0.004, count: 1 },
                { time: start - 10 * S, min: 0.001, avg: 0.001, max: 0.001, count: 1 },
              ],
            },
          },
          check: 'session-cache',
        }),
      );
      expect(a.incidents).toEqual([
        expect.objectContaining({
          check: 'session-cache',
          status: 'fail',
          start: iso(start),
          end: iso(end),
          ongoing: false,
          durationSeconds: 68,
          peak: { value: 0.004, unit: 's' },
        }),
      ]);
      expect(a.headline).toBe(
        'session-cache is ok now (box is ok (pass)); 1 incident ended in the last 6h: failed 12:00:00–12:01:08 (1m8s)',
      );
      expect(a.findings[0]!.text).toBe(
        'session-cache was failed 12:00:00–12:01:08 (1m8s), ended 50s ago: connection refused; peak 4.0ms',
      );
      expect(a.findings.some((f) => f.kind === 'all_clear')).toBe(false);
    },
  );

  it(
    'a dependency that never passed says so, and an incident that began before the events says its start is ' +
      'unknown',
    () => {
      const a = analyze(
        input({
          status: 'fail',
          checks: [
            check('orders-db', { status: 'fail', problemSince: iso(T0), output: 'timed out after 1000ms' }),
            check('cpu', { kind: 'cpu', group: 'host' }),
          ],
          events: [
            ev(T0 + S, 'orders-db', 'unknown', 'fail', 'timed out after 1000ms'),
            ev(T0 + 2 * MIN, 'cpu', 'fail', 'pass', 'back under threshold'),
          ],
        }),
      );
      expect(a.findings.find((f) => f.check === 'orders-db')!.text).toBe(
        'orders-db failed since 12:00:01, 9m59s ago (never passed before): timed out after 1000ms',
      );
      expect(a.incidents.find((i) => i.check === 'cpu')).toMatchObject({
        start: null,
        end: iso(T0 + 2 * MIN),
        durationSeconds: null,
      });
    },
  );

  it('a level crossed with its hold running is reported as pending, not as a problem', () => {
    const a = analyze(
      input({
        checks: [
          check('memory', {
            kind: 'memory',
            group: 'host',
            observedValue: 0.83,
            observedUnit: 'ratio',
            pending: { status: 'warn', since: iso(T0 + 9 * MIN + 40 * S), forSeconds: 60 },
          }),
        ],
      }),
    );
    expect(a.incidents).toEqual([]);
    expect(a.findings.map((f) => [f.kind, f.text])).toEqual([
      ['pending', 'memory is above its warn level since 12:09:40, 20s ago, 20s of its 60s hold: 83.0%'],
    ]);
  });

  it('a disk-full ETA from points alone (another source) needs 10 minutes of samples', () => {
    const points = (minutes: number): SeriesData => ({
      unit: 'ratio',
      stepMs: 0,
      points: Array.from({ length: minutes * 6 + 1 }, (_, k) => {
        const v = 0.5 + (k * 10 * S) / HOUR / 10;
        return { time: T0 + k * 10 * S, min: v, avg: v, max: v, count: 1 };
      }),
    });
    const now = (minutes: number) => T0 + minutes * MIN;
    const long = analyze(input({ now: now(20), series: { 'disk.utilization:/': points(20) } }));
    const eta = long.findings.find((f) => f.kind === 'disk_full_eta')!;
    expect(eta.figures.trendPerHour).toBeCloseTo(0.1, 6);
    expect(eta.figures.hoursToFull).toBeCloseTo((1 - (0.5 + 20 / 600)) / 0.1, 1);
    const short = analyze(input({ now: now(1), series: { 'disk.utilization:/': points(1) } }));
    expect(short.findings.filter((f) => f.kind === 'disk_full_eta')).toEqual([]);
    expect(short.findings.map((f) => f.text)).toContain('no disk-full ETA: less than 10m of samples for 1 filesystem');
  });

  it(
    'problems that began together are one shared start, not "before" each other; cut to fit, evidence goes ' +
      'before incidents',
    () => {
      const t = T0 + MIN;
      const names = ['a', 'b', 'c', 'd', 'e', 'f'].map((x) => `svc-${x}`);
      const a = analyze(
        input({
          status: 'fail',
          now: t + MIN,
          checks: names.map((n, k) =>
            check(n, {
              status: 'fail',
              problemSince: iso(t + k * 50),
              output: 'circuit open after 5 failed runs (last: connection refused); next try in 30s',
            }),
          ),
          events: names.map((n, k) => ev(t + k * 50, n, 'unknown', 'fail', 'connection refused')),
          intervals: Object.fromEntries(names.map((n) => [n, 500])),
          processes: [
            {
              time: t + 1000,
              reason: 'x',
              processes: [{ pid: 1, name: 'node', user: 'u', cpuPercent: 50, rssBytes: 1e8, memoryRatio: 0.1 }],
            },
          ],
        }),
      );
      expect(a.findings.filter((f) => f.kind === 'preceded_by')).toEqual([]);
      expect(a.findings.filter((f) => f.kind === 'shared_start').map((f) => f.text)).toEqual([
        'svc-a, svc-b, svc-c, svc-d, svc-e, svc-f began within 250ms of each other (one sampling interval is ' +
          '500ms), none under way before: possibly one cause; svc-a first',
      ]);
      // A budget just short of everything: the one evidence line goes, every incident and the shared start stay.
      const budget = renderAnalysis(a, { verbose: true }).length - 10;
      const text = renderAnalysis(a, { budget });
      expect(text.length).toBeLessThanOrEqual(budget);
      expect(text).toContain('possibly one cause');
      for (const n of names) expect(text).toContain(`[FAIL] ${n} failed since`);
      expect(text).not.toContain('processes');
      expect(text).toMatch(/\n… 1 more finding \(verbose: true shows all\)$/);
    },
  );

  it('text stays within its budget and counts what it left out; verbose shows everything', () => {
    const checks = Array.from({ length: 40 }, (_, k) =>
      check(`dep-${k}`, {
        status: 'fail',
        problemSince: iso(T0 + k * MIN),
        output: 'connection refused by the server at the far end of a long reason',
      }),
    );
    const a = analyze(input({ status: 'fail', checks, now: T0 + HOUR }));
    const text = renderAnalysis(a);
    expect(text.length).toBeLessThanOrEqual(DIAGNOSE_TEXT_BUDGET);
    expect(text).toMatch(/… \d+ more findings \(verbose: true shows all\)$/);
    const all = renderAnalysis(a, { verbose: true });
    expect(all.split('\n')).toHaveLength(a.findings.length + 1);
  });
});
