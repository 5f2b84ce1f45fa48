import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { MonitorEvents, SnapshotChanges } from '../../../src/monitor/health-monitor.js';
import type { CheckState, HealthEvent, Snapshot } from '../../../src/monitor/schema.js';
import { MemoryHistory } from '../../../src/store/memory.js';
import { Recorder } from '../../../src/store/recorder.js';

const T0 = Date.parse('2026-03-01T12:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();

function check(over: Partial<CheckState> & Pick<CheckState, 'name' | 'group'>): CheckState {
  return {
    kind: over.group === 'dependency' ? 'postgres' : over.name,
    component: over.name,
    measurement: 'utilization',
    status: 'pass',
    critical: false,
    observedValue: null,
    observedUnit: 'ratio',
    output: '',
    since: iso(T0),
    time: iso(T0),
    ...over,
  };
}

/** A host with one of everything the collectors sample, a judged cpu check and a dependency `db`. */
function snapshot(time: number, checks: CheckState[], host: Snapshot['host'] = hostSample()): Snapshot {
  return {
    status: 'pass',
    time: iso(time),
    startedAt: iso(T0),
    hostname: 'test',
    checks: Object.fromEntries(checks.map((c) => [c.name, c])),
    host,
    self: {
      pid: 1,
      uptimeSeconds: 60,
      rssBytes: 50e6,
      heapUsedBytes: 20e6,
      heapTotalBytes: 30e6,
      externalBytes: 1e6,
      cpuSecondsTotal: { user: 1, system: 0.5 },
      cpuUtilization: 0.01,
      eventLoopDelaySeconds: { p50: 0.001, p99: 0.002, max: 0.003 },
      openFds: 20,
      maxFds: 1024,
    },
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
}

function hostSample(): Snapshot['host'] {
  return {
    cpu: { utilization: 0.25, modes: {}, secondsTotal: {}, perCore: [0.2, 0.3], cores: 2 },
    load: { load1: 1.5, load5: 1, load15: 0.5, perCore1: 0.75, perCore5: 0.5, perCore15: 0.25, cores: 2 },
    memory: {
      totalBytes: 8e9,
      availableBytes: 6e9,
      usedBytes: 2e9,
      freeBytes: 5e9,
      buffersBytes: 0,
      cachedBytes: 1e9,
      utilization: 0.25,
      swapTotalBytes: 0,
      swapUsedBytes: 0,
      swapUtilization: null,
    },
    filesystems: [
      {
        mountpoint: '/',
        device: '/dev/sda1',
        type: 'ext4',
        sizeBytes: 100e9,
        usedBytes: 40e9,
        availableBytes: 60e9,
        reservedBytes: 0,
        utilization: 0.4,
        inodesTotal: 1000,
        inodesUsed: 100,
        inodesUtilization: 0.1,
        readOnly: false,
      },
    ],
    network: [
      {
        interface: 'eth0',
        receiveBytes: 1000,
        transmitBytes: 2000,
        receivePackets: 10,
        transmitPackets: 20,
        receiveErrors: 0,
        transmitErrors: 0,
        receiveDropped: 0,
        transmitDropped: 0,
        receiveBytesPerSecond: 100,
        transmitBytesPerSecond: 200,
      },
    ],
  };
}

const cpuCheck = (time: number) =>
  check({ name: 'cpu', group: 'host', status: 'warn', observedValue: 0.25, time: iso(time) });
const db = (time: number, over: Partial<CheckState> = {}) =>
  check({ name: 'db', group: 'dependency', runs: 1, latencySeconds: 0.012, time: iso(time), ...over });

function setup(options: ConstructorParameters<typeof Recorder>[2] = {}) {
  let now = T0 + 60_000;
  const history = new MemoryHistory({
    retention: { raw: 3_600_000, minute: 86_400_000, quarter: 604_800_000 },
    maxRawPerSeries: 3600,
    maxSeries: 100,
    eventsMax: 100,
    clock: () => now,
  });
  const monitor = new EventEmitter<MonitorEvents>();
  const recorder = new Recorder(monitor, history, options);
  recorder.start();
  const publish = (s: Snapshot, changes: Partial<SnapshotChanges>) => {
    now = Math.max(now, Date.parse(s.time) + 1000);
    monitor.emit('snapshot', s, { host: false, checks: new Set(), ...changes });
  };
  /** Every sample of `series` as [time, value], read back from the store. */
  const samples = async (series: string): Promise<[number, number][]> => {
    const r = await history.query({ series, from: T0 - 60_000, to: now, step: 1000, maxPoints: 10_000 });
    return r.points.map((p) => [Date.parse(p.time), p.avg]);
  };
  const names = async () => (await history.series()).map((s) => s.name);
  return { history, monitor, recorder, publish, samples, names };
}

describe('Recorder', () => {
  it('a host sample records the host series and the host checks judged on it, at the snapshot time', async () => {
    const { publish, samples, names } = setup();
    const t = T0 + 5000;
    publish(snapshot(t, [cpuCheck(t), db(T0)]), { host: true });

    expect(await names()).toEqual(
      expect.arrayContaining([
        'cpu.utilization',
        'memory.utilization',
        'load.1m',
        'disk.utilization:/',
        'network.receive:eth0',
        'network.transmit:eth0',
        'self.rss',
        'check.status:cpu',
        'check.value:cpu',
      ]),
    );
    // No swap on this host, and the dependency did not run in this change set.
    expect(await names()).not.toContain('swap.utilization');
    expect((await names()).filter((n) => n.endsWith(':db'))).toEqual([]);
    expect(await samples('cpu.utilization')).toEqual([[t, 0.25]]);
    expect(await samples('disk.utilization:/')).toEqual([[t, 0.4]]);
    expect(await samples('network.transmit:eth0')).toEqual([[t, 200]]);
    expect(await samples('self.rss')).toEqual([[t, 50e6]]);
    expect(await samples('check.status:cpu')).toEqual([[t, 1]]);
    expect(await samples('check.value:cpu')).toEqual([[t, 0.25]]);
  });

  it('a dependency round records only that check: its status and latency at its own time', async () => {
    const { publish, samples, names, history } = setup();
    const t = T0 + 7000;
    publish(snapshot(t + 100, [cpuCheck(T0), db(t, { status: 'pass', latencySeconds: 0.012 })]), {
      checks: new Set(['db']),
    });
    expect(await names()).toEqual(['check.latency:db', 'check.status:db']);
    expect(await samples('check.status:db')).toEqual([[t, 0]]);
    expect(await samples('check.latency:db')).toEqual([[t, 0.012]]);

    // A failed run has no latency: only its status is recorded.
    const t2 = t + 5000;
    publish(snapshot(t2, [db(t2, { status: 'fail', latencySeconds: null, runs: 2 })]), { checks: new Set(['db']) });
    expect(await samples('check.status:db')).toEqual([
      [t, 0],
      [t2, 2],
    ]);
    expect(await samples('check.latency:db')).toEqual([[t, 0.012]]);
    expect(history.stats().written).toBe(3);
  });

  it('records nothing when nothing changed, for a run recorded already, or for a check with no result', async () => {
    const { publish, names, history } = setup();
    const t = T0 + 3000;
    publish(snapshot(t, [cpuCheck(t), db(t)]), {});
    // Before the first host sample the host is empty: nothing to record even when it is flagged.
    publish(snapshot(t, [], {}), { host: true });
    publish(snapshot(t, [db(t, { status: 'pending', runs: 0 })]), { checks: new Set(['db']) });
    publish(snapshot(t, []), { checks: new Set(['gone']) });
    expect(history.stats().written).toBe(0);
    expect(await names()).toEqual([]);

    publish(snapshot(t, [db(t)]), { checks: new Set(['db']) });
    const once = history.stats().written;
    expect(once).toBe(2);
    // The same run named again (a skipped round) is not recorded twice.
    publish(snapshot(t + 1000, [db(t)]), { checks: new Set(['db']) });
    expect(history.stats().written).toBe(once);
  });

  it('stores every event, and captures the process table when a check turns bad (at most once per 5 s)', async () => {
    let captures = 0;
    const { monitor, history } = setup({
      captureProcesses: async () => {
        captures++;
        return [{ pid: 42, name: 'busy', user: 'root', cpuPercent: 95, rssBytes: 1e6, memoryRatio: 0.01 }];
      },
    });
    const event = (to: string, check = 'db'): HealthEvent => ({
      time: iso(T0 + 1000),
      check,
      type: 'status',
      from: 'pass',
      to,
      reason: `went ${to}`,
    });
    monitor.emit('event', event('pass'));
    expect(captures).toBe(0);
    monitor.emit('event', event('fail'));
    monitor.emit('event', event('warn', 'cache'));
    expect(captures).toBe(1);
    await new Promise((r) => setImmediate(r));
    expect((await history.events()).map((e) => `${e.check}:${e.to}`).sort()).toEqual([
      'cache:warn',
      'db:fail',
      'db:pass',
    ]);
    const captured = history.processesNear(Date.now(), 60_000);
    expect(captured?.reason).toBe('db pass → fail');
    expect(captured?.processes.map((p) => p.name)).toEqual(['busy']);
  });

  it('records nothing once stopped', async () => {
    const { publish, recorder, monitor, history } = setup();
    recorder.stop();
    const t = T0 + 2000;
    publish(snapshot(t, [cpuCheck(t), db(t)]), { host: true, checks: new Set(['db']) });
    monitor.emit('event', { time: iso(t), check: 'db', type: 'status', from: 'pass', to: 'fail', reason: 'x' });
    expect(history.stats().written).toBe(0);
    expect(await history.events()).toEqual([]);
  });
});
