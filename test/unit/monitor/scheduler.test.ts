import { describe, expect, it } from 'vitest';
import { schedule } from '../../../src/monitor/scheduler.js';

describe('schedule', () => {
  it('after the event loop stalls, missed ticks are skipped and counted, not fired in a burst', async () => {
    const runs: number[] = [];
    const job = schedule(
      { every: 50 },
      async () => void runs.push(performance.now()),
      () => {},
    );
    await new Promise((r) => setTimeout(r, 120));
    const busyUntil = performance.now() + 400;
    while (performance.now() < busyUntil) {
      /* block the loop */
    }
    const afterStall = performance.now();
    await new Promise((r) => setTimeout(r, 30));
    job.stop();
    const after = runs.filter((t) => t >= afterStall);
    // Runs after the stall keep the schedule's spacing: no two within a few milliseconds of each other.
    for (let i = 1; i < after.length; i++) expect(after[i]! - after[i - 1]!).toBeGreaterThan(20);
    expect(job.skipped).toBeGreaterThanOrEqual(6);
  });

  it('skips a tick while the previous run is still going, and counts it', async () => {
    let release!: () => void;
    let started = 0;
    const job = schedule(
      { every: 20 },
      () => {
        started++;
        return new Promise<void>((r) => (release = r));
      },
      () => {},
    );
    await new Promise((r) => setTimeout(r, 110));
    job.stop();
    release();
    expect(started).toBe(1);
    expect(job.skipped).toBeGreaterThanOrEqual(3);
  });
});
