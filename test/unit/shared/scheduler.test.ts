import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { schedule } from '../../../src/shared/scheduler.js';

/**
 * Fake timers drive the ticks. The scheduler reads time from `now`, which follows the fake clock plus `stalled`:
 * time that passed while no timer could fire, the way a blocked event loop looks from inside, without blocking one.
 */
let stalled = 0;
const now = () => Date.now() + stalled;

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  stalled = 0;
});
afterEach(() => {
  vi.useRealTimers();
});

describe('schedule', () => {
  it('after the event loop stalls, missed ticks are skipped and counted, not fired in a burst', async () => {
    const runs: number[] = [];
    const job = schedule(
      { every: 50 },
      async () => void runs.push(now()),
      () => {},
      now,
    );
    await vi.advanceTimersByTimeAsync(120);
    expect(runs).toHaveLength(2);
    // 400 ms go by with the loop blocked: the tick due meanwhile fires only once the loop is free again.
    stalled += 400;
    const afterStall = now();
    await vi.advanceTimersByTimeAsync(130);
    job.stop();
    const after = runs.filter((t) => t >= afterStall);
    expect(after.length).toBeGreaterThanOrEqual(2);
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
      now,
    );
    await vi.advanceTimersByTimeAsync(110);
    job.stop();
    release();
    expect(started).toBe(1);
    expect(job.skipped).toBeGreaterThanOrEqual(3);
  });

  it('keeps to its interval without drift, and stops', async () => {
    const runs: number[] = [];
    const job = schedule(
      { every: 100 },
      async () => void runs.push(now()),
      () => {},
      now,
    );
    const start = now();
    await vi.advanceTimersByTimeAsync(1050);
    job.stop();
    await vi.advanceTimersByTimeAsync(500);
    expect(runs.map((t) => t - start)).toEqual([100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]);
    expect(job.skipped).toBe(0);
  });
});
