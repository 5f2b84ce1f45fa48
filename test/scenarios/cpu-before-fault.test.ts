import { spawn, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaultProxy } from '../support/fault-proxy.js';
import { sleep, waitUntil } from '../support/wait.js';
import { OVERALL_WORD, startDaemon, statusOf, type Daemon, type Json } from './support.js';

const INTERVAL = 500;

describe('scenario: CPU held busy by child processes from before an unrelated dependency fault', () => {
  let proxy: FaultProxy;
  let d: Daemon;
  const busy: ChildProcess[] = [];
  const truth = { busyAt: 0, cutAt: 0, stopAt: 0 };

  beforeAll(async () => {
    // The dependency is a TCP port (the shared Redis, only connected to) behind the test's own proxy.
    proxy = await FaultProxy.start({ host: '127.0.0.1', port: 6379 });
    d = await startDaemon(`
host:
  interval: ${INTERVAL}ms
  thresholds:
    cpu: { warn: 95%, fail: 100%, for: 2s }
checks:
  - name: search
    kind: tcp
    host: 127.0.0.1
    port: ${proxy.port}
    every: ${INTERVAL}ms
    timeout: 400ms
    failureThreshold: 1
`);
    await waitUntil(async () => (await statusOf(d, 'search')) === 'pass', 'search to pass', 20_000);
  });

  afterAll(async () => {
    for (const c of busy) c.kill('SIGKILL');
    await d?.close();
    await proxy?.close();
  });

  it('CPU goes bad first, the dependency later: two incidents, ' +
    'each at its own start, and no shared cause', async () => {
    // Start from a CPU under the level with no hold running, or the crossing would predate the children.
    await waitUntil(
      async () => {
        const cpu = ((await d.call('health_check', {})).data.checks as Json[]).find((c) => c.name === 'cpu');
        return cpu?.status === 'pass' && cpu.output === '';
      },
      'cpu under its level',
      60_000,
    );
    truth.busyAt = Date.now();
    for (let i = 0; i < availableParallelism(); i++)
      busy.push(spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' }));
    await waitUntil(
      async () => ['warn', 'fail'].includes((await statusOf(d, 'cpu')) ?? ''),
      'cpu to warn after its 2 s hold',
      20_000,
    );
    await sleep(1500);
    truth.cutAt = Date.now();
    await proxy.refuse();
    await waitUntil(async () => (await statusOf(d, 'search')) === 'fail', 'search to fail', 15_000);

    const r = await d.call('diagnose', { window: '15m' });
    const incidents = r.data.incidents as Json[];
    // On a loaded machine CPU may dip under the level for a sample and come back: the incident the children
    // caused is the first one that began after they started.
    const cpu = incidents.find((i) => i.check === 'cpu' && Date.parse(i.start) >= truth.busyAt - INTERVAL)!;
    const search = incidents.find((i) => i.check === 'search')!;
    expect(cpu).toBeDefined();
    expect(search).toMatchObject({ status: 'fail', ongoing: true });

    // CPU's problem began when the value first crossed 95 % (a sample or two after the children started),
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
    // CPU is evidence of what came before, said as such, in text and in the incident's data.
    expect(r.text).toMatch(/before search began: cpu ok → (warning|failed) \(under way since \d\d:\d\d:\d\d\)/);
    expect(search.before).toEqual(expect.arrayContaining([expect.stringMatching(/before search began: cpu ok → /)]));
    const health = await d.call('health_check', {});
    expect(r.text.split('\n')[0]).toMatch(
      new RegExp(`^${health.data.hostname} is ${OVERALL_WORD[health.data.status]!.replace(/[()]/g, '\\$&')}: `),
    );
    expect(r.data.findings.filter((f: Json) => f.kind === 'disk_full_eta')).toEqual([]);
  }, 120_000);

  it('CPU ends after the children stop: the finished incident ' +
    'ends between the stop and the first pass seen', async () => {
    truth.stopAt = Date.now();
    for (const c of busy.splice(0)) c.kill('SIGKILL');
    // Other tests may keep the machine busy a while longer: the end is when the value went under the level.
    await waitUntil(async () => (await statusOf(d, 'cpu')) === 'pass', 'cpu to pass again', 30_000);
    const passSeenAt = Date.now();
    const r = await d.call('diagnose', { check: 'cpu', window: '15m' });
    const cpu = (r.data.incidents as Json[]).at(-1)!;
    expect(cpu).toMatchObject({ check: 'cpu', ongoing: false });
    const end = Date.parse(cpu.end);
    expect(end).toBeGreaterThanOrEqual(truth.stopAt);
    expect(end).toBeLessThanOrEqual(passSeenAt);
    expect(cpu.durationSeconds).toBe(Math.round((end - Date.parse(cpu.start)) / 1000));
    expect(r.text.split('\n')[0]).toMatch(
      /^cpu is ok now \(.*\); \d+ incidents? ended in the last 15m: (warning|failed) /,
    );
  }, 60_000);
});
