import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import {
  LoggingMessageNotificationSchema,
  ResourceUpdatedNotificationSchema,
  type LoggingMessageNotification,
} from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeConfig } from '../support/cli.js';
import { FaultProxy } from '../support/fault-proxy.js';
import { CLI } from '../support/paths.js';
import { sleep, waitUntil } from '../support/wait.js';

interface Daemon {
  client: Client;
  updates: string[];
  logs: LoggingMessageNotification['params'][];
  stderr: () => string;
}

async function startDaemon(configPath: string): Promise<Daemon> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI, 'serve', '--stdio', '--config', configPath],
    env: { ...process.env, VITALS_LOG_LEVEL: 'info' } as Record<string, string>,
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (d) => (stderr += d));
  const client = new Client({ name: 'e2e-live', version: '1.0.0' });
  const d: Daemon = { client, updates: [], logs: [], stderr: () => stderr };
  client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => void d.updates.push(n.params.uri));
  client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void d.logs.push(n.params));
  await client.connect(transport);
  return d;
}

type Json = Record<string, any>;
const call = async (d: Daemon, name: string, args: Json = {}): Promise<Json> => {
  const r = await d.client.callTool({ name, arguments: args });
  if (r.isError) throw new Error(`${name}: ${(r.content as { text: string }[])[0]?.text}`);
  return r.structuredContent as Json;
};
const cacheStatus = async (d: Daemon) =>
  (await call(d, 'check_dependencies', { names: ['cache'] })).checks[0].status as string;

describe('a dependency cut through the fault proxy, seen through resources, logs, events and diagnose', () => {
  let proxy: FaultProxy;
  let subscribed: Daemon;
  let unsubscribed: Daemon;
  const CHECK_URI = 'vitals://checks/cache';

  beforeAll(async () => {
    proxy = await FaultProxy.start({ host: '127.0.0.1', port: 6379 });
    // failureThreshold 1 and a 500 ms schedule keep the test quick; a high breaker threshold keeps
    // breaker events out of the count.
    const config = writeConfig(`
host:
  interval: 1s
checks:
  - name: cache
    kind: redis
    url: redis://127.0.0.1:${proxy.port}
    every: 500ms
    timeout: 1s
    failureThreshold: 1
    successThreshold: 1
    breaker: { failures: 1000 }
`);
    [subscribed, unsubscribed] = await Promise.all([startDaemon(config), startDaemon(config)]);
    await subscribed.client.subscribeResource({ uri: CHECK_URI });
    await subscribed.client.subscribeResource({ uri: 'vitals://health' });
    await subscribed.client.setLoggingLevel('warning');
    // 'error' is below 'critical': this client asked not to hear of a failed check.
    await unsubscribed.client.setLoggingLevel('critical');
    for (const d of [subscribed, unsubscribed])
      await waitUntil(async () => (await cacheStatus(d)) === 'pass', 'cache to pass', 15_000);
  });

  afterAll(async () => {
    await Promise.allSettled([subscribed?.client.close(), unsubscribed?.client.close()]);
    await proxy?.close();
  });

  it('declares subscribe and lists the check as a resource', async () => {
    expect(subscribed.client.getServerCapabilities()?.resources).toMatchObject({ subscribe: true, listChanged: true });
    const { resources } = await subscribed.client.listResources();
    expect(resources.map((r) => r.uri)).toEqual(
      expect.arrayContaining(['vitals://health', 'vitals://events', CHECK_URI]),
    );
    const read = await subscribed.client.readResource({ uri: CHECK_URI });
    expect(JSON.parse((read.contents[0] as { text: string }).text)).toMatchObject({ name: 'cache', status: 'pass' });
  });

  it(
    'one cut: one event, one resources/updated to the subscribed client and none to the other, a log line at ' +
      'its level, and a diagnose finding',
    async () => {
      const cutAt = Date.now();
      const before = { updates: subscribed.updates.length, logs: subscribed.logs.length };
      expect(unsubscribed.updates).toEqual([]);
      await proxy.refuse();

      for (const d of [subscribed, unsubscribed])
        await waitUntil(async () => (await cacheStatus(d)) === 'fail', 'cache to fail', 15_000);
      await waitUntil(() => subscribed.updates.slice(before.updates).includes(CHECK_URI), 'the notification', 15_000);
      // Several more failed runs (every 500 ms) must not notify again: only a status change does.
      await sleep(2500);

      const updates = subscribed.updates.slice(before.updates);
      expect(updates.filter((u) => u === CHECK_URI)).toHaveLength(1);
      expect(updates).toContain('vitals://health');
      expect(unsubscribed.updates).toEqual([]);

      const read = await subscribed.client.readResource({ uri: CHECK_URI });
      expect(JSON.parse((read.contents[0] as { text: string }).text)).toMatchObject({ name: 'cache', status: 'fail' });

      const listed = await call(subscribed, 'list_events', { window: '5m', check: 'cache' });
      const events = (listed.events as Json[]).filter((e) => Date.parse(e.time) >= cutAt - 1000);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ check: 'cache', type: 'status', from: 'pass', to: 'fail' });

      const logs = subscribed.logs.slice(before.logs).filter((l) => (l.data as Json).check === 'cache');
      expect(logs).toHaveLength(1);
      expect(logs[0]).toMatchObject({
        level: 'error',
        logger: 'mcp-vitals',
        data: { check: 'cache', to: 'fail', time: events[0]!.time },
      });
      expect(unsubscribed.logs.filter((l) => (l.data as Json).check === 'cache')).toEqual([]);

      const report = await call(subscribed, 'diagnose', { window: '15m' });
      const finding = (report.findings as Json[]).find((f) => f.kind === 'incident' && f.check === 'cache');
      expect(finding).toBeDefined();
      // The incident starts at the first failed run of the streak, before the event that reported it.
      const start = (events[0]!.startedAt as string | undefined) ?? (events[0]!.time as string);
      expect(Date.parse(start)).toBeGreaterThanOrEqual(cutAt - 600);
      expect(Date.parse(start)).toBeLessThanOrEqual(Date.parse(events[0]!.time as string));
      expect(finding).toMatchObject({ severity: 'fail', time: start });
      expect(finding!.text).toMatch(/^cache failed since \d\d:\d\d:\d\d, .* ago: /);
      expect(finding!.figures).toMatchObject({ status: 'fail', start, ongoing: true, end: null });
      expect(report.incidents).toContainEqual(
        expect.objectContaining({ check: 'cache', start, reportedAt: events[0]!.time, ongoing: true }),
      );
    },
  );

  it('recovery notifies again; after unsubscribing, a new cut does not', async () => {
    const n = subscribed.updates.filter((u) => u === CHECK_URI).length;
    await proxy.restore();
    await waitUntil(async () => (await cacheStatus(subscribed)) === 'pass', 'cache to pass again', 15_000);
    await waitUntil(
      () => subscribed.updates.filter((u) => u === CHECK_URI).length === n + 1,
      'the recovery notification',
      15_000,
    );
    expect(subscribed.logs.some((l) => (l.data as Json).check === 'cache' && (l.data as Json).to === 'pass')).toBe(
      false,
    );

    await subscribed.client.unsubscribeResource({ uri: CHECK_URI });
    const cutAt = Date.now();
    await proxy.refuse();
    await waitUntil(
      async () =>
        ((await call(subscribed, 'list_events', { window: '5m', check: 'cache' })).events as Json[]).some(
          (e) => e.to === 'fail' && Date.parse(e.time) >= cutAt - 1000,
        ),
      'the second failure event',
      15_000,
    );
    await sleep(1000);
    expect(subscribed.updates.filter((u) => u === CHECK_URI)).toHaveLength(n + 1);
    await proxy.restore();
  });
});
