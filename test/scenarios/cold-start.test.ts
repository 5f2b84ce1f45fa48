import { CompleteResultSchema, ListResourcesResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaultProxy } from '../support/fault-proxy.js';
import { waitUntil } from '../support/wait.js';
import { startDaemon, type Daemon, type Json } from './support.js';

describe('scenario: a fresh daemon asked within 100 ms of initialize', () => {
  let proxy: FaultProxy;
  let d: Daemon;
  let initializedAt = 0;

  beforeAll(async () => {
    // A dependency whose first run hangs for its whole timeout: it has no result for seconds.
    proxy = await FaultProxy.start({ host: '127.0.0.1', port: 5432 });
    await proxy.blackhole();
    d = await startDaemon(`
host: { interval: 1s }
checks:
  - name: orders-db
    kind: postgres
    url: postgres://postgres@127.0.0.1:${proxy.port}/postgres
    critical: true
    timeout: 4s
`);
    initializedAt = Date.now();
  });

  afterAll(async () => {
    await d?.close();
    await proxy?.close();
  });

  it(
    'every reader waits for the first sample instead of answering empty, and a check with no result is ' + 'pending',
    async () => {
      const sent: number[] = [];
      const at = <T>(p: Promise<T>) => (sent.push(Date.now()), p);
      const [history, resources, completion, health, events] = await Promise.all([
        at(d.call('query_history', { series: 'cpu.utilization', window: '5m' })),
        at(d.client.request({ method: 'resources/list', params: {} }, ListResourcesResultSchema)),
        at(
          d.client.request(
            {
              method: 'completion/complete',
              params: {
                ref: { type: 'ref/resource', uri: 'vitals://checks/{name}' },
                argument: { name: 'name', value: 'c' },
              },
            },
            CompleteResultSchema,
          ),
        ),
        at(d.call('health_check', {})),
        at(d.call('list_events', { window: '5m' })),
      ]);
      for (const t of sent) expect(t - initializedAt).toBeLessThan(100);

      expect(history.isError).toBe(false);
      expect(history.data.summary.count).toBeGreaterThanOrEqual(1);
      expect(resources.resources.map((r) => r.uri)).toEqual(
        expect.arrayContaining(['vitals://checks/cpu', 'vitals://checks/memory', 'vitals://checks/orders-db']),
      );
      expect(completion.completion.values).toContain('cpu');
      expect(events.isError).toBe(false);

      const db = (health.data.checks as Json[]).find((c) => c.name === 'orders-db')!;
      expect(db.status).toBe('pending');
      const okCount = (health.data.checks as Json[]).filter((c) => c.status === 'pass').length;
      expect(health.data.summary).toMatch(
        new RegExp(`: ${okCount} ok, 1 pending of ${health.data.checks.length} checks$`),
      );
      expect(health.text).toMatch(/^Pending \(no result yet\): orders-db$/m);
    },
  );

  it('clients are told when the set of check resources changes', async () => {
    // Host checks and the dependency join the list with the first sample, after this client connected.
    await waitUntil(() => d.listChanged.length > 0, 'notifications/resources/list_changed', 5000);
  });
});
