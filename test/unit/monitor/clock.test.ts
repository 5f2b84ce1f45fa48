import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { HealthMonitor } from '../../../src/monitor/health-monitor.js';
import type { HealthEvent } from '../../../src/monitor/schema.js';
import { createLogger } from '../../../src/shared/logger.js';
import { fixedCpu } from './fake-probes.js';
import { HOST_OFF } from '../../support/host-off.js';

describe("the monitor's clock", () => {
  it(
    'a one-minute hold matures by moving the clock, and the problem keeps the time the level was first ' + 'crossed',
    async () => {
      const T0 = Date.UTC(2026, 5, 1, 12);
      let now = T0;
      // A CPU half busy is between warn 0 and fail 1: the warn level is crossed from the first sample on, and
      // the fail level never is (the machine's own CPU reads 100 % under load).
      const config = parseConfig(
        {
          host: {
            collectors: { ...HOST_OFF.collectors, cpu: true },
            thresholds: { cpu: { warn: 0, fail: 1, for: '1m' } },
          },
        },
        {},
      );
      const monitor = new HealthMonitor(config, createLogger({ level: 'silent' }), {
        now: () => now,
        hostProbes: { cpu: fixedCpu(0.5) },
      });
      const events: HealthEvent[] = [];
      monitor.on('event', (e) => events.push(e));
      try {
        await monitor.runOnce();
        let cpu = monitor.snapshot.checks.cpu!;
        expect(cpu).toMatchObject({
          status: 'pass',
          pending: { status: 'warn', since: new Date(T0).toISOString(), forSeconds: 60 },
        });
        expect(events).toEqual([]);

        now = T0 + 61_000;
        await monitor.refresh();
        cpu = monitor.snapshot.checks.cpu!;
        expect(cpu).toMatchObject({
          status: 'warn',
          since: new Date(T0 + 61_000).toISOString(),
          problemSince: new Date(T0).toISOString(),
        });
        expect(events).toEqual([
          expect.objectContaining({
            check: 'cpu',
            from: 'pass',
            to: 'warn',
            time: new Date(T0 + 61_000).toISOString(),
            startedAt: new Date(T0).toISOString(),
          }),
        ]);
        expect(monitor.snapshot.time).toBe(new Date(T0 + 61_000).toISOString());
      } finally {
        await monitor.stop();
      }
    },
  );
});
