import { spawn, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaultProxy } from '../support/fault-proxy.js';
import { waitUntil } from '../support/wait.js';
import { sleep, startDaemon, statusOf, type Daemon, type Json } from './support.js';

const INTERVAL = 500;

describe('scenario: CPU held busy by child processes from before an unrelated dependency fault', () => {
  let proxy: FaultProxy;
  let d: Daemon;
  const busy: ChildProcess[] = [];
  const truth = { busyAt: 0, cutAt: 0 };

  beforeAll(async () => {
    // The dependency is a TCP port (the shared Redis, only connected to) behind the test's own proxy.
    proxy = await FaultProxy.start({ host: '127.0.0.1', port: 6379 });
    d = await startDaemon(`
host:
  interval: ${INTERVAL}ms
  thresholds:
    cpu: { warn: 85%, fail: 100%, for: 2s }
checks:
  - name: search
    kind: tcp
    host: 127.0.0.1
    port: ${proxy.port}
    every: ${INTERVAL}ms
    timeout: 400ms
    failureThreshold: 1
`);
    await waitUntil(async () => (await statusOf(d, 'search')) === 'pass' && (await statusOf(d, 'cpu')) === 'pass', 'search and cpu to pass', 20_000);
  });

  afterAll(async () => {
    for (const c of busy) c.kill('SIGKILL');
    await d?.close();
    await proxy?.close();
  });

  it('CPU goes bad first, the dependency later: two incidents, each at its own start, and no shared cause', async () => {
    truth.busyAt = Date.now();
    for (let i = 0; i < availableParallelism(); i++) busy.push(spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' }));
    await waitUntil(async () => ['warn', 'fail'].includes((await statusOf(d, 'cpu')) ?? ''), 'cpu to warn after its 2 s hold', 20_000);
    await sleep(1500);
    truth.cutAt = Date.now();
    await proxy.refuse();
    await waitUntil(async () => (await statusOf(d, 'search')) === 'fail', 'search to fail', 15_000);

    const r = await d.call('diagnose', { window: '15m' });
    const incidents = r.data.incidents as Json[];
    const cpu = incidents.find((i) => i.check === 'cpu')!;
    const search = incidents.find((i) => i.check === 'search')!;
    expect(cpu).toMatchObject({ ongoing: true });
    expect(search).toMatchObject({ status: 'fail', ongoing: true });

    // CPU's problem began when the value first crossed 85 % (a sample or two after the children started),
    // not when its 2 s hold matured.
    const cpuStart = Date.parse(cpu.start);
    expect(cpuStart).toBeGreaterThanOrEqual(truth.busyAt - INTERVAL);
    expect(cpuStart).toBeLessThanOrEqual(truth.busyAt + 3 * INTERVAL);
    expect(Date.parse(cpu.reportedAt) - cpuStart).toBeGreaterThanOrEqual(2000);
    // The dependency's began with its first refused run.
    const searchStart = Date.parse(search.start);
    expect(searchStart).toBeGreaterThanOrEqual(truth.cutAt - INTERVAL);
    expect(searchStart).toBeLessThanOrEqual(truth.cutAt + INTERVAL + 100);

    // Seconds apart, CPU already under way: no shared start is claimed, in data or in text.
    expect(r.data.findings.filter((f: Json) => f.kind === 'shared_start')).toEqual([]);
    expect(r.text).not.toMatch(/common cause|one cause|cause is likely/);
    // CPU is evidence of what came before, said as such.
    expect(r.text).toMatch(/before search began: cpu ok → (warning|failed), after a level crossed at \d\d:\d\d:\d\d/);
  });
});
