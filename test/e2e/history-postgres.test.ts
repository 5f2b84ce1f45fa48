import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import pg from 'pg';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeConfig } from '../support/cli.js';
import { FaultProxy } from '../support/fault-proxy.js';
import { CLI } from '../support/paths.js';
import { waitUntil } from '../support/wait.js';

type Json = Record<string, any>;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const PG_URL = 'postgres://postgres@127.0.0.1:5432/test';
/** This file's own schema, dropped afterwards. */
const SCHEMA = `vitals_test_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;

interface Daemon {
  client: Client;
  transport: StdioClientTransport;
  stderr: () => string;
  call(name: string, args?: Json): Promise<Json>;
  /** Closes stdin and waits for the process to exit (it flushes the history first). */
  stop(): Promise<void>;
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
  const client = new Client({ name: 'e2e-pg', version: '1.0.0' });
  await client.connect(transport);
  const pid = transport.pid!;
  return {
    client,
    transport,
    stderr: () => stderr,
    async call(name, args = {}) {
      const r = await client.callTool({ name, arguments: args });
      if (r.isError) throw new Error(`${name}: ${(r.content as { text: string }[])[0]?.text}`);
      return r.structuredContent as Json;
    },
    async stop() {
      await client.close();
      await waitUntil(
        async () => {
          try {
            process.kill(pid, 0);
            return false;
          } catch {
            return true;
          }
        },
        'the daemon to exit',
        15_000,
      );
    },
  };
}

describe('postgres history survives a daemon restart', () => {
  const admin = new pg.Pool({ connectionString: PG_URL, max: 1 });
  let proxy: FaultProxy;
  let config: string;

  beforeAll(async () => {
    proxy = await FaultProxy.start({ host: '127.0.0.1', port: 6379 });
    config = writeConfig(`
host:
  interval: 500ms
history:
  store: postgres
  url: ${PG_URL}
  schema: ${SCHEMA}
  flushInterval: 300ms
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
  });
  afterAll(async () => {
    await proxy?.close();
    await admin.query(`DROP SCHEMA IF EXISTS "${SCHEMA}" CASCADE`);
    await admin.end();
  });

  it('writes history and events, is stopped, and the next daemon answers the same history back', async () => {
    const first = await startDaemon(config);
    await waitUntil(
      async () => (await first.call('check_dependencies')).checks[0].status === 'pass',
      'cache to pass',
      15_000,
    );
    // One transition to persist, then a few seconds of samples.
    await proxy.refuse();
    await waitUntil(
      async () => (await first.call('check_dependencies')).checks[0].status === 'fail',
      'cache to fail',
      15_000,
    );
    await proxy.restore();
    await waitUntil(
      async () => (await first.call('check_dependencies')).checks[0].status === 'pass',
      'cache to pass again',
      15_000,
    );
    await sleep(3000);
    const queriedAt = Date.now();
    const before = await first.call('query_history', { series: 'cpu.utilization', window: '2m', step: '2s' });
    const eventsBefore = (await first.call('list_events', { window: '15m', check: 'cache' })).events as Json[];
    expect(eventsBefore.map((e) => `${e.from}->${e.to}`)).toEqual(['fail->pass', 'pass->fail']);
    expect(before.summary.count).toBeGreaterThanOrEqual(6);
    await first.stop();
    expect(first.stderr()).toMatch(/migrations applied/);

    const second = await startDaemon(config);
    try {
      const after = await second.call('query_history', { series: 'cpu.utilization', window: '2m', step: '2s' });
      expect(after.stepSeconds).toBe(before.stepSeconds);
      // Every step that was complete (and flushed) when the first daemon was asked is there unchanged.
      const settled = (before.points as Json[]).filter(
        (p) => Date.parse(p.time) + before.stepSeconds * 1000 <= queriedAt - 1000,
      );
      expect(settled.length).toBeGreaterThan(0);
      const byTime = new Map((after.points as Json[]).map((p) => [p.time, p]));
      for (const p of settled) expect(byTime.get(p.time)).toEqual(p);
      expect(after.summary.count).toBeGreaterThanOrEqual(before.summary.count);

      // Events come from the table: this daemon's own monitor has seen none.
      const eventsAfter = (await second.call('list_events', { window: '15m', check: 'cache' })).events as Json[];
      expect(eventsAfter).toEqual(eventsBefore);
      const monitorEvents = JSON.parse(
        ((await second.client.readResource({ uri: 'vitals://events' })).contents[0] as { text: string }).text,
      ).events;
      expect(monitorEvents).toEqual([]);

      const latency = await second.call('query_history', { check: 'cache', window: '15m' });
      expect(latency.series).toBe('check.latency:cache');
      expect(latency.check.transitions).toHaveLength(2);
      expect(latency.check.worstStatus).toBe('fail');
    } finally {
      await second.stop();
    }
    // Each migration ran once, although two daemons started against the schema.
    const { rows } = await admin.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${SCHEMA}".schema_migrations`);
    expect(rows[0]!.n).toBe(MIGRATIONS.length);
  }, 60_000);
});
