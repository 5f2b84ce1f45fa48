import { describe, expect, it } from 'vitest';
import { checkDependenciesTool, DEPENDENCIES_TEXT_BUDGET } from '../../../src/mcp/tools/check-dependencies.js';
import { HEALTH_TEXT_BUDGET, healthCheckTool } from '../../../src/mcp/tools/health-check.js';
import type { ToolContext } from '../../../src/mcp/tools/types.js';
import type { CheckState, Snapshot } from '../../../src/monitor/schema.js';

const T = Date.UTC(2026, 5, 1, 14, 5, 10);
const iso = (t: number) => new Date(t).toISOString();

const dep = (name: string, over: Partial<CheckState> = {}): CheckState => ({
  name,
  kind: 'tcp',
  group: 'dependency',
  component: name,
  measurement: 'responseTime',
  status: 'pass',
  critical: false,
  observedValue: 0.0031,
  observedUnit: 's',
  latencySeconds: 0.0031,
  output: '',
  since: iso(T - 3_600_000),
  time: iso(T),
  breaker: 'closed',
  runs: 10,
  instances: [],
  ...over,
});
const host = (name: string, value: number): CheckState => ({
  name,
  kind: name.split(':')[0]!,
  group: 'host',
  component: name,
  measurement: 'utilization',
  status: 'pass',
  critical: false,
  observedValue: value,
  observedUnit: 'ratio',
  threshold: { warn: 0.85, fail: 0.95, forSeconds: 60 },
  output: '',
  since: iso(T - 3_600_000),
  time: iso(T),
});

function ctx(checks: CheckState[]): ToolContext {
  const snapshot = {
    status: 'warn',
    time: iso(T),
    startedAt: iso(T - 7_200_000),
    hostname: 'vm',
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
  } as Snapshot;
  return { monitor: { ready: Promise.resolve(), snapshot, now: () => T } as never };
}

// 50 checks: the host's four, 40 healthy dependencies, 5 failing, 1 with no result yet.
const fifty = [
  host('cpu', 0.124),
  host('memory', 0.41),
  host('disk:/', 0.228),
  { ...host('tool_errors', 0), observedValue: null },
  ...Array.from({ length: 40 }, (_, i) => dep(`svc-${String(i).padStart(2, '0')}`)),
  ...Array.from({ length: 5 }, (_, i) =>
    dep(`down-${i}`, {
      status: 'fail',
      observedValue: null,
      latencySeconds: null,
      since: iso(T - 170_000),
      problemSince: iso(T - 180_000),
      output: 'circuit open after 5 failed runs (last: connection refused); next try in 12s',
    }),
  ),
  dep('orders-db', { status: 'pending', observedValue: null, latencySeconds: null, output: 'no result yet', runs: 0 }),
];

describe('text budgets', () => {
  it(
    'health_check with 50 checks stays within 1,500 characters, ' + 'problems first with since when, pending apart',
    async () => {
      const r = await healthCheckTool.run({}, ctx(fifty));
      expect(r.text.length).toBeLessThanOrEqual(HEALTH_TEXT_BUDGET);
      const lines = r.text.split('\n');
      expect(lines[0]).toBe('vm is warning (warn): 5 failed, 44 ok, 1 pending of 50 checks');
      expect(lines[1]).toBe('Problems:');
      expect(lines[2]).toBe(
        '- down-0: failed since 14:02:10, 3m ago: circuit open after 5 failed runs (last: connection refused); ' +
          'next try in 12s',
      );
      expect(r.text).toMatch(/^Pending \(no result yet\): orders-db$/m);
      expect(r.text).toMatch(/^OK: cpu 12\.4%, memory 41\.0%, disk:\/ 22\.8%, tool_errors –, svc-00 3\.1ms/m);
      // Ok checks are never listed as problems; the structured content has all 50.
      expect(r.data.problems).toHaveLength(5);
      expect(r.data.checks).toHaveLength(50);
      const verbose = await healthCheckTool.run({ verbose: true }, ctx(fifty));
      expect(verbose.text.split('\n')).toHaveLength(51);
      expect(verbose.text).toMatch(/^- cpu: ok — 12\.4% \(warn 85\.0%, fail 95\.0%, for 60s\)$/m);
    },
  );

  it(
    'check_dependencies past its budget lists problems in full and passing ones on one line; verbose ' + 'lists all',
    async () => {
      const r = await checkDependenciesTool.run({}, ctx(fifty));
      expect(r.text.length).toBeLessThanOrEqual(DEPENDENCIES_TEXT_BUDGET);
      const lines = r.text.split('\n');
      expect(lines[0]).toBe(
        '- down-0 (tcp): failed since 14:02:10, 3m ago — circuit open after 5 failed runs (last: connection ' +
          'refused); next try in 12s',
      );
      expect(lines[5]).toBe('- orders-db (tcp): pending — no result yet');
      expect(lines.at(-1)).toMatch(/^OK: svc-00 3\.1ms, svc-01 3\.1ms, /);
      const verbose = await checkDependenciesTool.run({ verbose: true }, ctx(fifty));
      expect(verbose.text.split('\n')).toHaveLength(46);
      // Small configurations keep one line per dependency.
      const small = await checkDependenciesTool.run({}, ctx([dep('orders-db'), dep('cache', { kind: 'redis' })]));
      expect(small.text).toBe('- orders-db (tcp): ok, 3.1ms\n- cache (redis): ok, 3.1ms');
    },
  );
});

describe('list_events text', () => {
  it('stops at its budget and says how many more the structured content has', async () => {
    const { listEventsTool, EVENTS_TEXT_BUDGET } = await import('../../../src/mcp/tools/list-events.js');
    const events = Array.from({ length: 200 }, (_, i) => ({
      time: iso(T - i * 1000),
      check: `svc-${i}`,
      type: 'status' as const,
      from: 'pass',
      to: 'fail',
      reason: 'connection refused by the server at the far end',
      startedAt: iso(T - i * 1000 - 2000),
    }));
    const monitor = { ready: Promise.resolve(), now: () => T, events: () => events };
    const r = await listEventsTool.run({ window: '1h', limit: 200 }, { monitor } as never);
    expect(r.text.length).toBeLessThanOrEqual(EVENTS_TEXT_BUDGET);
    expect(r.text.split('\n')[0]).toBe('200 events in the last 1h, newest first:');
    expect(r.text.split('\n')[1]).toBe(
      '- 14:05:10 svc-0 ok → failed (began 14:05:08): connection refused by the server at the far end',
    );
    expect(r.text).toMatch(/\n… \d+ more \(in the structured content\)$/);
    expect(r.data.events).toHaveLength(200);
  });
});
