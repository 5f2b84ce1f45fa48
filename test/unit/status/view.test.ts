import { describe, expect, it } from 'vitest';
import { diff, toView } from '../../../src/status/view.js';
import type { CheckState, Snapshot } from '../../../src/monitor/schema.js';
import { STATUS_WORD } from '../../../src/shared/status.js';

const check = (over: Partial<CheckState>): CheckState => ({
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
  since: '2026-01-01T00:00:00.000Z',
  time: '2026-01-01T00:00:05.000Z',
  ...over,
});
const snap = (checks: CheckState[], status: Snapshot['status'] = 'pass'): Snapshot => ({
  status,
  time: '2026-01-01T00:00:05.000Z',
  startedAt: '2026-01-01T00:00:00.000Z',
  hostname: 'h',
  checks: Object.fromEntries(checks.map((c) => [c.name, c])),
  host: { cpu: { utilization: 0.25, modes: {}, secondsTotal: {}, perCore: [], cores: 2 } },
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
});

describe('status page view', () => {
  it("uses the same words and icons as vitals check; a gauge carries its check's status", () => {
    const v = toView(
      snap(
        [
          check({
            name: 'cpu',
            kind: 'cpu',
            group: 'host',
            status: 'warn',
            observedUnit: 'ratio',
            observedValue: 0.25,
            critical: false,
          }),
          check({ status: 'fail', output: 'refused' }),
        ],
        'fail',
      ),
    );
    expect(v.word).toBe(STATUS_WORD.fail);
    expect(v.checks.map((c) => [c.name, c.word, c.value])).toEqual([
      ['db', 'failed', '4.0ms'],
      ['cpu', 'warning', '25.0%'],
    ]);
    expect(v.gauges).toEqual([
      { name: 'cpu', label: 'CPU', ratio: 0.25, text: '25.0%', status: 'warn', word: 'warning' },
    ]);
  });

  it('problems first: failed, warning, pending, ok; then dependencies before host checks, then by name', () => {
    const host = { kind: 'cpu', group: 'host' as const, observedUnit: 'ratio', critical: false };
    const v = toView(
      snap([
        check({ name: 'a-ok' }),
        check({ name: 'b-pending', status: 'pending', observedValue: null }),
        check({ name: 'cpu', ...host, status: 'fail' }),
        check({ name: 'z-fail', status: 'fail' }),
        check({ name: 'memory', ...host, status: 'warn' }),
        check({ name: 'disk:/', ...host }),
      ]),
    );
    expect(v.checks.map((c) => c.name)).toEqual(['z-fail', 'cpu', 'memory', 'b-pending', 'a-ok', 'disk:/']);
    expect(v.gauges[0]).toMatchObject({ name: 'cpu', status: 'fail', word: 'failed' });
  });

  it('a check with no result yet is pending, with its own word and icon, and a problem shows when it began', () => {
    const v = toView(
      snap([
        check({ status: 'pending', observedValue: null, output: 'no result yet' }),
        check({
          name: 'cache',
          kind: 'redis',
          status: 'fail',
          since: '2026-01-01T00:00:04.000Z',
          problemSince: '2026-01-01T00:00:02.000Z',
        }),
      ]),
    );
    expect(v.checks.map((c) => [c.name, c.status, c.word, c.icon, c.since])).toEqual([
      ['cache', 'fail', 'failed', '✖', '2026-01-01T00:00:02.000Z'],
      ['db', 'pending', 'pending', '…', '2026-01-01T00:00:00.000Z'],
    ]);
  });

  it(
    "lists the analysis' incidents, ongoing first, in its own words, and a delta carries them only when they " +
      'changed',
    () => {
      const analysis = {
        time: '2026-01-01T00:10:00.000Z',
        windowSeconds: 86400,
        status: 'fail' as const,
        headline: 'h is failed (fail): 1 failed now',
        incidents: [
          {
            check: 'cache',
            status: 'fail' as const,
            start: '2026-01-01T00:01:00.000Z',
            reportedAt: '2026-01-01T00:01:10.000Z',
            end: '2026-01-01T00:02:00.000Z',
            ongoing: false,
            durationSeconds: 60,
            reason: 'refused',
            peak: null,
            before: [],
            processes: null,
          },
          {
            check: 'db',
            status: 'fail' as const,
            start: '2026-01-01T00:05:00.000Z',
            reportedAt: '2026-01-01T00:05:10.000Z',
            end: null,
            ongoing: true,
            durationSeconds: 300,
            reason: 'timed out',
            peak: null,
            before: [],
            processes: null,
          },
        ],
        findings: [
          {
            kind: 'incident' as const,
            severity: 'fail' as const,
            check: 'db',
            text: 'db failed since 00:05:00, 5m ago: timed out',
            figures: { start: '2026-01-01T00:05:00.000Z' },
          },
          {
            kind: 'incident' as const,
            severity: 'info' as const,
            check: 'cache',
            text: 'cache was failed 00:01:00–00:02:00 (1m), ended 8m ago: refused',
            figures: { start: '2026-01-01T00:01:00.000Z' },
          },
        ],
      };
      const v = toView(snap([check({ status: 'fail' })], 'fail'), analysis);
      expect(v.incidents.map((i) => [i.check, i.ongoing, i.text, i.durationSeconds, i.reason])).toEqual([
        ['db', true, 'db failed since 00:05:00, 5m ago: timed out', 300, 'timed out'],
        ['cache', false, 'cache was failed 00:01:00–00:02:00 (1m), ended 8m ago: refused', 60, 'refused'],
      ]);
      expect(diff(v, v, []).incidents).toBeUndefined();
      expect(diff(toView(snap([check({})])), v, []).incidents).toHaveLength(2);
    },
  );

  it('a delta carries only changed, new and removed rows', () => {
    const a = toView(snap([check({}), check({ name: 'cache', kind: 'redis' })]));
    const b = toView(snap([check({ status: 'fail', output: 'refused' }), check({ name: 'api', kind: 'http' })]));
    const d = diff(a, b, []);
    expect(d.checks.map((c) => `${c.name}:${c.status}`)).toEqual(['db:fail', 'api:pass']);
    expect(d.removed).toEqual(['cache']);
    expect(diff(b, b, []).checks).toEqual([]);
  });
});
