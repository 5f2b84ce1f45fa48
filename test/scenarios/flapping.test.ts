import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaultProxy } from '../support/fault-proxy.js';
import { sleep, waitUntil } from '../support/wait.js';
import { startDaemon, statusOf, type Daemon, type Json } from './support.js';

describe('scenario: a flapping dependency held by its failure and success thresholds', () => {
  let proxy: FaultProxy;
  let d: Daemon;

  beforeAll(async () => {
    proxy = await FaultProxy.start({ host: '127.0.0.1', port: 6379 });
    d = await startDaemon(`
host: { interval: 1s }
checks:
  - name: flappy
    kind: tcp
    host: 127.0.0.1
    port: ${proxy.port}
    every: 250ms
    timeout: 200ms
    failureThreshold: 3
    successThreshold: 2
`);
    await waitUntil(async () => (await statusOf(d, 'flappy')) === 'pass', 'flappy to pass', 15_000);
  });

  afterAll(async () => {
    await d?.close();
    await proxy?.close();
  });

  it('runs fail one or two at a time, the reported status never leaves pass, and nothing says otherwise', async () => {
    // Refused for 300 ms of every second: at most two 250 ms runs in a row fail, never three.
    let sawFailures = 0;
    const end = Date.now() + 5000;
    while (Date.now() < end) {
      await proxy.refuse();
      await sleep(300);
      const c = ((await d.call('check_dependencies', { names: ['flappy'] })).data.checks as Json[])[0]!;
      sawFailures = Math.max(sawFailures, c.consecutiveFailures);
      expect(c.status).toBe('pass');
      await proxy.restore();
      await sleep(700);
    }
    // The flapping did happen (runs failed), the thresholds held it.
    expect(sawFailures).toBeGreaterThanOrEqual(1);
    expect((await d.call('list_events', { check: 'flappy', window: '5m' })).data.events).toEqual([]);
    const q = await d.call('query_history', { check: 'flappy', window: '5m' });
    expect(q.data.check).toMatchObject({ worstStatus: 'pass', transitions: [] });
    const r = await d.call('diagnose', { check: 'flappy', window: '15m' });
    expect(r.data.incidents).toEqual([]);
    expect(r.text.split('\n')[0]).toMatch(/^flappy is ok now /);
    // Seconds of samples: no disk-full ETA.
    expect(r.data.findings.filter((f: Json) => f.kind === 'disk_full_eta')).toEqual([]);
  });
});
