import { describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { HealthMonitor } from '../../../src/monitor/health-monitor.js';
import { countRefusal } from '../../../src/shared/refusals.js';
import { createLogger } from '../../../src/shared/logger.js';
import { createMetrics } from '../../../src/telemetry/metrics.js';
import { buildResource } from '../../../src/telemetry/resource.js';
import { telemetrySettings } from '../../../src/telemetry/settings.js';
import { HOST_OFF } from '../../support/host-off.js';

async function idleMetrics() {
  const log = createLogger({ level: 'silent' });
  // Never started: its snapshot stays the same object for the whole test.
  const monitor = new HealthMonitor(parseConfig({ host: HOST_OFF }), log);
  return createMetrics({
    monitor,
    resource: buildResource('0.0.0'),
    settings: telemetrySettings({}),
    prometheus: true,
    log,
    version: '0.0.0',
  });
}

describe('the cached /metrics page', () => {
  it('is not made stale by a scrape of its own, but is by another request', async () => {
    const metrics = await idleMetrics();
    try {
      vi.useFakeTimers({ toFake: ['Date'] });
      const first = await metrics.exposition!.get();
      const scrape = { 'http.request.method': 'GET', 'http.response.status_code': 200 };
      metrics.recordHttp(0.001, { ...scrape, 'http.route': '/metrics' });
      vi.setSystemTime(Date.now() + 1100);
      expect(metrics.exposition!.get()).toBe(first);
      metrics.recordHttp(0.001, { ...scrape, 'http.route': '/livez' });
      const second = await metrics.exposition!.get();
      expect(second).not.toBe(first);
      // The scrape shows on the next rendering.
      expect(second.body.toString()).toMatch(/^http_server_request_duration_seconds_count\{.*"\/metrics"\} 1$/m);
    } finally {
      vi.useRealTimers();
      await metrics.shutdown();
    }
  });

  it('is rendered again when a limit refuses something between two snapshots', async () => {
    const metrics = await idleMetrics();
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
