import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { HealthMonitor } from '../../../src/monitor/health-monitor.js';
import type { HostProbe } from '../../../src/probes/host/collector.js';
import { createLogger } from '../../../src/shared/logger.js';
import { HOST_OFF } from '../../support/host-off.js';
import { fixedCpu } from './fake-probes.js';

/** A collector that never answers, keeping the signal it was given. */
function hungLoad(): HostProbe<unknown> & { signal?: AbortSignal } {
  const probe: HostProbe<unknown> & { signal?: AbortSignal } = {
    kind: 'load',
    run: (signal) => {
      probe.signal = signal;
      return new Promise(() => {});
    },
  };
  return probe;
}

const LOAD = { load1: 1, load5: 1, load15: 1, perCore1: 0.5, perCore5: 0.5, perCore15: 0.5, cores: 2 };

function monitorWith(load: HostProbe<unknown>) {
  vi.useFakeTimers({ now: Date.UTC(2026, 5, 1, 12) });
  const config = parseConfig(
    { host: { collectors: { ...HOST_OFF.collectors, cpu: true, load: true }, timeout: '1s' } },
    {},
  );
  return new HealthMonitor(config, createLogger({ level: 'silent' }), {
    now: () => Date.now(),
    hostProbes: { cpu: fixedCpu(0.5), load },
  });
}

afterEach(() => vi.useRealTimers());

describe("a host round's deadline", () => {
  it('fails a collector still running at host.timeout (its signal says timeout); the others count', async () => {
    const load = hungLoad();
    const monitor = monitorWith(load);
    const round = monitor.runOnce();
    await vi.advanceTimersByTimeAsync(500 + 999);
    expect(load.signal?.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    const snapshot = await round;
    expect(load.signal?.reason).toMatchObject({ name: 'TimeoutError' });
    expect(snapshot.collectors.load).toMatchObject({ success: false, error: 'timed out after 1000ms' });
    expect(snapshot.collectors.cpu).toMatchObject({ success: true });
    expect(snapshot.host.cpu?.utilization).toBe(0.5);
    await monitor.stop();
  });

  it('sets no deadline timer for a round whose collectors answer within its turn of the loop', async () => {
    const monitor = monitorWith({ kind: 'load', run: async () => LOAD });
    // A timer set and cleared would still wake an idle loop when it was due. Not vi.spyOn: a later file's
    // restoreAllMocks would put this file's fake setTimeout back.
    const fake = globalThis.setTimeout;
    const delays: (number | undefined)[] = [];
    globalThis.setTimeout = ((fn: () => void, ms?: number) => {
      delays.push(ms);
      return fake(fn, ms);
    }) as typeof setTimeout;
    try {
      const round = monitor.runOnce();
      await vi.advanceTimersByTimeAsync(500);
      const snapshot = await round;
      // Past the immediate that would have set it.
      await vi.advanceTimersByTimeAsync(1);
      expect(snapshot.collectors.load).toMatchObject({ success: true });
      expect(delays.filter((ms) => ms !== undefined && ms > 500 && ms <= 1000)).toEqual([]);
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      globalThis.setTimeout = fake;
    }
    await monitor.stop();
  });

  it('sets it for the time left when a collector answers later than its turn, and clears it then', async () => {
    const monitor = monitorWith({ kind: 'load', run: () => new Promise((r) => setTimeout(() => r(LOAD), 300)) });
    const round = monitor.runOnce();
    await vi.advanceTimersByTimeAsync(500 + 300);
    const snapshot = await round;
    expect(snapshot.collectors.load).toMatchObject({ success: true });
    expect(vi.getTimerCount()).toBe(0);
    await monitor.stop();
  });
});
