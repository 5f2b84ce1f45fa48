import { afterEach, describe, expect, it, vi } from 'vitest';
import { CheckConfig } from '../../../src/config/checks.js';
import { DependencyCheck } from '../../../src/monitor/dependency-check.js';
import { sharedBulkhead } from '../../../src/monitor/resilience.js';
import type { HealthEvent } from '../../../src/monitor/schema.js';
import { fakeDependency, type Answer } from './fake-probes.js';

const T = Date.UTC(2026, 5, 1, 12);
const iso = (t: number) => new Date(t).toISOString();

/** A check over the fake dependency, on a clock the test moves (`at`), with every event it emits. */
async function setup(raw: Record<string, unknown> = {}, first: Answer = 'up') {
  const fake = fakeDependency(first);
  const events: HealthEvent[] = [];
  let now = T;
  const config = CheckConfig.parse({
    name: 'orders-db',
    kind: 'tcp',
    host: '127.0.0.1',
    port: 5432,
    timeout: 1000,
    ...raw,
  });
  const check = new DependencyCheck(
    config,
    sharedBulkhead(8),
    new Set(),
    (e) => events.push(e),
    () => now,
  );
  await check.init(fake.module);
  const at = (t: number, answer?: Answer) => {
    now = t;
    if (answer) fake.set(answer);
    return check.run();
  };
  return { check, fake, events, at, status: () => events.filter((e) => e.type === 'status') };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('DependencyCheck', () => {
  it('is pending before its first result, and a healthy first result is no event', async () => {
    const { check, events, at } = await setup();
    expect(check.hasRun).toBe(false);
    expect(check.state).toMatchObject({ status: 'pending', output: 'no result yet', runs: 0, since: iso(T) });
    expect(check.state.instances).toEqual([
      { name: 'orders-db', target: 'fake://orders-db', ok: false, latencySeconds: null, values: {} },
    ]);
    await at(T + 1000);
    expect(check.hasRun).toBe(true);
    expect(check.state).toMatchObject({ status: 'pass', runs: 1, time: iso(T + 1000), latencySeconds: 0.002 });
    expect(events).toEqual([]);
  });

  it('flips to fail after failureThreshold failed runs, and back only after successThreshold good ones', async () => {
    const { check, at, status } = await setup({ failureThreshold: 3, successThreshold: 2 });
    await at(T, 'up');
    await at(T + 10_000, { down: 'connection refused' });
    expect(check.state).toMatchObject({
      status: 'pass',
      output: 'failing: 1/3 failed runs (connection refused)',
      consecutiveFailures: 1,
    });
    expect(check.state.problemSince).toBeUndefined();
    await at(T + 20_000);
    expect(check.state.status).toBe('pass');
    await at(T + 30_000);
    // The incident starts at the first failed run of the streak, not at the run that matured it.
    expect(check.state).toMatchObject({
      status: 'fail',
      output: 'connection refused',
      since: iso(T + 30_000),
      problemSince: iso(T + 10_000),
      lastError: 'connection refused',
    });
    expect(status()).toEqual([
      expect.objectContaining({ from: 'pass', to: 'fail', time: iso(T + 30_000), startedAt: iso(T + 10_000) }),
    ]);

    // The problem keeps its start across the rest of the streak, and across a good run that does not flip it.
    await at(T + 40_000);
    await at(T + 50_000, 'up');
    expect(check.state).toMatchObject({
      status: 'fail',
      output: 'recovering: 1/2 good runs',
      since: iso(T + 30_000),
      problemSince: iso(T + 10_000),
    });
    await at(T + 60_000, { down: 'connection refused' });
    await at(T + 70_000, 'up');
    expect(check.state).toMatchObject({ status: 'fail', problemSince: iso(T + 10_000) });

    // Recovery: an event dated from the first good run of the streak that turned it, and no problem left.
    await at(T + 80_000);
    expect(check.state).toMatchObject({ status: 'pass', since: iso(T + 80_000), output: '' });
    expect(check.state.problemSince).toBeUndefined();
    expect(check.state.lastError).toBe('connection refused');
    expect(status()).toHaveLength(2);
    expect(status()[1]).toMatchObject({
      from: 'fail',
      to: 'pass',
      time: iso(T + 80_000),
      startedAt: iso(T + 70_000),
      reason: 'recovered',
    });
  });

  it('a first result that fails is reported at once, as a change from unknown', async () => {
    const { check, at, status } = await setup({ failureThreshold: 3 }, { down: 'no route to host' });
    await at(T);
    expect(check.state).toMatchObject({ status: 'fail', problemSince: iso(T), output: 'no route to host' });
    expect(status()).toEqual([expect.objectContaining({ from: 'unknown', to: 'fail', time: iso(T) })]);
    expect(status()[0]!.startedAt).toBeUndefined();
  });

  it('a slow answer is a warn run: up, with the reason, and its problem starts when it is reported', async () => {
    const { check, at, status } = await setup({ maxResponseTime: 100 });
    await at(T);
    await at(T + 5000, { slowSeconds: 0.25 });
    expect(check.state).toMatchObject({
      status: 'warn',
      output: 'response time 250ms above 100ms',
      problemSince: iso(T + 5000),
    });
    expect(status()).toEqual([expect.objectContaining({ from: 'pass', to: 'warn' })]);
  });

  it('a probe that never answers fails the run at its timeout, not before, with the time in the reason', async () => {
    vi.useFakeTimers();
    const { check, at } = await setup({ timeout: 1000, failureThreshold: 1 }, 'hang');
    let settled = false;
    const run = at(T).then(() => (settled = true));
    await vi.advanceTimersByTimeAsync(999);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await run;
    expect(check.lastOutcome).toMatchObject({ status: 'fail', error: 'timed out after 1000ms' });
    expect(check.state).toMatchObject({
      status: 'fail',
      output: 'timed out after 1000ms',
      time: iso(T),
      instances: [expect.objectContaining({ ok: false, error: 'timed out after 1000ms' })],
    });
  });

  it('a probe that answers its abort itself is reported as the same timeout', async () => {
    vi.useFakeTimers();
    const { check, at } = await setup({ timeout: 1000, failureThreshold: 1 }, 'hang-until-aborted');
    const run = at(T);
    await vi.advanceTimersByTimeAsync(1000);
    expect(await run).toMatchObject({ status: 'fail', error: 'timed out after 1000ms' });
    expect(check.state.output).toBe('timed out after 1000ms');
  });

  it('a probe that throws is a failed run with its (redacted) message, and the check goes on', async () => {
    const fake = fakeDependency({ throws: 'auth failed for s3cret-token' });
    const config = CheckConfig.parse({ name: 'api', kind: 'tcp', host: 'h', port: 1, failureThreshold: 1 });
    const check = new DependencyCheck(
      config,
      sharedBulkhead(1),
      new Set(['s3cret-token']),
      () => {},
      () => T,
    );
    await check.init(fake.module);
    const outcome = await check.run();
    expect(outcome.status).toBe('fail');
    expect(outcome.error).toContain('auth failed for');
    expect(check.state.output).not.toContain('s3cret-token');
    fake.set('up');
    expect((await check.run()).status).toBe('pass');
  });

  it('retries a failed observation and returns the last one when the attempts run out', async () => {
    vi.useFakeTimers();
    const { fake, at } = await setup({ retry: { attempts: 2, backoff: 10 }, failureThreshold: 1 }, { down: 'refused' });
    const run = at(T);
    await vi.advanceTimersByTimeAsync(1000);
    expect(await run).toMatchObject({ status: 'fail', error: 'refused' });
    expect(fake.runs).toHaveLength(3);
  });

  it('an attempt that succeeds ends the retrying: the run is a pass', async () => {
    vi.useFakeTimers();
    let calls = 0;
    const config = CheckConfig.parse({ name: 'x', kind: 'tcp', host: 'h', port: 1, retry: { attempts: 3 } });
    const check = new DependencyCheck(
      config,
      sharedBulkhead(1),
      new Set(),
      () => {},
      () => T,
    );
    await check.init({
      describe: (c) => c.instance,
      create: () => ({
        kind: 'tcp',
        run: async () => (++calls < 2 ? { ok: false, values: {}, error: 'blip' } : { ok: true, values: {} }),
      }),
    });
    const run = check.run();
    await vi.advanceTimersByTimeAsync(1000);
    expect(await run).toMatchObject({ status: 'pass' });
    expect(calls).toBe(2);
  });

  it('an open breaker answers without probing, counting down on the check clock; a good try closes it', async () => {
    vi.useFakeTimers({ now: T });
    const { check, fake, events, at } = await setup(
      { failureThreshold: 1, breaker: { failures: 2, cooldown: '30s' } },
      { down: 'refused' },
    );
    await at(T);
    await at(T + 2000);
    expect(check.state.breaker).toBe('open');
    expect(fake.runs).toHaveLength(2);

    vi.setSystemTime(T + 12_000);
    const refused = await at(T + 12_000);
    expect(fake.runs).toHaveLength(2);
    expect(refused).toMatchObject({
      status: 'fail',
      error: 'circuit open after 2 failed runs (last: refused); next try in 20s',
    });
    expect(check.state.output).toBe('circuit open after 2 failed runs (last: refused); next try in 20s');
    // A second refusal still names the dependency's own error, not the breaker's.
    await at(T + 27_000);
    expect(check.state.output).toBe('circuit open after 2 failed runs (last: refused); next try in 5s');

    vi.setSystemTime(T + 33_000);
    await at(T + 33_000, 'up');
    expect(fake.runs).toHaveLength(3);
    expect(check.state.breaker).toBe('closed');
    expect(events.filter((e) => e.type === 'breaker').map((e) => `${e.from}>${e.to}@${e.time}`)).toEqual([
      `closed>open@${iso(T + 2000)}`,
      `open>half-open@${iso(T + 33_000)}`,
      `half-open>closed@${iso(T + 33_000)}`,
    ]);
  });

  it('warns when some instances are down and fails when all are', async () => {
    const config = CheckConfig.parse({
      name: 'cache',
      kind: 'tcp',
      failureThreshold: 1,
      instances: [
        { name: 'a', host: 'a', port: 1 },
        { name: 'b', host: 'b', port: 1 },
      ],
    });
    const down = new Set<string>();
    const check = new DependencyCheck(
      config,
      sharedBulkhead(4),
      new Set(),
      () => {},
      () => T,
    );
    await check.init({
      describe: (c) => c.instance,
      create: (c) => ({
        kind: 'tcp',
        run: async () =>
          down.has(c.instance) ? { ok: false, values: {}, error: 'refused' } : { ok: true, values: {} },
      }),
    });
    down.add('b');
    expect(await check.run()).toMatchObject({ status: 'warn', error: 'b: refused' });
    down.add('a');
    expect(await check.run()).toMatchObject({ status: 'fail', error: 'a: refused; b: refused' });
  });

  it('a run asked for while one is in flight shares it: one probe run, one result', async () => {
    vi.useFakeTimers();
    const { check, fake } = await setup({ timeout: 1000 }, 'hang');
    const a = check.run();
    const b = check.run();
    await vi.advanceTimersByTimeAsync(1000);
    expect(await a).toBe(await b);
    expect(fake.runs).toHaveLength(1);
    expect(check.state.runs).toBe(1);
  });
});
