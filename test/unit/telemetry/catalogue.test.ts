import { describe, expect, it } from 'vitest';
import type { CheckState, Snapshot } from '../../../src/monitor/schema.js';
import { OBSERVED, observeHistory, observeSnapshot, type Attributes } from '../../../src/telemetry/catalogue.js';

const now = '2026-01-01T00:00:00.000Z';

function dependency(name: string, over: Partial<CheckState> = {}): CheckState {
  return {
    name,
    kind: 'http',
    group: 'dependency',
    component: name,
    measurement: 'responseTime',
    status: 'pass',
    critical: false,
    observedValue: 0.012,
    observedUnit: 's',
    output: '',
    since: now,
    time: now,
    latencySeconds: 0.012,
    breaker: 'closed',
    consecutiveFailures: 0,
    consecutiveSuccesses: 1,
    runs: 1,
    skippedRuns: 0,
    instances: [
      {
        name,
        target: 'https://user:***@api.example.com/health?token=***',
        ok: true,
        latencySeconds: 0.012,
        values: { responseTimeSeconds: 0.012, certExpiryTimestampSeconds: 1_800_000_000 },
      },
    ],
    ...over,
  };
}

const snapshot: Snapshot = {
  status: 'warn',
  time: now,
  startedAt: now,
  hostname: 'box',
  checks: {
    cpu: {
      name: 'cpu',
      kind: 'cpu',
      group: 'host',
      component: 'cpu',
      measurement: 'utilization',
      status: 'pass',
      critical: true,
      observedValue: 0.2,
      observedUnit: '1',
      output: '',
      since: now,
      time: now,
    },
    api: dependency('api'),
    db: dependency('db', {
      kind: 'postgres',
      status: 'fail',
      breaker: 'open',
      latencySeconds: null,
      lastError: 'connect ECONNREFUSED 10.0.0.7:5432',
      instances: [
        {
          name: 'db',
          target: 'postgres://10.0.0.7/app',
          ok: false,
          latencySeconds: null,
          values: {},
          error: 'connect ECONNREFUSED 10.0.0.7:5432',
        },
      ],
    }),
    fresh: dependency('fresh', { runs: 0, instances: [], status: 'pending' }),
  },
  host: {
    cpu: {
      utilization: 0.25,
      modes: { user: 0.2, system: 0.05, idle: 0.75 },
      secondsTotal: { user: 100, system: 20, idle: 900 },
      perCore: [0.3, 0.2],
      cores: 2,
    },
    load: { load1: 0.5, load5: 0.4, load15: 0.3, perCore1: 0.25, perCore5: 0.2, perCore15: 0.15, cores: 2 },
    memory: {
      totalBytes: 1000,
      availableBytes: 600,
      usedBytes: 400,
      freeBytes: 300,
      buffersBytes: 50,
      cachedBytes: 250,
      utilization: 0.4,
      swapTotalBytes: 0,
      swapUsedBytes: 0,
      swapUtilization: null,
    },
    filesystems: [
      {
        mountpoint: '/',
        device: '/dev/sda1',
        type: 'ext4',
        sizeBytes: 100,
        usedBytes: 40,
        availableBytes: 55,
        reservedBytes: 5,
        utilization: 40 / 95,
        inodesTotal: 10,
        inodesUsed: 1,
        inodesUtilization: 0.1,
        readOnly: false,
      },
    ],
    network: [
      {
        interface: 'eth0',
        receiveBytes: 1,
        transmitBytes: 2,
        receivePackets: 3,
        transmitPackets: 4,
        receiveErrors: 5,
        transmitErrors: 6,
        receiveDropped: 7,
        transmitDropped: 8,
        receiveBytesPerSecond: null,
        transmitBytesPerSecond: null,
      },
    ],
  },
  self: {
    pid: 1,
    uptimeSeconds: 10,
    rssBytes: 5e7,
    heapUsedBytes: 2e7,
    heapTotalBytes: 3e7,
    externalBytes: 1e6,
    cpuSecondsTotal: { user: 1, system: 0.5 },
    cpuUtilization: 0.5,
    eventLoopDelaySeconds: { p50: 0.01, p99: 0.02, max: 0.05 },
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

function observe(s: Snapshot) {
  const out: { name: string; value: number; attributes: Attributes }[] = [];
  observeSnapshot(s, (name, value, attributes = {}) => out.push({ name, value, attributes }));
  const find = (name: string, attrs: Attributes = {}) =>
    out.filter((o) => o.name === name && Object.entries(attrs).every(([k, v]) => o.attributes[k] === v));
  return { out, find };
}

describe('snapshot → observations', () => {
  const { out, find } = observe(snapshot);

  it('observes only declared instruments', () => {
    const declared = new Set<string>(OBSERVED.map((s) => s.name));
    for (const o of out) expect(declared.has(o.name), o.name).toBe(true);
  });

  it('maps host figures to the system semantic conventions', () => {
    expect(find('system.cpu.utilization', { 'cpu.mode': 'idle' })[0]?.value).toBe(0.75);
    expect(find('system.cpu.time', { 'cpu.mode': 'user' })[0]?.value).toBe(100);
    expect(find('system.memory.usage', { 'system.memory.state': 'used' })[0]?.value).toBe(400);
    expect(find('system.memory.utilization', { 'system.memory.state': 'used' })[0]?.value).toBeCloseTo(0.4);
    expect(find('system.memory.limit')[0]?.value).toBe(1000);
    expect(
      find('system.filesystem.usage', { 'system.filesystem.mountpoint': '/' })
        .map((o) => o.attributes['system.filesystem.state'])
        .sort(),
    ).toEqual(['free', 'reserved', 'used']);
    expect(
      find('system.filesystem.utilization', {
        'system.filesystem.mountpoint': '/',
        'system.filesystem.state': 'used',
      })[0]?.value,
    ).toBeCloseTo(40 / 95);
    expect(
      find('system.network.io', { 'network.interface.name': 'eth0', 'network.io.direction': 'transmit' })[0]?.value,
    ).toBe(2);
    expect(find('system.network.packet.dropped', { 'network.io.direction': 'receive' })[0]?.value).toBe(7);
    expect(find('system.cpu.load_average.15m')[0]?.value).toBe(0.3);
  });

  it('reports swap usage as zero and no utilization on a host without swap', () => {
    expect(find('system.paging.usage').map((o) => o.value)).toEqual([0, 0]);
    expect(find('system.paging.utilization')).toHaveLength(0);
    const withSwap = observe({
      ...snapshot,
      host: {
        ...snapshot.host,
        memory: { ...snapshot.host.memory!, swapTotalBytes: 200, swapUsedBytes: 50, swapUtilization: 0.25 },
      },
    });
    expect(withSwap.find('system.paging.utilization', { 'system.paging.state': 'used' })[0]?.value).toBe(0.25);
  });

  it('divides the daemon CPU share by the logical CPUs, as process.cpu.utilization asks', () => {
    expect(find('process.cpu.utilization')[0]?.value).toBe(0.25);
    expect(find('process.unix.file_descriptor.count')[0]?.value).toBe(20);
  });

  it('encodes check status, up, breaker and certificate expiry', () => {
    expect(find('vitals.overall.status')[0]?.value).toBe(1);
    expect(find('vitals.check.status', { check: 'db' })[0]).toMatchObject({
      value: 2,
      attributes: { check: 'db', kind: 'postgres', critical: 'false' },
    });
    expect(find('vitals.check.status', { check: 'cpu' })[0]?.attributes).toEqual({
      check: 'cpu',
      kind: 'cpu',
      critical: 'true',
    });
    expect(find('vitals.check.status', { check: 'cpu' })[0]?.value).toBe(0);
    expect(find('vitals.check.up', { check: 'api', kind: 'http' })[0]?.value).toBe(1);
    expect(find('vitals.check.up', { check: 'db', kind: 'postgres' })[0]?.value).toBe(0);
    expect(find('vitals.breaker.open', { check: 'db' })[0]?.value).toBe(1);
    expect(find('vitals.breaker.open', { check: 'api' })[0]?.value).toBe(0);
    expect(find('vitals.cert.expiry.timestamp', { check: 'api', check_instance: 'api' })[0]?.value).toBe(1_800_000_000);
    expect(find('vitals.check.latency', { check: 'db' })).toHaveLength(0);
  });

  it('says nothing of up or status for a dependency that has not run (pending), nor of up for host checks', () => {
    expect(find('vitals.check.up', { check: 'fresh' })).toHaveLength(0);
    // Absent, not a false 0 (pass): a pending check has no status yet.
    expect(find('vitals.check.status', { check: 'fresh' })).toHaveLength(0);
    expect(find('vitals.check.up', { check: 'cpu' })).toHaveLength(0);
  });

  it('never puts a target, an address or an error message in a label', () => {
    const values = out.flatMap((o) => Object.values(o.attributes));
    for (const v of values) {
      expect(v).not.toMatch(/:\/\/|\?|\d+\.\d+\.\d+\.\d+|ECONNREFUSED|\s/);
    }
  });
});

describe('history store → observations', () => {
  it('reports the store’s own figures under its kind', () => {
    const out: Record<string, [number, Attributes | undefined]> = {};
    observeHistory(
      { kind: 'postgres', series: 12, bytes: 4096, buffered: 30, dropped: 2, written: 900, available: false },
      (name, value, attributes) => (out[name] = [value, attributes]),
    );
    expect(out['vitals.history.samples.dropped']).toEqual([2, { 'vitals.history.store.kind': 'postgres' }]);
    expect(out['vitals.history.store.available']?.[0]).toBe(0);
    expect(out['vitals.history.memory.usage']?.[0]).toBe(4096);
    const declared = new Set<string>(OBSERVED.map((s) => s.name));
    for (const name of Object.keys(out)) expect(declared.has(name), name).toBe(true);
  });
});
