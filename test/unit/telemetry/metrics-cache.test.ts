import { describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { HealthMonitor } from '../../../src/monitor/health-monitor.js';
import { countRefusal } from '../../../src/shared/refusals.js';
import { createLogger } from '../../../src/shared/logger.js';
import { createMetrics } from '../../../src/telemetry/metrics.js';
import { buildResource } from '../../../src/telemetry/resource.js';
import { telemetrySettings } from '../../../src/telemetry/settings.js';

const HOST_OFF = {
  collectors: { cpu: false, load: false, memory: false, filesystem: false, network: false, process: false },
};

describe('the cached /metrics page', () => {
  it('is rendered again when a limit refuses something between two snapshots', async () => {
    const log = createLogger({ level: 'silent' });
    // Never started: its snapshot stays the same object for the whole test.
    const monitor = new HealthMonitor(parseConfig({ host: HOST_OFF }), log);
    const metrics = await createMetrics({
      monitor,
      resource: buildResource('0.0.0'),
      settings: telemetrySettings({}),
      prometheus: true,
      log,
      version: '0.0.0',
    });
    try {
      const count = async () => {
        const page = await metrics.exposition!.get();
        return Number(/^vitals_limit_refusals_total\{limit="uri_bytes"\} (\d+)/m.exec(page.body.toString())?.[1]);
      };
      vi.useFakeTimers({ toFake: ['Date'] });
      const before = await count();
      countRefusal('uri_bytes');
      // A page is served as it is for up to a second; past that, only a change of version renders it again.
      vi.setSystemTime(Date.now() + 1100);
      expect(await count()).toBe(before + 1);
    } finally {
      vi.useRealTimers();
      await metrics.shutdown();
    }
  });
});
