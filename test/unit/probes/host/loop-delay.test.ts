import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { LOOP_DELAY_CAPACITY, LoopDelay } from '../../../../src/probes/host/loop-delay.js';

/** Blocks the event loop for `ms` (a known stall). */
function stall(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

describe('LoopDelay', () => {
  it('reads how late each firing came, not the time between two firings', () => {
    const d = new LoopDelay(1000);
    d.record(1000);
    d.record(1300);
    // A firing a hair early (the loop's clock is in whole ms) is no delay.
    d.record(999.6);
    expect(d.take()).toEqual({ p50: 0, p99: 0.3, max: 0.3 });
  });

  it('gives nearest-rank percentiles of the interval, then starts a new one', () => {
    const d = new LoopDelay(100);
    // Delays 1..200 ms, in an order that is not sorted.
    for (let i = 0; i < 200; i++) d.record(100 + ((i * 37) % 200) + 1);
    const r = d.take();
    expect(r.p50).toBeCloseTo(0.1, 9);
    expect(r.p99).toBeCloseTo(0.198, 9);
    expect(r.max).toBeCloseTo(0.2, 9);
    d.record(105);
    expect(d.take()).toEqual({ p50: 0.005, p99: 0.005, max: 0.005 });
  });

  it('reads 0 for an interval without readings, as an empty histogram', () => {
    expect(new LoopDelay(1000).take()).toEqual({ p50: 0, p99: 0, max: 0 });
  });

  it('keeps a bounded sample past its capacity, with the maximum exact', () => {
    let i = 0;
    // A fixed sequence stands in for Math.random: the sample is then known.
    const d = new LoopDelay(10, () => (i++ % 10) / 10);
    const n = LOOP_DELAY_CAPACITY * 4;
    // Delays 0..n-1 ms, the largest one first so the sample is unlikely to hold it.
    d.record(10 + n - 1);
    for (let k = 0; k < n - 1; k++) d.record(10 + k);
    const r = d.take();
    expect(r.max).toBeCloseTo((n - 1) / 1000, 9);
    // A uniform sample's median of 0..n-1 lies near n/2; the first LOOP_DELAY_CAPACITY alone would read n/8.
    expect(r.p50).toBeGreaterThan(n / 4 / 1000);
    expect(r.p50).toBeLessThan((n * 3) / 4 / 1000);
  });

  it('sees a stall that starts right after a take, in the next interval', async () => {
    const d = new LoopDelay(50);
    d.start();
    try {
      await sleep(120);
      d.take();
      stall(300);
      await sleep(80);
      const r = d.take();
      expect(r.max).toBeGreaterThanOrEqual((300 - 50 - 20) / 1000);
      expect(r.p99).toBe(r.max);
    } finally {
      d.stop();
    }
  });

  it('records nothing after stop', async () => {
    const d = new LoopDelay(20);
    d.start();
    d.stop();
    await sleep(80);
    expect(d.take()).toEqual({ p50: 0, p99: 0, max: 0 });
  });
});
