import { describe, expect, it } from 'vitest';
import { isLoopback, parseListen } from '../../../src/http/listen.js';
import { readiness, toHealthDocument } from '../../../src/http/health-json.js';
import type { CheckState, Snapshot } from '../../../src/monitor/schema.js';

const check = (over: Partial<CheckState>): CheckState => ({
  name: 'x',
  kind: 'postgres',
  group: 'dependency',
  component: 'x',
  measurement: 'responseTime',
  status: 'pass',
  critical: false,
  observedValue: 0.002,
  observedUnit: 's',
  output: '',
  since: '2026-01-01T00:00:00.000Z',
  time: '2026-01-01T00:00:05.000Z',
  runs: 1,
  ...over,
});

const snap = (checks: CheckState[], status: Snapshot['status'] = 'pass'): Snapshot => ({
  status,
  time: '2026-01-01T00:00:05.000Z',
  startedAt: '2026-01-01T00:00:00.000Z',
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
});

describe('health+json', () => {
  it('keys checks component:measurement, grouping mounts by componentId', () => {
    const doc = toHealthDocument(
      snap(
        [
          check({ name: 'orders-db', component: 'orders-db', status: 'fail', output: 'connection refused' }),
          check({
            name: 'disk:/',
            kind: 'disk',
            group: 'host',
            component: 'disk',
            measurement: 'utilization',
            componentId: '/',
            observedValue: 0.5,
            observedUnit: 'ratio',
          }),
          check({
            name: 'disk:/var',
            kind: 'disk',
            group: 'host',
            component: 'disk',
            measurement: 'utilization',
            componentId: '/var',
            observedValue: 0.7,
            observedUnit: 'ratio',
          }),
        ],
        'fail',
      ),
      '1.2.3',
    );
    expect(doc.status).toBe('fail');
    expect(doc.releaseId).toBe('1.2.3');
    expect(doc.checks['orders-db:responseTime']).toEqual([
      {
        componentType: 'datastore',
        observedValue: 0.002,
        observedUnit: 's',
        status: 'fail',
        time: '2026-01-01T00:00:05.000Z',
        output: 'connection refused',
      },
    ]);
    expect(doc.checks['disk:utilization']!.map((e) => e.componentId)).toEqual(['/', '/var']);
  });
});

describe('health+json: a check with no result', () => {
  it('is pending in its entry, with no value, and does not sway the overall status', () => {
    const doc = toHealthDocument(
      snap([
        check({
          name: 'orders-db',
          component: 'orders-db',
          status: 'pending',
          observedValue: null,
          output: 'no result yet',
          runs: 0,
        }),
      ]),
      '1.2.3',
    );
    expect(doc.status).toBe('pass');
    expect(doc.checks['orders-db:responseTime']).toEqual([
      {
        componentType: 'datastore',
        observedValue: null,
        observedUnit: 's',
        status: 'pending',
        time: '2026-01-01T00:00:05.000Z',
        output: 'no result yet',
      },
    ]);
  });
});

describe('readiness', () => {
  const opts = { started: true, shuttingDown: false, exclude: new Set<string>() };
  it('ready when every critical check passes or warns; non-critical failures do not count', () => {
    const s = snap([check({ name: 'a', critical: true, status: 'warn' }), check({ name: 'b', status: 'fail' })]);
    expect(readiness(s, opts).ready).toBe(true);
  });
  it('not ready on a failed critical check, unless excluded', () => {
    const s = snap([check({ name: 'a', critical: true, status: 'fail', output: 'refused' })]);
    const r = readiness(s, opts);
    expect(r.ready).toBe(false);
    expect(r.lines).toContainEqual({ name: 'a', ok: false, reason: 'refused' });
    expect(readiness(s, { ...opts, exclude: new Set(['a']) }).ready).toBe(true);
  });
  it('not ready while a critical dependency has not been checked yet', () => {
    const r = readiness(snap([check({ name: 'a', critical: true, runs: 0 })]), opts);
    expect(r.ready).toBe(false);
    expect(r.lines).toContainEqual({ name: 'a', ok: false, reason: 'not checked yet' });
  });
  it('not ready before the first sample or while shutting down', () => {
    expect(readiness(snap([]), { ...opts, started: false }).ready).toBe(false);
    expect(readiness(snap([]), { ...opts, shuttingDown: true }).ready).toBe(false);
  });
});

describe('listen addresses', () => {
  it('parses host:port forms', () => {
    expect(parseListen('127.0.0.1:9464')).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(parseListen('[::1]:80')).toEqual({ host: '::1', port: 80 });
    expect(() => parseListen('9464')).toThrow(/host:port/);
  });
  it('knows loopback from the rest', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', '::1', 'localhost']) expect(isLoopback(h)).toBe(true);
    for (const h of ['0.0.0.0', '::', '10.0.0.1', 'example.com']) expect(isLoopback(h)).toBe(false);
  });
});
