import type { CheckConfig } from '../config/checks.js';
import { dependencyKinds, instancesOf, type DependencyProbeModule, type InstanceConfig } from './dependency-kinds.js';
import type { Observation, Probe } from '../probes/types.js';
import { redactText } from '../shared/redact.js';
import {
  attemptPolicy,
  RoundBreaker,
  settle,
  type AttemptPolicy,
  type Bulkhead,
  type PolicyOutcome,
} from './resilience.js';
import type { CheckState, CheckStatus, HealthEvent, InstanceState } from './schema.js';
import { foldRun, type RunStreak } from './thresholds.js';

interface Instance {
  name: string;
  target: string;
  probe: Probe<Observation>;
}

export interface RunOutcome {
  status: CheckStatus;
  instances: InstanceState[];
  error?: string;
  warnings: string[];
}

/** Header names whose values are credentials even when the generic secret-key list does not say so. */
const CREDENTIAL_HEADER = /auth|token|key|secret|cookie|session|signature|password|credential/i;

/**
 * Secret strings in an http check's headers, so they are scrubbed from any error text: the whole value and,
 * for `Bearer x` / `Basic x`, the credential alone.
 */
function headerSecrets(config: CheckConfig): string[] {
  if (config.kind !== 'http') return [];
  const out: string[] = [];
  for (const [name, value] of Object.entries(config.headers)) {
    if (!CREDENTIAL_HEADER.test(name) || value.length < 3) continue;
    out.push(value);
    const scheme = /^\S+\s+(\S{3,})$/.exec(value);
    if (scheme?.[1]) out.push(scheme[1]);
  }
  return out;
}

/** pass when every instance is up, warn when some are, fail when none are. */
function aggregateInstances(instances: InstanceState[]): CheckStatus {
  const up = instances.filter((i) => i.ok).length;
  if (up === instances.length) return 'pass';
  return up === 0 ? 'fail' : 'warn';
}

/**
 * One dependency check: its instances' probes, its retry/timeout policy, its circuit breaker and its
 * consecutive-run streak. `run()` performs one round and folds it into `state`.
 */
export class DependencyCheck {
  private instances: Instance[] = [];
  private readonly attempt: AttemptPolicy;
  private readonly breaker: RoundBreaker<RunOutcome>;
  private streak: RunStreak = { status: undefined, failures: 0, successes: 0 };
  private runs = 0;
  /**
   * When the current streak of like runs began: failed runs, or good (pass or warn) ones. A status that
   * turns dates its condition from here; the state's `since` and `problemSince` keep the rest.
   */
  private runSince: string | undefined;
  private current: CheckState;
  private readonly timedOut: Observation;
  private inflight: Promise<RunOutcome> | undefined;
  /** The latest failure that came from the dependency itself, not from the open breaker. */
  private lastRealError: string | undefined;
  /** The check's schedule, once the monitor has one: its skipped ticks show in the check's state. */
  schedule: { readonly skipped: number } | undefined;
  /** Outcome of the latest round before the consecutive thresholds (what `run()` resolved to last). */
  lastOutcome: RunOutcome | undefined;

  constructor(
    readonly config: CheckConfig,
    private readonly bulkhead: Bulkhead,
    private readonly secrets: Set<string>,
    private readonly emit: (e: HealthEvent) => void,
    private readonly now: () => number = Date.now,
  ) {
    for (const s of headerSecrets(config)) secrets.add(s);
    this.timedOut = { ok: false, values: {}, error: `timed out after ${config.timeout}ms` };
    this.attempt = attemptPolicy<Observation>({
      timeoutMs: config.timeout,
      attempts: config.retry.attempts,
      backoffMs: config.retry.backoff,
      // A failed observation is worth another attempt.
      failed: (o) => !o.ok,
    });
    this.breaker = new RoundBreaker<RunOutcome>(
      { failures: config.breaker.failures, cooldownMs: config.breaker.cooldown, failed: (o) => o.status === 'fail' },
      this.now,
    );
    this.breaker.onChange((from, to) =>
      this.emit({
        time: new Date(this.now()).toISOString(),
        check: config.name,
        type: 'breaker',
        from,
        to,
        reason:
          to === 'open'
            ? `${config.breaker.failures} failed runs in a row`
            : to === 'half-open'
              ? 'cool-down over, trying again'
              : 'run succeeded',
      }),
    );
    const created = new Date(this.now()).toISOString();
    this.current = {
      name: config.name,
      kind: config.kind,
      group: 'dependency',
      component: config.name,
      measurement: 'responseTime',
      status: 'pending',
      critical: config.critical,
      observedValue: null,
      observedUnit: 's',
      output: 'no result yet',
      since: created,
      time: created,
      latencySeconds: null,
      breaker: 'closed',
      consecutiveFailures: 0,
      consecutiveSuccesses: 0,
      runs: 0,
      skippedRuns: 0,
      instances: [],
    };
  }

  get name(): string {
    return this.config.name;
  }

  /** True once the check has produced a result of its own. */
  get hasRun(): boolean {
    return this.runs > 0;
  }

  /** Loads the probe kind (or takes the one given: tests hand in fakes) and creates a probe per instance. */
  async init(kind?: DependencyProbeModule): Promise<void> {
    const mod = kind ?? (await dependencyKinds[this.config.kind]());
    this.instances = instancesOf(this.config).map((ic: InstanceConfig) => ({
      name: ic.instance,
      target: mod.describe(ic),
      probe: mod.create(ic),
    }));
    this.current = {
      ...this.current,
      instances: this.instances.map((i) => ({
        name: i.name,
        target: i.target,
        ok: false,
        latencySeconds: null,
        values: {},
      })),
    };
  }

  get state(): CheckState {
    return this.current;
  }

  private probeInstance(inst: Instance): Promise<InstanceState> {
    return settle(() =>
      this.bulkhead.execute(() =>
        this.attempt.execute((attempt) =>
          // The attempt aborts only at its timeout. A probe that answers the abort itself can win the race
          // against the timeout policy; either way the run ran out of time, and says so in one wording.
          (inst.probe.runWithHook ? inst.probe.runWithHook(attempt) : inst.probe.run(attempt.signal)).then((o) =>
            attempt.aborted ? this.timedOut : o,
          ),
        ),
      ),
    ).then((r) => this.toInstanceState(inst, this.observationOf(r)));
  }

  private observationOf(r: PolicyOutcome<Observation>): Observation {
    if (r.kind === 'result') return r.value;
    if (r.kind === 'timeout') return this.timedOut;
    return { ok: false, values: {}, error: errorText(r) };
  }

  private toInstanceState(inst: Instance, o: Observation): InstanceState {
    const latency = o.values.responseTimeSeconds ?? null;
    // Built field by field (in the order the keys always had) rather than from conditional spreads: this runs
    // once per probe run, and each spread of `{}` or `{ error }` was an object of its own.
    const state: InstanceState = {
      name: inst.name,
      target: inst.target,
      ok: o.ok,
      latencySeconds: latency,
      values: o.values,
    };
    const error = o.error ? redactText(o.error, this.secrets) : undefined;
    if (error) state.error = error;
    if (o.info) state.info = o.info;
    const warnings = o.warnings?.map((w) => redactText(w, this.secrets)) ?? [];
    if (
      o.ok &&
      this.config.maxResponseTime !== undefined &&
      latency !== null &&
      latency * 1000 > this.config.maxResponseTime
    ) {
      // Slow but up: a warning on the instance, not a failure.
      warnings.push(`response time ${(latency * 1000).toFixed(0)}ms above ${this.config.maxResponseTime}ms`);
    }
    if (warnings.length) state.warnings = warnings;
    return state;
  }

  /**
   * One round over every instance, through the breaker. Never throws. A caller that arrives while a round
   * is in flight (a `refresh` during a scheduled run) shares it: rounds of one check never overlap.
   */
  run(): Promise<RunOutcome> {
    this.inflight ??= this.round();
    return this.inflight;
  }

  /** A then-chain rather than an async function: an async frame and its promises are ~1 KiB per run. */
  private round(): Promise<RunOutcome> {
    const startedAt = this.now();
    return this.breaker.run(this.probeAll).then((r) => {
      try {
        return this.conclude(r, startedAt);
      } finally {
        this.inflight = undefined;
      }
    });
  }

  /** Folds what the round came to into the state, and returns it as the round's outcome. */
  private conclude(r: PolicyOutcome<RunOutcome>, startedAt: number): RunOutcome {
    let outcome: RunOutcome;
    if (r.kind === 'result') outcome = r.value;
    else if (r.kind === 'breaker-open') {
      const last = this.lastRealError ? ` (last: ${this.lastRealError})` : '';
      const next = Math.ceil(r.retryInMs / 1000);
      outcome = {
        status: 'fail',
        instances: this.current.instances ?? [],
        error: `circuit open after ${this.config.breaker.failures} failed runs${last}; next try in ${next}s`,
        warnings: [],
      };
    } else outcome = { status: 'fail', instances: [], error: redactText(errorText(r), this.secrets), warnings: [] };
    // The breaker's own refusal is not news from the dependency: the next refusal still names the real cause.
    if (r.kind !== 'breaker-open') this.lastRealError = outcome.error;
    this.fold(outcome, startedAt);
    return outcome;
  }

  /** Every instance once, in parallel (a check of one instance, the common case, without Promise.all). */
  private readonly probeAll = (): Promise<RunOutcome> => {
    const all =
      this.instances.length === 1
        ? this.probeInstance(this.instances[0]!).then((i) => [i])
        : Promise.all(this.instances.map((i) => this.probeInstance(i)));
    return all.then((instances) => this.outcomeOf(aggregateInstances(instances), instances));
  };

  private outcomeOf(status: CheckStatus, instances: InstanceState[]): RunOutcome {
    // All up without warnings, the usual round: nothing to collect.
    if (status === 'pass' && instances.every((i) => !i.warnings)) return { status, instances, warnings: [] };
    const warnings = instances.flatMap((i) =>
      (i.warnings ?? []).map((w) => (instances.length > 1 ? `${i.name}: ${w}` : w)),
    );
    const down = instances.filter((i) => !i.ok);
    const error = down.length
      ? down.map((i) => (instances.length > 1 ? `${i.name}: ${i.error ?? 'down'}` : (i.error ?? 'down'))).join('; ')
      : undefined;
    let s = status;
    if (s === 'pass' && warnings.length) s = 'warn';
    return { status: s, instances, warnings, ...(error ? { error } : {}) };
  }

  private fold(outcome: RunOutcome, at: number): void {
    this.runs++;
    this.lastOutcome = outcome;
    const prevStatus = this.streak.status;
    this.streak = foldRun(this.streak, outcome.status, this.config.failureThreshold, this.config.successThreshold);
    const status = this.streak.status!;
    const time = isoTime(at);
    // The first run of a streak of failed runs, or of good ones (the other count is then back to zero).
    if ((outcome.status === 'fail' ? this.streak.failures : this.streak.successes) === 1) this.runSince = time;
    let { since, problemSince } = this.current;
    let output = '';
    if (outcome.status === 'fail') output = outcome.error ?? 'failed';
    else if (outcome.status === 'warn') output = [outcome.error, ...outcome.warnings].filter(Boolean).join('; ');
    if (status !== outcome.status) {
      const { successes, failures } = this.streak;
      const { successThreshold, failureThreshold } = this.config;
      output =
        status === 'fail'
          ? `recovering: ${successes}/${successThreshold} good runs${output ? `; ${output}` : ''}`
          : `${outcome.status === 'fail' ? 'failing' : outcome.status}: ${failures}/${failureThreshold} failed runs` +
            (output ? ` (${output})` : '');
    }
    if (prevStatus !== status) {
      // The condition began with the first run of the streak that turned the status, not with the run that
      // matured it: a failure threshold of 3 must not move an outage's start two intervals late.
      const startedAt = this.runSince ?? time;
      since = time;
      problemSince = status === 'pass' ? undefined : status === 'fail' ? startedAt : time;
      // A first result is reported as a change from `unknown` (the check was pending), and only when it is
      // not a pass: a dependency down from boot is logged and evented, a healthy one is not noise.
      if (prevStatus !== undefined || status !== 'pass') {
        this.emit({
          time,
          check: this.config.name,
          type: 'status',
          from: prevStatus ?? 'unknown',
          to: status,
          reason: output || 'recovered',
          ...(startedAt !== time ? { startedAt } : {}),
        });
      }
    }
    const ups = outcome.instances.filter((i) => i.ok && i.latencySeconds !== null);
    const latency = ups.length ? Math.max(...ups.map((i) => i.latencySeconds!)) : null;
    const lastError = outcome.error ?? this.current.lastError;
    const values = outcome.instances.length === 1 ? outcome.instances[0]!.values : undefined;
    const info = outcome.instances.length === 1 ? outcome.instances[0]!.info : undefined;
    // Spread rather than rest-destructured when there is no problemSince to drop: a rest pattern on the state
    // takes V8's generic path, ~1.6 µs of a run's CPU. Either way the keys keep their order.
    const base = this.current.problemSince === undefined ? this.current : withoutProblemSince(this.current);
    this.current = Object.freeze({
      ...base,
      status,
      observedValue: latency,
      latencySeconds: latency,
      output,
      since,
      ...(problemSince ? { problemSince } : {}),
      time,
      breaker: this.breaker.state,
      consecutiveFailures: this.streak.failures,
      consecutiveSuccesses: this.streak.successes,
      runs: this.runs,
      skippedRuns: this.schedule?.skipped ?? 0,
      instances: outcome.instances,
      ...(lastError ? { lastError } : {}),
      ...(values ? { values } : {}),
      ...(info ? { info } : {}),
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.instances.map((i) => i.probe.close?.().catch(() => {})));
  }
}

let lastIsoMs = Number.NaN;
let lastIso = '';

/** A time as ISO text. A round's checks start within a few ms of each other, so it is mostly the last one's. */
function isoTime(ms: number): string {
  if (ms !== lastIsoMs) {
    lastIso = new Date(ms).toISOString();
    lastIsoMs = ms;
  }
  return lastIso;
}

function withoutProblemSince(state: CheckState): CheckState {
  const { problemSince: _previous, ...base } = state;
  return base;
}

/** The text of an error a run ended with (`timeout` and `breaker-open` have their own words at the caller). */
function errorText(r: PolicyOutcome<unknown>): string {
  const e = r.kind === 'error' ? r.error : r.kind;
  return String((e as Error)?.message ?? e);
}
