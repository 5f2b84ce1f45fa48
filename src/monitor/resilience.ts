import {
  BrokenCircuitError,
  bulkhead,
  circuitBreaker,
  CircuitState,
  ConsecutiveBreaker,
  ExponentialBackoff,
  handleAll,
  retry,
  timeout,
  TimeoutStrategy,
  TaskCancelledError,
  wrap,
  type BulkheadPolicy,
  type CircuitBreakerPolicy,
  type IPolicy,
} from 'cockatiel';
import type { BreakerState } from './schema.js';

export { BrokenCircuitError, TaskCancelledError };

/** One shared bulkhead bounds how many probe runs are in flight across all checks. */
export function sharedBulkhead(limit: number): BulkheadPolicy {
  return bulkhead(limit, Number.MAX_SAFE_INTEGER);
}

/**
 * Per-attempt policy: an aggressive timeout (the run is abandoned and its signal aborted even if the probe
 * ignores the signal), inside an optional retry with exponential backoff.
 */
export function attemptPolicy(options: { timeoutMs: number; attempts: number; backoffMs: number }): IPolicy {
  // abortOnReturn off: aborting a signal whose probe already finished builds a DOMException (and, through
  // node:http, an AbortError with a stack) on every run for nothing; probes release their own resources.
  const perAttempt = timeout(options.timeoutMs, { strategy: TimeoutStrategy.Aggressive, abortOnReturn: false });
  if (options.attempts <= 0) return perAttempt;
  const retrying = retry(handleAll, {
    maxAttempts: options.attempts,
    backoff: new ExponentialBackoff({ initialDelay: options.backoffMs, maxDelay: options.backoffMs * 8 }),
  });
  return wrap(retrying, perAttempt);
}

/** Opens after `failures` failed runs in a row, half-opens after `cooldownMs`. */
export function checkBreaker(options: { failures: number; cooldownMs: number }): CircuitBreakerPolicy {
  return circuitBreaker(handleAll, {
    halfOpenAfter: options.cooldownMs,
    breaker: new ConsecutiveBreaker(options.failures),
  });
}

export function breakerState(b: CircuitBreakerPolicy): BreakerState {
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
