import { expect } from 'vitest';
import { CheckConfig } from '../../../src/config/checks.js';
import { DependencyCheck, type RunOutcome } from '../../../src/monitor/dependency-check.js';
import { sharedBulkhead } from '../../../src/monitor/resilience.js';
import type { CheckState, HealthEvent } from '../../../src/monitor/schema.js';

/** The shared servers on loopback (trust auth for PostgreSQL, no password for Redis). Never reconfigured. */
export const PG = { host: '127.0.0.1', port: 5432 };
export const REDIS = { host: '127.0.0.1', port: 6379 };

export interface Harness {
  check: DependencyCheck;
  events: HealthEvent[];
  secrets: Set<string>;
}

/** A dependency check built from raw config the way the loader would, with its own bulkhead. */
export async function makeCheck(raw: Record<string, unknown>): Promise<Harness> {
  const config = CheckConfig.parse({ name: 'dep', ...raw });
  const events: HealthEvent[] = [];
  const secrets = new Set<string>();
  const check = new DependencyCheck(config, sharedBulkhead(32), secrets, (e) => events.push(e));
  await check.init();
  return { check, events, secrets };
}

export interface TimedRun {
  ms: number;
  outcome: RunOutcome;
  state: CheckState;
}

/** One round, timed from the outside as a scheduler would see it. */
export async function timedRun(check: DependencyCheck): Promise<TimedRun> {
  const t0 = performance.now();
  await check.run();
  return { ms: performance.now() - t0, outcome: check.lastOutcome!, state: check.state };
}

/** The bound: a failing dependency ends the round within its timeout plus 10 %. */
export function expectFailedWithin(run: TimedRun, timeoutMs: number, error?: RegExp): void {
  expect(run.outcome.status, `outcome: ${JSON.stringify(run.outcome)}`).toBe('fail');
  expect(run.ms).toBeLessThanOrEqual(timeoutMs * 1.1);
  if (error) expect(run.outcome.error).toMatch(error);
}

/**
 * Drives a check through a fault and back: `failureThreshold` failed rounds turn the reported status to
 * fail, and once the proxy is restored it takes exactly `successThreshold` good rounds to report pass again.
 * The check is never re-created or told to reconnect: recovery is its own.
 */
export async function expectFailsThenRecovers(
  h: Harness,
  fault: () => Promise<void>,
  restore: () => Promise<void>,
  thresholds: { failure: number; success: number },
): Promise<void> {
  await fault();
  for (let i = 1; i <= thresholds.failure; i++) {
    const r = await timedRun(h.check);
    expect(r.outcome.status).toBe('fail');
    expect(r.state.status).toBe(i < thresholds.failure ? 'pass' : 'fail');
  }
  await restore();
  for (let i = 1; i <= thresholds.success; i++) {
    const r = await timedRun(h.check);
    expect(r.outcome.status, `round ${i} after restore: ${r.outcome.error}`).toBe('pass');
    expect(r.state.status).toBe(i < thresholds.success ? 'fail' : 'pass');
  }
  expect(h.events.filter((e) => e.type === 'status').map((e) => `${e.from}>${e.to}`)).toEqual([
    'pass>fail',
    'fail>pass',
  ]);
}
