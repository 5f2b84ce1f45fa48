import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../../src/config/load.js';
import { collector, DELAY_RESOLUTION_MS, delaySeconds } from '../../../../src/probes/host/process.js';
import { ConfigError } from '../../../../src/shared/errors.js';

/** Blocks the event loop for `ms` (a known stall). */
function stall(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

describe('event-loop delay (the process collector)', () => {
  it('reports how late the timer fired, not the time between two readings', () => {
    const ms = (v: number) => v * 1e6;
    expect(delaySeconds(ms(DELAY_RESOLUTION_MS))).toBe(0);
    expect(delaySeconds(ms(DELAY_RESOLUTION_MS + 300))).toBeCloseTo(0.3, 9);
    // A firing a hair early (the loop's clock is in whole ms) is no delay, and an empty histogram reads 0.
    expect(delaySeconds(ms(DELAY_RESOLUTION_MS - 0.4))).toBe(0);
    expect(delaySeconds(Number.NaN)).toBe(0);
  });

  it('subtracts the resolution the histogram runs at', () => {
    expect(delaySeconds(250e6, 200)).toBeCloseTo(0.05, 9);
    expect(delaySeconds(250e6, 500)).toBe(0);
  });

  it('takes its resolution from host.process.eventLoopDelayResolution, 10 ms to 5 s', () => {
    expect(parseConfig({}, {}).host.process.eventLoopDelayResolution).toBe(DELAY_RESOLUTION_MS);
    expect(parseConfig({ host: { process: { eventLoopDelayResolution: '100ms' } } }, {}).host.process).toEqual({
      eventLoopDelayResolution: 100,
    });
    for (const bad of ['5ms', '10s', 'soon'])
      expect(() => parseConfig({ host: { process: { eventLoopDelayResolution: bad } } }, {})).toThrow(
        expect.objectContaining({
          constructor: ConfigError,
          issues: [expect.objectContaining({ path: 'host.process.eventLoopDelayResolution' })],
        }),
      );
  });

  it.each([DELAY_RESOLUTION_MS, 100])(
    'sees a known stall, at no less than its length less one resolution (%i ms)',
    async (resolution) => {
      const DELAY_RESOLUTION_MS = resolution;
      const probe = collector.create(
        { procfs: '/proc', rootfs: '/' },
        { process: { eventLoopDelayResolution: resolution } },
        { warn() {} },
      );
      try {
        const signal = new AbortController().signal;
        await probe.run(signal); // starts the interval
        // Past the first reading after the sample: Node's reset() drops the interval in progress.
        await sleep(DELAY_RESOLUTION_MS + 50);
        // A stall of 2.4 resolutions holds at least one firing back by at least 1.4 resolutions (a loaded machine can
        // only add to that); the reading before this change was the stall plus up to a resolution.
        const stallMs = 2.4 * DELAY_RESOLUTION_MS;
        stall(stallMs);
        await sleep(DELAY_RESOLUTION_MS + 100);
        const stalled = (await probe.run(signal)).eventLoopDelaySeconds;
        expect(stalled.max).toBeGreaterThanOrEqual((stallMs - DELAY_RESOLUTION_MS - 20) / 1000);
        expect(stalled.max).toBeLessThan((stallMs + 2000) / 1000);
        expect(stalled.p99).toBe(stalled.max);
      } finally {
        await probe.close?.();
      }
    },
  );
});
