import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { checkDependenciesTool } from '../../../src/mcp/tools/check-dependencies.js';
import { HealthMonitor } from '../../../src/monitor/health-monitor.js';
import { createLogger } from '../../../src/shared/logger.js';
import { FaultProxy } from '../../support/fault-proxy.js';
import { freePort, sleep } from '../../support/wait.js';
import { makeCheck, PG } from './helpers.js';
import { HOST_OFF } from '../../support/host-off.js';

const monitors: HealthMonitor[] = [];
const proxies: FaultProxy[] = [];
async function monitor(checks: unknown[], extra: Record<string, unknown> = {}): Promise<HealthMonitor> {
  const m = new HealthMonitor(
    parseConfig({ host: HOST_OFF, refreshMinInterval: 0, checks, ...extra }),
    createLogger({ level: 'silent' }),
  );
  monitors.push(m);
  await m.start();
  await m.checked;
  return m;
}
afterEach(async () => {
  await Promise.all(monitors.splice(0).map((m) => m.stop()));
  await Promise.all(proxies.splice(0).map((p) => p.close()));
});

describe('check_dependencies over a real monitor', () => {
  it('a service with one instance down is warn, and the text names the instance that is down', async () => {
    const down = await freePort();
    const m = await monitor([
      {
        name: 'db',
        kind: 'tcp',
        every: '1h',
        instances: [
          { name: 'primary', host: '127.0.0.1', port: PG.port },
          { name: 'standby', host: '127.0.0.1', port: down },
        ],
      },
    ]);
    const { text, data } = await checkDependenciesTool.run({}, { monitor: m });
    expect(data.status).toBe('warn');
    expect(data.checks[0]).toMatchObject({
      name: 'db',
      status: 'warn',
      breaker: 'closed',
      consecutiveFailures: 0,
      consecutiveSuccesses: 1,
      runs: 1,
    });
    expect(data.checks[0]!.instances.map((i) => [i.name, i.ok, i.error])).toEqual([
      ['primary', true, undefined],
      ['standby', false, 'connection refused'],
    ]);
    expect(text).toMatch(
      /^- db \(tcp\): warning since \d\d:\d\d:\d\d, [^,]+ ago, [\d.]+ms — standby: connection refused$/m,
    );
    expect(text).toMatch(new RegExp(`^  - primary 127\\.0\\.0\\.1:${PG.port}: up, [\\d.]+ms$`, 'm'));
    expect(text).toMatch(new RegExp(`^  - standby 127\\.0\\.0\\.1:${down}: down — connection refused$`, 'm'));
  });

  it(
    'scheduled ticks that fall while a round is still running ' + 'are skipped and counted in the check state',
    async () => {
      const p = await FaultProxy.start(PG);
      proxies.push(p);
      await p.blackhole();
      const m = await monitor([
        {
          name: 'db',
          kind: 'postgres',
          url: `postgres://postgres@127.0.0.1:${p.port}/test`,
          every: '200ms',
          timeout: '1500ms',
        },
      ]);
      // The first round hangs for its 1.5 s timeout; the schedule ticks every 200 ms meanwhile.
      await sleep(1200);
      await m.refresh({ dependenciesOnly: true });
      expect(m.snapshot.checks.db!.skippedRuns).toBeGreaterThanOrEqual(3);
    },
  );

  it('concurrent refreshes share one round', async () => {
    const p = await FaultProxy.start(PG);
    proxies.push(p);
    const m = await monitor([
      { name: 'db', kind: 'postgres', url: `postgres://postgres@127.0.0.1:${p.port}/test`, every: '1h', timeout: '1s' },
    ]);
    const before = m.snapshot.checks.db!.runs!;
    await p.delay(300);
    const results = await Promise.all(
      [1, 2, 3].map(() => checkDependenciesTool.run({ refresh: true }, { monitor: m })),
    );
    for (const r of results) expect(r.data.refreshed).toBe(true);
    expect(m.snapshot.checks.db!.runs).toBe(before + 1);
    expect(results.map((r) => r.data.checks[0]!.runs)).toEqual([before + 1, before + 1, before + 1]);
  });

  it(
    'a round asked for while one is in flight (refresh during a scheduled run) joins it rather than ' + 'stacking',
    async () => {
      const p = await FaultProxy.start(PG);
      proxies.push(p);
      const h = await makeCheck({
        kind: 'postgres',
        url: `postgres://postgres@127.0.0.1:${p.port}/test`,
        timeout: '1s',
      });
      await p.delay(200);
      const scheduled = h.check.run();
      const refresh = h.check.run();
      expect(refresh).toBe(scheduled);
      await Promise.all([scheduled, refresh]);
      expect(h.check.state.runs).toBe(1);
      expect(p.accepted).toBe(1);
      await h.check.run();
      expect(h.check.state.runs).toBe(2);
      await h.check.close();
    },
  );

  it('refresh with the vitals:refresh scope missing is refused; unknown names are named', async () => {
    const m = await monitor([{ name: 'db', kind: 'tcp', host: '127.0.0.1', port: PG.port, every: '1h' }]);
    await expect(
      checkDependenciesTool.run({ refresh: true }, { monitor: m, scopes: new Set(['vitals:read']) }),
    ).rejects.toThrow(/vitals:refresh/);
    await expect(checkDependenciesTool.run({ names: ['nope'] }, { monitor: m })).rejects.toThrow(
      'unknown check: nope; known: db',
    );
  });
});
