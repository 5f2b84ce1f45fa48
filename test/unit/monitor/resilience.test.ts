import { describe, expect, it } from 'vitest';
import { circuitBreaker, CircuitState, ConsecutiveBreaker, handleWhenResult } from 'cockatiel';
import fc from 'fast-check';
import {
  attemptPolicy,
  RoundBreaker,
  settle,
  sharedBulkhead,
  type AttemptContext,
} from '../../../src/monitor/resilience.js';

/** A promise with its resolve at hand. */
function deferred<T = void>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('sharedBulkhead', () => {
  it('runs at most `limit` at once and starts the waiting ones in arrival order', async () => {
    const b = sharedBulkhead(2);
    const gates = [0, 1, 2, 3].map(() => deferred());
    const started: number[] = [];
    const runs = gates.map((g, i) =>
      b.execute(async () => {
        started.push(i);
        await g.promise;
        return i;
      }),
    );
    await tick();
    expect(started).toEqual([0, 1]);
    gates[1]!.resolve();
    await tick();
    expect(started).toEqual([0, 1, 2]);
    gates[0]!.resolve();
    gates[2]!.resolve();
    gates[3]!.resolve();
    expect(await Promise.all(runs)).toEqual([0, 1, 2, 3]);
    expect(started).toEqual([0, 1, 2, 3]);
  });

  it('frees the slot of a run that rejects or throws, and passes the error on', async () => {
    const b = sharedBulkhead(1);
    const rejected = b.execute(() => Promise.reject(new Error('down')));
    const thrown = b.execute(() => {
      throw new Error('sync');
    });
    const next = b.execute(async () => 'ran');
    await expect(rejected).rejects.toThrow('down');
    await expect(thrown).rejects.toThrow('sync');
    expect(await next).toBe('ran');
  });

  it('keeps order over many queued runs', async () => {
    const b = sharedBulkhead(3);
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 3000 }, (_, i) =>
        b.execute(async () => {
          order.push(i);
          await tick();
        }),
      ),
    );
    expect(order).toEqual(Array.from({ length: 3000 }, (_, i) => i));
  });
});

describe('attemptPolicy', () => {
  const never = () => false;

  it('hands the probe a live signal and its result back', async () => {
    const p = attemptPolicy<string>({ timeoutMs: 1000, attempts: 0, backoffMs: 0, failed: never });
    let seen: AbortSignal | undefined;
    const r = await settle(() =>
      p.execute(async ({ signal }) => {
        seen = signal;
        return 'ok';
      }),
    );
    expect(r).toEqual({ kind: 'result', value: 'ok' });
    // Not aborted after a run in time: aborting would build an error for nothing.
    expect(seen?.aborted).toBe(false);
  });

  it('at the timeout aborts the signal and settles as a timeout, even when the probe ignores it', async () => {
    const p = attemptPolicy<string>({ timeoutMs: 20, attempts: 0, backoffMs: 0, failed: never });
    let seen: AbortSignal | undefined;
    const r = await settle(() =>
      p.execute(({ signal }) => {
        seen = signal;
        return new Promise<string>(() => {});
      }),
    );
    expect(r).toEqual({ kind: 'timeout' });
    expect(seen?.aborted).toBe(true);
  });

  it('tells an onAbort listener at the timeout, and a signal read after it is already aborted', async () => {
    const p = attemptPolicy<string>({ timeoutMs: 20, attempts: 0, backoffMs: 0, failed: never });
    let context: AttemptContext | undefined;
    let told = 0;
    const r = await settle(() =>
      p.execute((attempt) => {
        context = attempt;
        attempt.onAbort(() => told++);
        return new Promise<string>(() => {});
      }),
    );
    expect(r).toEqual({ kind: 'timeout' });
    expect(told).toBe(1);
    expect(context?.aborted).toBe(true);
    expect(context?.signal.aborted).toBe(true);
    // A listener registered after the abort is told at once.
    context?.onAbort(() => told++);
    expect(told).toBe(2);
  });

  it('does not tell an onAbort listener when the run ends in time', async () => {
    const p = attemptPolicy<string>({ timeoutMs: 20, attempts: 0, backoffMs: 0, failed: never });
    let told = 0;
    const r = await settle(() =>
      p.execute(async (attempt) => {
        attempt.onAbort(() => told++);
        return 'ok';
      }),
    );
    await new Promise((r) => setTimeout(r, 40));
    expect(r).toEqual({ kind: 'result', value: 'ok' });
    expect(told).toBe(0);
  });

  it('passes a probe error on as an error', async () => {
    const p = attemptPolicy<string>({ timeoutMs: 1000, attempts: 0, backoffMs: 0, failed: never });
    const r = await settle(() => p.execute(() => Promise.reject(new Error('refused'))));
    expect(r.kind).toBe('error');
  });

  it('with retries, runs again after a failed result or a timeout, each attempt with its own signal', async () => {
    const p = attemptPolicy<string>({ timeoutMs: 20, attempts: 2, backoffMs: 1, failed: (r) => r !== 'ok' });
    const signals: AbortSignal[] = [];
    const answers = ['hang', 'bad', 'ok'];
    const r = await settle(() =>
      p.execute(({ signal }) => {
        signals.push(signal);
        const a = answers.shift()!;
        return a === 'hang' ? new Promise<string>(() => {}) : Promise.resolve(a);
      }),
    );
    expect(r).toEqual({ kind: 'result', value: 'ok' });
    expect(signals.map((s) => s.aborted)).toEqual([true, false, false]);
  });
});

describe('RoundBreaker', () => {
  // Any sequence of good rounds, bad rounds and errors: the breaker's answers and state changes are those of
  // cockatiel's breaker running every round itself (the closed circuit's rounds run outside it).
  it('answers and changes state as cockatiel running each round would', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom('good', 'bad', 'throw'), { maxLength: 12 }), async (rounds) => {
        const failed = (r: string) => r === 'bad';
        const ours = new RoundBreaker<string>({ failures: 3, cooldownMs: 60_000, failed }, () => 0);
        const changes: string[] = [];
        ours.onChange((from, to) => changes.push(`${from}>${to}`));
        const theirs = circuitBreaker(
          handleWhenResult(failed as (r: unknown) => boolean).orWhen(() => true),
          {
            halfOpenAfter: 60_000,
            breaker: new ConsecutiveBreaker(3),
          },
        );
        const expectedChanges: string[] = [];
        let prev = 'closed';
        theirs.onStateChange(() => {
          const next = theirs.state === CircuitState.Open ? 'open' : 'closed';
          if (next !== prev) expectedChanges.push(`${prev}>${next}`);
          prev = next;
        });
        for (const r of rounds) {
          const fn = () => (r === 'throw' ? Promise.reject(new Error('down')) : Promise.resolve(r));
          const got = await ours.run(fn);
          const want = await settle(() => theirs.execute(fn));
          expect(got.kind === 'breaker-open' ? 'breaker-open' : got).toEqual(
            want.kind === 'breaker-open' ? 'breaker-open' : want,
          );
          expect(ours.state).toBe(prev);
        }
        expect(changes).toEqual(expectedChanges);
      }),
      { numRuns: 200 },
    );
  });
});
