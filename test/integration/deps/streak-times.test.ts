import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { CheckConfig } from '../../../src/config/checks.js';
import { DependencyCheck } from '../../../src/monitor/dependency-check.js';
import { sharedBulkhead } from '../../../src/monitor/resilience.js';
import type { HealthEvent } from '../../../src/monitor/schema.js';

const T = Date.UTC(2026, 5, 1, 12);
const iso = (t: number) => new Date(t).toISOString();

/** A TCP port of the test's own that can be opened and closed again on the same number. */
class Port {
  private server: Server | undefined;
  port = 0;
  async open(): Promise<void> {
    const server = createServer((s) => s.destroy());
    await new Promise<void>((r) => server.listen(this.port, '127.0.0.1', r));
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }
  close(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    return new Promise((r) => (s ? s.close(() => r()) : r()));
  }
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c()));
});

async function setup(raw: Record<string, unknown>) {
  const port = new Port();
  await port.open();
  let now = T;
  const events: HealthEvent[] = [];
  const config = CheckConfig.parse({
    name: 'search',
    kind: 'tcp',
    host: '127.0.0.1',
    port: port.port,
    timeout: 1000,
    ...raw,
  });
  const check = new DependencyCheck(
    config,
    sharedBulkhead(4),
    new Set(),
    (e) => events.push(e),
    () => now,
  );
  await check.init();
  cleanups.push(
    () => port.close(),
    () => check.close(),
  );
  return { port, check, events, at: async (t: number) => ((now = t), await check.run()) };
}

describe('dependency check times (monitor clock)', () => {
  it(
    'is pending before its first result; a failure starts at the first failed run, a recovery at the ' +
      'first good one',
    async () => {
      const { port, check, events, at } = await setup({ failureThreshold: 3, successThreshold: 2 });
      expect(check.state).toMatchObject({ status: 'pending', output: 'no result yet' });
      await at(T);
      expect(check.state.status).toBe('pass');
      // A first result that passes is no event.
      expect(events).toEqual([]);

      await port.close();
      for (const s of [10, 20, 30]) await at(T + s * 1000);
      expect(check.state).toMatchObject({ status: 'fail', since: iso(T + 30_000), problemSince: iso(T + 10_000) });
      expect(events).toEqual([
        expect.objectContaining({ from: 'pass', to: 'fail', time: iso(T + 30_000), startedAt: iso(T + 10_000) }),
      ]);

      await port.open();
      for (const s of [40, 50]) await at(T + s * 1000);
      expect(check.state.status).toBe('pass');
      expect(check.state.problemSince).toBeUndefined();
      expect(events[1]).toMatchObject({ from: 'fail', to: 'pass', time: iso(T + 50_000), startedAt: iso(T + 40_000) });
    },
  );

  it('a first result that fails is a change from unknown', async () => {
    const { port, events, at } = await setup({ failureThreshold: 3 });
    await port.close();
    await at(T);
    expect(events).toEqual([expect.objectContaining({ from: 'unknown', to: 'fail', time: iso(T) })]);
    expect(events[0]!.startedAt).toBeUndefined();
  });

  it("an open breaker counts down to its next try on the monitor's clock", async () => {
    const { port, check, at } = await setup({ failureThreshold: 1, breaker: { failures: 2, cooldown: '30s' } });
    await port.close();
    await at(T);
    await at(T + 2000);
    expect(check.state.breaker).toBe('open');
    await at(T + 12_000);
    expect(check.state.output).toMatch(/^circuit open after 2 failed runs \(last: .*\); next try in 20s$/);
    await at(T + 27_000);
    expect(check.state.output).toMatch(/; next try in 5s$/);
  });
});
