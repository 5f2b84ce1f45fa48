import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../../src/config/load.js';
import { HostChecks } from '../../../../src/monitor/host-checks.js';
import { collector, PressureCollector, parsePressure } from '../../../../src/probes/host/pressure.js';
import { NoDataError } from '../../../../src/probes/types.js';
import { seriesOf } from '../../../../src/store/recorder.js';
import { OBSERVED, observeSnapshot } from '../../../../src/telemetry/catalogue.js';
import { prometheusName } from '../../../../src/telemetry/prometheus-names.js';
import type { Snapshot } from '../../../../src/monitor/schema.js';

const CPU = 'some avg10=12.50 avg60=4.00 avg300=1.00 total=2500000\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n';
const MEMORY = 'some avg10=1.00 avg60=0.50 avg300=0.25 total=1000\nfull avg10=0.50 avg60=0.25 avg300=0.10 total=500\n';
const IO =
  'some avg10=4.57 avg60=1.95 avg300=0.96 total=6808021\nfull avg10=0.00 avg60=0.03 avg300=0.37 total=4241751\n';
const signal = new AbortController().signal;

function procfs(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'vitals-psi-'));
  mkdirSync(join(root, 'pressure'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(root, 'pressure', name), text);
  return root;
}

describe('pressure collector (Linux PSI)', () => {
  it('parses some and full lines into ratios and seconds; the system-wide CPU full line is not a reading', () => {
    expect(parsePressure(MEMORY, 'memory')).toEqual({
      some: { avg10: 0.01, avg60: 0.005, avg300: 0.0025, stallSecondsTotal: 0.001 },
      full: { avg10: 0.005, avg60: 0.0025, avg300: 0.001, stallSecondsTotal: 0.0005 },
    });
    expect(parsePressure(CPU, 'cpu')).toEqual({
      some: { avg10: 0.125, avg60: 0.04, avg300: 0.01, stallSecondsTotal: 2.5 },
    });
    // Kernels before 5.13 print no CPU full line at all.
    expect(parsePressure(CPU.split('\n')[0]!, 'cpu')).toEqual(parsePressure(CPU, 'cpu'));
    expect(parsePressure('garbage', 'io')).toBeUndefined();
  });

  it('reads the three files under an injected procfs root', async () => {
    const sample = await new PressureCollector(procfs({ cpu: CPU, memory: MEMORY, io: IO })).run(signal);
    expect(sample.cpu?.some.avg10).toBe(0.125);
    expect(sample.memory?.full?.stallSecondsTotal).toBe(0.0005);
    expect(sample.io?.some.stallSecondsTotal).toBeCloseTo(6.808021, 9);
  });

  it('sees each new reading of the files it keeps open', async () => {
    const root = procfs({ cpu: CPU, memory: MEMORY, io: IO });
    const c = new PressureCollector(root);
    expect((await c.run(signal)).cpu?.some.stallSecondsTotal).toBe(2.5);
    writeFileSync(join(root, 'pressure', 'cpu'), CPU.replace('total=2500000', 'total=3500000'));
    expect((await c.run(signal)).cpu?.some.stallSecondsTotal).toBe(3.5);
    await c.close();
  });

  it('reports the resources it has when one file is missing', async () => {
    const sample = await new PressureCollector(procfs({ cpu: CPU, io: IO })).run(signal);
    expect(Object.keys(sample)).toEqual(['cpu', 'io']);
  });

  it('without /proc/pressure says so once, then has no data (not a failure) without reading again', async () => {
    const root = mkdtempSync(join(tmpdir(), 'vitals-nopsi-'));
    const warned: string[] = [];
    const c = new PressureCollector(root, { warn: (_f, m) => warned.push(m) });
    await expect(c.run(signal)).rejects.toBeInstanceOf(NoDataError);
    // Were the files to appear now, they would not be read: the answer was given once.
    mkdirSync(join(root, 'pressure'));
    writeFileSync(join(root, 'pressure', 'cpu'), CPU);
    await expect(c.run(signal)).rejects.toBeInstanceOf(NoDataError);
    expect(warned).toHaveLength(1);
    expect(warned[0]).toMatch(/pressure stall information is not available here.*ENOENT/);
  });

  it('a read that is aborted is a failure, not "no PSI here"', async () => {
    const c = new PressureCollector(procfs({ cpu: CPU, memory: MEMORY, io: IO }));
    await expect(c.run(AbortSignal.abort())).rejects.not.toBeInstanceOf(NoDataError);
  });

  it('is on by default with its threshold in host.thresholds.cpuPressure, and can be turned off', () => {
    const host = parseConfig({}, {}).host;
    expect(host.collectors.pressure).toBe(true);
    expect(host.thresholds.cpuPressure).toEqual({ warn: 0.25, fail: 0.75, for: 300_000 });
    const off = parseConfig(
      { host: { collectors: { pressure: false }, thresholds: { cpuPressure: { warn: 0.1 } } } },
      {},
    );
    expect(off.host.collectors.pressure).toBe(false);
    expect(off.host.thresholds.cpuPressure.warn).toBe(0.1);
  });

  it('exports stall seconds and the avg10 share per resource and stall type, under base-unit names', async () => {
    const pressure = await new PressureCollector(procfs({ cpu: CPU, memory: MEMORY, io: IO })).run(signal);
    const names = OBSERVED.filter((s) => s.name.startsWith('vitals.pressure')).map((s) =>
      prometheusName(s.name, s.unit, s.kind === 'counter' ? 'counter' : 'gauge', true),
    );
    expect(names).toEqual(['vitals_pressure_stall_seconds_total', 'vitals_pressure_stall_avg10_ratio']);
    const seen: [string, number, Record<string, string> | undefined][] = [];
    const snapshot = { host: { pressure }, checks: {}, status: 'pass' } as unknown as Snapshot;
    observeSnapshot(snapshot, (n, v, a) => n.startsWith('vitals.pressure') && seen.push([n, v, a]));
    expect(seen).toContainEqual(['vitals.pressure.stall', 2.5, { resource: 'cpu', stall: 'some' }]);
    expect(seen).toContainEqual(['vitals.pressure.stall.avg10', 0.005, { resource: 'memory', stall: 'full' }]);
    expect(seen.some(([, , a]) => a?.resource === 'cpu' && a.stall === 'full')).toBe(false);
    expect(seen).toHaveLength(10);
  });

  it('records pressure.some and pressure.full series and warns on CPU pressure past its level', async () => {
    const pressure = await new PressureCollector(procfs({ cpu: CPU, memory: MEMORY, io: IO })).run(signal);
    const snapshot = { host: { pressure }, checks: {}, time: new Date(0).toISOString() } as unknown as Snapshot;
    const { values } = seriesOf(snapshot, { host: true, checks: new Set() })[0]!;
    expect(values).toEqual([
      ['pressure.some:cpu', 0.125],
      ['pressure.some:memory', 0.01],
      ['pressure.full:memory', 0.005],
      ['pressure.some:io', 4.57 / 100],
      ['pressure.full:io', 0],
    ]);
    const thresholds = parseConfig({ host: { thresholds: { cpuPressure: { warn: 0.1, for: 0 } } } }, {}).host
      .thresholds;
    const tools = { calls: 0, errors: 0, clientErrors: 0, windowSeconds: 300, callsInWindow: 0, errorsInWindow: 0 };
    const checks = new HostChecks(thresholds).evaluate(
      { pressure },
      { ...tools, errorRate: null, latencySeconds: { p50: null, p95: null }, byTool: {} },
      0,
      {},
      () => {},
    );
    expect(checks.find((c) => c.name === 'pressure:cpu')).toMatchObject({
      status: 'warn',
      group: 'host',
      component: 'cpu',
      measurement: 'pressure',
      observedValue: 0.125,
      output: 'tasks waited for a CPU 12.5% of the last 10s at or above warn level 10.0%',
    });
  });

  it('shows a get_metrics line', () => {
    const data = parsePressure(CPU, 'cpu');
    expect(collector.report!.text({ cpu: data, memory: parsePressure(MEMORY, 'memory') }, { bytes: String })).toEqual([
      'Pressure (some/full, last 10s): cpu 12.5%, memory 1.0%/0.5%',
    ]);
  });

  it.runIf(existsSync('/proc/pressure/cpu'))('reads the real /proc/pressure of this machine', async () => {
    const c = new PressureCollector('/proc');
    const sample = await c.run(signal);
    for (const r of ['cpu', 'memory', 'io'] as const) {
      const line = sample[r]!.some;
      for (const v of [line.avg10, line.avg60, line.avg300]) expect(v).toBeGreaterThanOrEqual(0);
      for (const v of [line.avg10, line.avg60, line.avg300]) expect(v).toBeLessThanOrEqual(1);
      expect(line.stallSecondsTotal).toBeGreaterThanOrEqual(0);
    }
    expect(sample.cpu!.full).toBeUndefined();
    // Read again through the same open file: the kernel renders it anew, and totals only grow.
    const again = await c.run(signal);
    expect(again.cpu!.some.stallSecondsTotal).toBeGreaterThanOrEqual(sample.cpu!.some.stallSecondsTotal);
    await c.close();
  });
});
