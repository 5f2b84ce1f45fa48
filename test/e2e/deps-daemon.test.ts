import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeConfig } from '../support/cli.js';
import { FaultProxy } from '../support/fault-proxy.js';
import { CLI } from '../support/paths.js';
import { pollUntil } from '../support/wait.js';

const TIMEOUT = 1500;

interface Dep {
  name: string;
  status: string;
  output: string;
  breaker: string;
  runs: number;
  lastError?: string;
}

/**
 * The real daemon over stdio with a real MCP client, its PostgreSQL and Redis reached through fault proxies:
 * the dependencies hang, the tools keep answering from the snapshot, the checks fail, and they recover on
 * their own once the proxies are restored.
 */
describe('daemon with hanging dependencies (spawned, stdio, SDK client)', () => {
  let client: Client;
  let pg: FaultProxy;
  let redis: FaultProxy;
  let stderr = '';

  beforeAll(async () => {
    pg = await FaultProxy.start({ host: '127.0.0.1', port: 5432 });
    redis = await FaultProxy.start({ host: '127.0.0.1', port: 6379 });
    const common =
      `every: 500ms, timeout: ${TIMEOUT}ms, failureThreshold: 2, successThreshold: 2, breaker: { failures: 3, ` +
      `cooldown: 1s }`;
    const config = writeConfig(`refreshMinInterval: 0
checks:
  - { name: orders-db, kind: postgres, url: "postgres://postgres@127.0.0.1:${pg.port}/test", critical: true, ${common} }
  - { name: cache, kind: redis, url: "redis://127.0.0.1:${redis.port}", ${common} }
`);
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [CLI, 'serve', '--stdio', '--config', config],
      env: { ...process.env, VITALS_LOG_LEVEL: 'info' } as Record<string, string>,
      stderr: 'pipe',
    });
    transport.stderr?.on('data', (d) => (stderr += d));
    client = new Client({ name: 'e2e-deps', version: '1.0.0' });
    await client.connect(transport);
  });
  afterAll(async () => {
    await client?.close();
    await pg?.close();
    await redis?.close();
  });

  async function deps(refresh = false): Promise<Record<string, Dep>> {
    const r = await client.callTool({ name: 'check_dependencies', arguments: refresh ? { refresh: true } : {} });
    expect(r.isError).toBeFalsy();
    const checks = (r.structuredContent as { checks: Dep[] }).checks;
    return Object.fromEntries(checks.map((c) => [c.name, c]));
  }

  const until = (pred: (d: Record<string, Dep>) => boolean, ms: number) => pollUntil(() => deps(), pred, ms);

  it('hangs, keeps answering, fails, opens the breaker, and recovers by itself', async () => {
    const healthy = await until(
      (d) => d['orders-db']?.status === 'pass' && d.cache?.status === 'pass' && d['orders-db'].runs > 0,
      10_000,
    );
    expect(healthy['orders-db']!.status).toBe('pass');
    expect(healthy.cache!.status).toBe('pass');

    await pg.blackhole();
    await redis.blackhole();

    // While both dependencies hang, every tool answers from the snapshot: no call waits on a probe.
    const latencies: number[] = [];
    const hangStarted = Date.now();
    while (Date.now() - hangStarted < 3 * TIMEOUT) {
      for (const [name, args] of [
        ['health_check', {}],
        ['get_metrics', { sections: ['daemon'] }],
        ['check_dependencies', {}],
      ] as const) {
        const t0 = performance.now();
        const r = await client.callTool({ name, arguments: args });
        latencies.push(performance.now() - t0);
        expect(r.isError).toBeFalsy();
      }
    }
    expect(latencies.length).toBeGreaterThan(10);
    // Half the probe timeout: a call that had waited on the hung probe could not be this fast.
    expect(Math.max(...latencies)).toBeLessThan(TIMEOUT / 2);

    // A refresh runs the checks now (or joins the round in flight) and comes back within the timeout.
    const t0 = performance.now();
    const refreshed = await deps(true);
    const refreshMs = performance.now() - t0;
    // +10 % for the probe, plus a round trip over stdio on a shared machine.
    expect(refreshMs).toBeLessThan(TIMEOUT * 1.1 + 300);
    expect(refreshed['orders-db']!.lastError).toMatch(/timed out after 1500ms/);

    const failed = await until((d) => d['orders-db']?.status === 'fail' && d.cache?.status === 'fail', 10_000);
    expect(failed['orders-db']!.status).toBe('fail');
    expect(failed.cache!.status).toBe('fail');
    const health = await client.callTool({ name: 'health_check', arguments: { only_problems: true } });
    const hs = health.structuredContent as { status: string; problems: string[] };
    // orders-db is critical: the whole is failing, and says why.
    expect(hs.status).toBe('fail');
    expect(hs.problems.join('\n')).toMatch(/orders-db: failed since \d\d:\d\d:\d\d, .*timed out after 1500ms/);

    const open = await until((d) => d['orders-db']?.breaker !== 'closed', 10_000);
    expect(open['orders-db']!.breaker).not.toBe('closed');

    await pg.restore();
    await redis.restore();
    const runsAtRestore = open['orders-db']!.runs;
    const recovered = await until((d) => d['orders-db']?.status === 'pass' && d.cache?.status === 'pass', 15_000);
    expect(recovered['orders-db']!.status).toBe('pass');
    expect(recovered.cache!.status).toBe('pass');
    expect(recovered['orders-db']!.breaker).toBe('closed');
    // successThreshold is 2: at least two good rounds ran before pass was reported.
    expect(recovered['orders-db']!.runs - runsAtRestore).toBeGreaterThanOrEqual(2);
    const after = await client.callTool({ name: 'health_check', arguments: {} });
    expect(
      (after.structuredContent as { checks: { name: string; status: string }[] }).checks
        .filter((c) => c.name === 'orders-db' || c.name === 'cache')
        .map((c) => c.status),
    ).toEqual(['pass', 'pass']);
  }, 90_000);

  it('logged the transitions as JSON lines on stderr', () => {
    const lines = stderr.trim().split('\n').filter(Boolean);
    for (const l of lines) expect(() => JSON.parse(l), l).not.toThrow();
    const events = lines.map((l) => JSON.parse(l) as { check?: string; type?: string; from?: string; to?: string });
    expect(
      events.some((e) => e.check === 'orders-db' && e.type === 'status' && e.from === 'pass' && e.to === 'fail'),
    ).toBe(true);
    expect(
      events.some((e) => e.check === 'orders-db' && e.type === 'status' && e.from === 'fail' && e.to === 'pass'),
    ).toBe(true);
    expect(events.some((e) => e.check === 'orders-db' && e.type === 'breaker' && e.to === 'open')).toBe(true);
  });
});
