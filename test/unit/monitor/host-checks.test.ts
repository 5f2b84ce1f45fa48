import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { overallStatus } from '../../../src/monitor/health-monitor.js';
import { HostChecks } from '../../../src/monitor/host-checks.js';
import type { CheckState, HostState, ToolStats } from '../../../src/monitor/schema.js';

const thresholds = parseConfig({}, {}).host.thresholds;
const tools = (calls: number, errors: number): ToolStats => ({
  calls,
  errors,
  clientErrors: 0,
  windowSeconds: 300,
  callsInWindow: calls,
  errorsInWindow: errors,
  errorRate: calls ? errors / calls : null,
  latencySeconds: { p50: null, p95: null },
  byTool: {},
});
const fs = (mountpoint: string, utilization: number, inodesUtilization: number | null = 0.1) => ({
  mountpoint,
  device: `/dev/${mountpoint}`,
  type: 'ext4',
  sizeBytes: 100,
  usedBytes: utilization * 100,
  availableBytes: (1 - utilization) * 100,
  reservedBytes: 0,
  utilization,
  inodesTotal: 100,
  inodesUsed: 10,
  inodesUtilization,
  readOnly: false,
});
const host = (cpu: number, mem: number, disks = [fs('/', 0.2)]): HostState => ({
  cpu: { utilization: cpu, modes: {}, secondsTotal: {}, perCore: [], cores: 2 },
  memory: {
    totalBytes: 100,
    availableBytes: 100 - mem * 100,
    usedBytes: mem * 100,
    freeBytes: 0,
    buffersBytes: 0,
    cachedBytes: 0,
    utilization: mem,
    swapTotalBytes: 0,
    swapUsedBytes: 0,
    swapUtilization: null,
  },
  filesystems: disks,
});

describe('HostChecks', () => {
  it('holds CPU at fail for its for: duration, records one transition, and names the reason', () => {
    const hc = new HostChecks(thresholds);
    const changes: string[] = [];
    const started: (number | undefined)[] = [];
    const onChange = (n: string, f: string, t: string, _o: string, s?: number) => (
      changes.push(`${n} ${f}->${t}`), started.push(s)
    );
    let cpu = hc.evaluate(host(0.97, 0.1), tools(0, 0), 0, {}, onChange).find((c) => c.name === 'cpu')!;
    expect(cpu.status).toBe('pass');
    expect(cpu.pending).toMatchObject({ status: 'fail', forSeconds: 60 });
    expect(cpu.output).toMatch(/CPU 97\.0% busy above fail level 95\.0% for 0s of its 60s hold/);
    cpu = hc.evaluate(host(0.97, 0.1), tools(0, 0), 60_000, {}, onChange).find((c) => c.name === 'cpu')!;
    expect(cpu.status).toBe('fail');
    expect(cpu.since).toBe(new Date(60_000).toISOString());
    // The problem began when the value first crossed the level, a minute before the hold matured.
    expect(cpu.problemSince).toBe(new Date(0).toISOString());
    expect(cpu.output).toMatch(/at or above fail level 95\.0% for 60s/);
    // Its first result (a pass with a hold running) is no event; the matured fail is, with its true start.
    expect(changes).toEqual(['cpu pass->fail']);
    expect(started).toEqual([0]);
    cpu = hc.evaluate(host(0.1, 0.1), tools(0, 0), 65_000, {}, onChange).find((c) => c.name === 'cpu')!;
    expect(cpu.problemSince).toBeUndefined();
    expect(changes).toEqual(['cpu pass->fail', 'cpu fail->pass']);
  });

  it('a check that starts out failing is an event too', () => {
    const hc = new HostChecks({ ...thresholds, memory: { ...thresholds.memory, for: 0 } });
    const changes: string[] = [];
    hc.evaluate(host(0.1, 0.95), tools(0, 0), 0, {}, (n, f, t) => changes.push(`${n} ${f}->${t}`));
    expect(changes).toEqual(['memory unknown->fail']);
  });

  it('a collector that failed makes its check warn with no value, and resets its hold', () => {
    const hc = new HostChecks(thresholds);
    hc.evaluate(host(0.97, 0.1), tools(0, 0), 0, {}, () => {});
    const { cpu: _gone, ...noCpu } = host(0.97, 0.1);
    const cpu = hc
      .evaluate(noCpu, tools(0, 0), 30_000, { cpu: 'timed out after 2000ms' }, () => {})
      .find((c) => c.name === 'cpu')!;
    expect(cpu).toMatchObject({
      status: 'warn',
      observedValue: null,
      output: 'no current sample: timed out after 2000ms',
    });
    // The 97 % seen before the gap does not count towards the 60 s hold afterwards.
    const after = hc.evaluate(host(0.97, 0.1), tools(0, 0), 61_000, {}, () => {}).find((c) => c.name === 'cpu')!;
    expect(after.status).toBe('pass');
    expect(after.pending?.status).toBe('fail');
  });

  it('a filesystem that cannot be read is a warn check, not a missing one', () => {
    const hc = new HostChecks(thresholds);
    const changes: string[] = [];
    const h = {
      ...host(0.1, 0.1),
      filesystemErrors: [{ mountpoint: '/mnt/nfs', device: 'srv:/x', type: 'nfs4', error: 'statfs timed out' }],
    };
    const checks = hc.evaluate(h, tools(0, 0), 0, {}, (n, f, t) => changes.push(`${n} ${f}->${t}`));
    expect(checks.find((c) => c.name === 'disk:/mnt/nfs')).toMatchObject({
      status: 'warn',
      componentId: '/mnt/nfs',
      output: 'no current sample: statfs timed out',
    });
    expect(changes).toEqual(['disk:/mnt/nfs unknown->warn']);
  });

  it('judges a disk by the fuller of bytes and inodes, per mount', () => {
    const hc = new HostChecks({ ...thresholds, disk: { ...thresholds.disk, for: 0 } });
    const checks = hc.evaluate(host(0.1, 0.1, [fs('/', 0.5, 0.97), fs('/data', 0.9)]), tools(0, 0), 0, {}, () => {});
    expect(checks.find((c) => c.name === 'disk:/')).toMatchObject({
      status: 'fail',
      componentId: '/',
      output: expect.stringMatching(/of inodes/),
    });
    expect(checks.find((c) => c.name === 'disk:/data')).toMatchObject({ status: 'warn', observedValue: 0.9 });
  });

  it('judges the tool error rate only once minCalls were made', () => {
    const hc = new HostChecks(thresholds);
    expect(
      hc.evaluate(host(0.1, 0.1), tools(3, 3), 0, {}, () => {}).find((c) => c.name === 'tool_errors'),
    ).toMatchObject({ status: 'pass', observedValue: null });
    expect(
      hc.evaluate(host(0.1, 0.1), tools(20, 1), 1, {}, () => {}).find((c) => c.name === 'tool_errors'),
    ).toMatchObject({ status: 'warn', observedValue: 0.05 });
    expect(
      hc.evaluate(host(0.1, 0.1), tools(20, 3), 2, {}, () => {}).find((c) => c.name === 'tool_errors'),
    ).toMatchObject({ status: 'fail' });
  });
});

describe('overallStatus', () => {
  const c = (over: Partial<CheckState>) =>
    ({ group: 'dependency', critical: false, status: 'pass', ...over }) as CheckState;
  it('a failing non-critical dependency only warns; a critical one fails; host failures fail', () => {
    expect(overallStatus([c({ status: 'fail' })])).toBe('warn');
    expect(overallStatus([c({ status: 'fail', critical: true })])).toBe('fail');
    expect(overallStatus([c({ group: 'host', status: 'fail' }), c({})])).toBe('fail');
    expect(overallStatus([])).toBe('pass');
  });
});
