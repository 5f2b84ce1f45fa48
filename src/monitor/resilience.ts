import {
  bulkhead,
  circuitBreaker,
  CircuitState,
  ConsecutiveBreaker,
  ExponentialBackoff,
  handleWhenResult,
  isBrokenCircuitError,
  retry,
  TaskCancelledError,
  timeout,
  TimeoutStrategy,
  wrap,
  type BulkheadPolicy,
  type CircuitBreakerPolicy,
  type IPolicy,
} from 'cockatiel';
import type { BreakerState } from './schema.js';

/**
 * What one run through a policy came to. cockatiel reports a timeout and an open breaker by throwing its own
 * error types; they stop here, so callers branch on a value instead of catching and inspecting errors.
 */
export type PolicyOutcome<T> =
  | { kind: 'result'; value: T }
  | { kind: 'timeout' }
  | { kind: 'breaker-open'; retryInMs: number }
  | { kind: 'error'; error: unknown };

/** One shared bulkhead bounds how many probe runs are in flight across all checks. */
export function sharedBulkhead(limit: number): BulkheadPolicy {
  return bulkhead(limit, Number.MAX_SAFE_INTEGER);
}

/**
 * Per-attempt policy: an aggressive timeout (the run is abandoned and its signal aborted even if the probe
 * ignores the signal), inside an optional retry with exponential backoff. A result `failed` says is bad is
 * retried like an error, and when the attempts run out it is returned as it is: the caller gets the last
 * observation, not an exception carrying it.
 */
export function attemptPolicy<T>(options: {
  timeoutMs: number;
  attempts: number;
  backoffMs: number;
  failed: (result: T) => boolean;
}): IPolicy {
  // abortOnReturn off: aborting a signal whose probe already finished builds a DOMException (and, through
  // node:http, an AbortError with a stack) on every run for nothing; probes release their own resources.
  const perAttempt = timeout(options.timeoutMs, { strategy: TimeoutStrategy.Aggressive, abortOnReturn: false });
  if (options.attempts <= 0) return perAttempt;
  const retrying = retry(handleFailures(options.failed), {
    maxAttempts: options.attempts,
    backoff: new ExponentialBackoff({ initialDelay: options.backoffMs, maxDelay: options.backoffMs * 8 }),
  });
  return wrap(retrying, perAttempt);
}

const noWait = () => 0;

/**
 * Every error, and every result `failed` says is bad. Built from the result side (`handleAll.orWhenResult`
 * would test every result through an extra closure; the error side is the rare one).
 */
function handleFailures<T>(failed: (result: T) => boolean) {
  return handleWhenResult(failed as (result: unknown) => boolean).orWhen(() => true);
}

/**
 * Settles a run through one or more policies into what happened, as a value; the returned promise never
 * rejects. `retryInMs` tells how long an open breaker that refused the run stays open. (`then` rather than an
 * async function: this wraps every probe run, and one promise fewer per run shows at 1,000 checks.)
 */
export function settle<T>(run: () => Promise<T>, retryInMs: () => number = noWait): Promise<PolicyOutcome<T>> {
  return run().then(
    (value): PolicyOutcome<T> => ({ kind: 'result', value }),
    (error: unknown): PolicyOutcome<T> => {
      if (isBrokenCircuitError(error)) return { kind: 'breaker-open', retryInMs: retryInMs() };
      // Not cockatiel's `isTaskCancelledError`: in 3.2.1 it tests for `isBulkheadRejectedError` and never matches.
      if (error instanceof TaskCancelledError) return { kind: 'timeout' };
      return { kind: 'error', error };
    },
  );
}

/**
 * A circuit breaker over whole rounds of a check: opens after `failures` failed rounds in a row, half-opens
 * after `cooldownMs`. A round `failed` calls bad counts against the breaker but is still returned as the
 * round's result. The countdown to the next try is told on the caller's clock (the monitor's), which tests
 * move instead of waiting; cockatiel itself times the cool-down on the wall clock.
 */
export class RoundBreaker<T> {
  private readonly policy: CircuitBreakerPolicy;
  private openedAt = 0;

  constructor(
    private readonly options: { failures: number; cooldownMs: number; failed: (result: T) => boolean },
    private readonly now: () => number,
  ) {
    this.policy = circuitBreaker(handleFailures(options.failed), {
      halfOpenAfter: options.cooldownMs,
      breaker: new ConsecutiveBreaker(options.failures),
    });
  }

  get state(): BreakerState {
    return breakerState(this.policy);
  }

  /** Calls `listener` on every change of the reported state, with the state before and after. */
  onChange(listener: (from: BreakerState, to: BreakerState) => void): void {
    let prev = this.state;
    this.policy.onStateChange(() => {
      const next = this.state;
      if (next === prev) return;
      if (next === 'open') this.openedAt = this.now();
      const from = prev;
      prev = next;
      listener(from, next);
    });
  }

  /** One round through the breaker: its result, or `breaker-open` with the time left before the next try. */
  run(fn: () => Promise<T>): Promise<PolicyOutcome<T>> {
    return settle(
      () => this.policy.execute(fn),
      () => Math.max(0, this.openedAt + this.options.cooldownMs - this.now()),
    );
  }
}

function breakerState(b: CircuitBreakerPolicy): BreakerState {
  switch (b.state) {
    case CircuitState.Open:
    case CircuitState.Isolated:
      return 'open';
    case CircuitState.HalfOpen:
      return 'half-open';
    default:
      return 'closed';
  }
}
