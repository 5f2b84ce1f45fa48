import {
  circuitBreaker,
  CircuitState,
  ConsecutiveBreaker,
  ExponentialBackoff,
  handleWhenResult,
  isBrokenCircuitError,
  retry,
  TaskCancelledError,
  type CircuitBreakerPolicy,
} from 'cockatiel';
import type { AbortHook } from '../probes/types.js';
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

/** Runs `fn` once one of a bounded number of slots is free, first come first served. */
export interface Bulkhead {
  execute<T>(fn: () => Promise<T>): Promise<T>;
}

/**
 * One shared bulkhead bounds how many probe runs are in flight across all checks. Not cockatiel's: there a
 * queued run holds a promise, an executor call and its listeners, here one closure. A round of 1,000 checks
 * queues ~940 runs at once, and what they hold outlives two young-generation GCs: it is promoted, and the old
 * generation grows by it every round until a full GC (RSS at 1,000 checks is a sawtooth of that garbage).
 */
export function sharedBulkhead(limit: number): Bulkhead {
  return new Semaphore(limit);
}

class Semaphore implements Bulkhead {
  private active = 0;
  private waiting: (() => void)[] = [];
  private head = 0;

  constructor(private readonly limit: number) {}

  execute<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active < this.limit) return this.start(fn);
    return new Promise<T>((resolve, reject) => this.waiting.push(() => this.start(fn).then(resolve, reject)));
  }

  private start<T>(fn: () => Promise<T>): Promise<T> {
    this.active++;
    let run: Promise<T>;
    try {
      run = fn();
    } catch (e) {
      run = Promise.reject(e);
    }
    return run.then(
      (v) => {
        this.release();
        return v;
      },
      (e: unknown) => {
        this.release();
        throw e;
      },
    );
  }

  private release(): void {
    this.active--;
    const next = this.waiting[this.head];
    if (!next) return;
    this.waiting[this.head++] = undefined as never;
    // Drop the consumed front now and then instead of shifting the array on every release.
    if (this.head === this.waiting.length) {
      this.waiting = [];
      this.head = 0;
    } else if (this.head >= 1024) {
      this.waiting = this.waiting.slice(this.head);
      this.head = 0;
    }
    next();
  }
}

/**
 * One attempt's end as its probe sees it. The signal is built only when something reads it: an AbortController
 * and a listener on it cost ~10 µs per run, a visible share of a TCP connect at 1,000 checks, so a probe that
 * only needs to be told (TCP) registers a callback with `onAbort` instead.
 */
export interface AttemptContext extends AbortHook {
  readonly signal: AbortSignal;
}

/** Runs one attempt of a probe with what tells it of its end. */
export interface AttemptPolicy {
  execute<T>(fn: (context: AttemptContext) => Promise<T>): Promise<T>;
}

class Attempt implements AttemptContext {
  aborted = false;
  private controller: AbortController | undefined;
  private listener: (() => void) | undefined;

  get signal(): AbortSignal {
    this.controller ??= new AbortController();
    if (this.aborted && !this.controller.signal.aborted) this.controller.abort();
    return this.controller.signal;
  }

  onAbort(listener: () => void): void {
    if (this.aborted) listener();
    else this.listener = listener;
  }

  abort(): void {
    this.aborted = true;
    this.controller?.abort();
    const listener = this.listener;
    this.listener = undefined;
    listener?.();
  }
}

/**
 * The aggressive timeout of one attempt: at `ms` the attempt is aborted (its signal, its `onAbort` listener) and
 * rejects with cockatiel's TaskCancelledError (what `settle` reads as a timeout), whether or not the probe
 * answers the abort. What cockatiel's timeout does, with one timer and one promise per attempt instead of a
 * derived controller, event objects and a race (allocations that, as above, pile up in the old generation).
 */
class AttemptTimeout implements AttemptPolicy {
  constructor(private readonly ms: number) {}

  execute<T>(fn: (context: AttemptContext) => Promise<T>): Promise<T> {
    const attempt = new Attempt();
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        attempt.abort();
        reject(new TaskCancelledError(`Operation timed out after ${this.ms}ms`));
      }, this.ms);
      let run: Promise<T>;
      try {
        run = fn(attempt);
      } catch (e) {
        run = Promise.reject(e);
      }
      run.then(
        (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        (e: unknown) => {
          clearTimeout(timer);
          reject(e);
        },
      );
    });
  }
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
}): AttemptPolicy {
  // The signal is not aborted when the probe returns in time: that builds a DOMException (and, through
  // node:http, an AbortError with a stack) on every run for nothing; probes release their own resources.
  const perAttempt = new AttemptTimeout(options.timeoutMs);
  if (options.attempts <= 0) return perAttempt;
  const retrying = retry(handleFailures(options.failed), {
    maxAttempts: options.attempts,
    backoff: new ExponentialBackoff({ initialDelay: options.backoffMs, maxDelay: options.backoffMs * 8 }),
  });
  return { execute: (fn) => retrying.execute(() => perAttempt.execute(fn)) };
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
  private readonly counter: ConsecutiveBreaker;
  private openedAt = 0;
  private readonly retryInMs = () => Math.max(0, this.openedAt + this.options.cooldownMs - this.now());

  constructor(
    private readonly options: { failures: number; cooldownMs: number; failed: (result: T) => boolean },
    private readonly now: () => number,
  ) {
    this.counter = new ConsecutiveBreaker(options.failures);
    this.policy = circuitBreaker(handleFailures(options.failed), {
      halfOpenAfter: options.cooldownMs,
      breaker: this.counter,
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

  /**
   * One round through the breaker: its result, or `breaker-open` with the time left before the next try.
   * While the circuit is closed the round runs outside cockatiel, whose two async frames per execution
   * allocated ~2 KiB per run: a good result resets the failure count as cockatiel would (`success` on the
   * breaker it was given), anything else is handed to cockatiel as the result of an execution, which counts
   * it, opens the circuit at the threshold and answers exactly as if it had run the round itself. Rounds of
   * one check never overlap, so the circuit is still closed when the round ends.
   */
  run(fn: () => Promise<T>): Promise<PolicyOutcome<T>> {
    if (this.policy.state !== CircuitState.Closed) return settle(() => this.policy.execute(fn), this.retryInMs);
    let round: Promise<T>;
    try {
      round = fn();
    } catch (e) {
      round = Promise.reject(e);
    }
    return round.then<PolicyOutcome<T>, PolicyOutcome<T>>(
      (value) => {
        if (this.options.failed(value))
          return settle<T>(() => this.policy.execute(() => Promise.resolve(value)), this.retryInMs);
        this.counter.success();
        return { kind: 'result', value };
      },
      (error: unknown) => settle<T>(() => this.policy.execute(() => Promise.reject(error)), this.retryInMs),
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
