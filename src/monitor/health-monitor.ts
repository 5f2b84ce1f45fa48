import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { CheckKind } from '../config/checks.js';
import type { Config } from '../config/schema.js';
import type { HostProbe } from '../probes/host/collector.js';
import { hostCollectors, type AnyHostCollector, type HostCollectorName } from '../probes/registry.js';
import { dependencyKinds, type DependencyProbeModule } from './dependency-kinds.js';
import { NoDataError } from '../probes/types.js';
import { collectSecrets } from '../shared/redact.js';
import type { DependencyCheck, RunOutcome } from './dependency-check.js';
import { EventLog } from './events.js';
import { HostChecks } from './host-checks.js';
import { schedule, type ScheduledJob } from '../shared/scheduler.js';
import { worst } from '../shared/status.js';
import type { CheckState, CheckStatus, HealthEvent, HostState, Snapshot } from './schema.js';
import { ToolCallStats, type ToolCall } from './tool-stats.js';

/** What a published snapshot changed: a new host sample, and the dependency checks with a new result. */
export interface SnapshotChanges {
  host: boolean;
  checks: ReadonlySet<string>;
}

/**
 * What the monitor publishes. Subscribers (telemetry, the store, the status page, MCP resources) listen here;
 * nothing reaches into the monitor to be told.
 */
export interface MonitorEvents {
  /** A new snapshot, with what changed since the last one (coalesced: several results, one snapshot). */
  snapshot: [Snapshot, SnapshotChanges];
  /** A transition: a check's status or a breaker changed (also kept in the bounded event log). */
  event: [HealthEvent];
  /** One probe run finished: a host collector's or a dependency check's round. Built only when listened to. */
  'probe-run': [ProbeRunInfo];
}

/**
 * Dependency results are published together at most this long after the first of them: a round of 1,000
 * checks then makes a handful of snapshots, not 1,000. Readers never wait for it (see `snapshot`).
 */
const COALESCE_MS = 100;

export interface ProbeRunInfo {
  check: string;
  kind: string;
  durationSeconds: number;
  outcome: 'success' | 'failure' | 'skipped';
  /** Why a failed run failed, already redacted. */
  error?: string;
}

/**
 * Runs one dependency check round inside whatever context it sets up (tracing: a span, so driver spans from
 * pg, ioredis and http nest under it) and hands back the round's info.
 */
export type ProbeRunScope = (check: string, kind: string, run: () => Promise<ProbeRunInfo>) => Promise<ProbeRunInfo>;

/** What one dependency round came to, for 'probe-run'. */
function runInfo(d: DependencyCheck, outcome: RunOutcome, started: number): ProbeRunInfo {
  const failed = outcome.status === 'fail';
  return {
    check: d.name,
    kind: d.config.kind,
    durationSeconds: (performance.now() - started) / 1000,
    outcome: failed ? 'failure' : 'success',
    ...(failed && outcome.error ? { error: outcome.error } : {}),
  };
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}

/**
 * Non-critical dependencies that fail make the whole warn, not fail: the service still works without them.
 * A pending check (no result yet) has no say: it is neither a pass nor a problem.
 */
export function overallStatus(checks: Iterable<CheckState>): CheckStatus {
  let s: CheckStatus = 'pass';
  for (const c of checks) {
    if (c.status === 'pending') continue;
    s = worst(s, c.group === 'dependency' && !c.critical && c.status === 'fail' ? 'warn' : c.status);
  }
  return s;
}

/**
 * Samples on schedules and serves from the snapshot. Host collectors run together every `host.interval`,
 * each under its own timeout; each dependency check runs on its own schedule through the shared bulkhead.
 * Readers get the latest frozen Snapshot in O(1); `refresh()` is single-flight and rate-limited.
 */
export class HealthMonitor extends EventEmitter<MonitorEvents> {
  private readonly collectors: [AnyHostCollector, HostProbe<unknown>][] = [];
  private readonly hostChecks: HostChecks;
  private readonly tools: ToolCallStats;
  private readonly eventLog: EventLog;
  private readonly deps: DependencyCheck[] = [];
  private readonly jobs: ScheduledJob[] = [];
  private host: HostState = {};
  private self: Snapshot['self'];
  private collectorStates: Snapshot['collectors'] = {};
  private hostCheckStates: CheckState[] = [];
  private current: Snapshot;
  private readonly startedAt: string;
  /** The monitor's clock: every time it stamps comes from here, so tests can move it instead of waiting. */
  readonly now: () => number;
  private toolsDirtyAt = 0;
  private publishedAt = 0;
  /** Dependency results not yet published, and the timer that will publish them. */
  private pendingChecks = new Set<string>();
  private publishTimer: NodeJS.Timeout | undefined;
  private readonly hostName = hostname();
  /**
   * Each dependency check's sampling interval in ms (a cron check counts as a minute); host checks use
   * `host.interval`.
   */
  readonly intervals: Readonly<Record<string, number>>;
  private inflightRefresh: Promise<Snapshot> | undefined;
  private lastRefreshEnd = 0;
  private started = false;
  private stopped = false;
  private readyResolve!: () => void;
  /** Resolves once the first host sample is in the snapshot (dependency checks may still be on their first round). */
  readonly ready: Promise<void>;
  private checkedResolve!: () => void;
  /** Resolves once every dependency check has a result of its own. */
  readonly checked = new Promise<void>((r) => (this.checkedResolve = r));
  readonly secrets: Set<string>;
  /** The registered round wrapper (tracing); absent, a round runs bare. */
  private scope: ProbeRunScope | undefined;
  /** Where dependency probe kinds come from: the registry, or fakes in tests. */
  private readonly loadKind: (kind: CheckKind) => Promise<DependencyProbeModule>;

  constructor(
    readonly config: Config,
    private readonly log: Logger,
    options: {
      now?: () => number;
      loadKind?: (kind: CheckKind) => Promise<DependencyProbeModule>;
      /** Readings used instead of enabled collectors' own: a test's fixed value, as the machine's varies with load. */
      hostProbes?: Partial<Record<HostCollectorName, HostProbe<unknown>>>;
    } = {},
  ) {
    super();
    this.now = options.now ?? Date.now;
    this.loadKind = options.loadKind ?? ((kind) => dependencyKinds[kind]());
    this.intervals = Object.fromEntries(
      config.checks.map((c) => [c.name, c.cron ? 60_000 : (c.every ?? config.checkInterval)]),
    );
    this.startedAt = new Date(this.now()).toISOString();
    this.ready = new Promise((r) => (this.readyResolve = r));
    this.hostChecks = new HostChecks(config.host.thresholds);
    this.tools = new ToolCallStats(config.host.thresholds.toolErrorRate.window, undefined, this.now);
    this.eventLog = new EventLog(config.events.max);
    this.secrets = collectSecrets(config.checks);
    for (const c of hostCollectors as readonly AnyHostCollector[]) {
      if (!config.host.collectors[c.name as HostCollectorName]) continue;
      const ctx = { warn: (fields: object, msg: string) => this.log.warn({ collector: c.name, ...fields }, msg) };
      // The host config holds every collector's paths and own options (`host.filesystems`, …).
      const injected = options.hostProbes?.[c.name as HostCollectorName];
      this.collectors.push([c, injected ?? c.create(config.host, config.host, ctx)]);
    }
    this.current = this.build(this.now());
  }

  /**
   * The latest snapshot. Results waiting to be published are published now, so a reader always sees every
   * finished run; tool-call figures are folded in at most once a second.
   */
  get snapshot(): Snapshot {
    if (this.pendingChecks.size || (this.toolsDirtyAt && this.now() - this.publishedAt >= 1000)) this.publish();
    return this.current;
  }

  /**
   * Registers a wrapper every dependency round runs inside (tracing's span). A method rather than an option
   * because telemetry loads in the background after the monitor is built; one at a time. Returns the undo.
   */
  instrument(instrumentation: { scope: ProbeRunScope }): () => void {
    if (this.scope) throw new Error('the monitor is already instrumented');
    const { scope } = instrumentation;
    this.scope = scope;
    return () => {
      if (this.scope === scope) this.scope = undefined;
    };
  }

  events(options?: { sinceMs?: number; check?: string; limit?: number }): HealthEvent[] {
    return this.eventLog.list(options);
  }

  recordToolCall(call: ToolCall): void {
    this.tools.record(call);
    this.toolsDirtyAt ||= this.now();
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    // A short first interval gives CPU a delta to measure; the snapshot is then ready within ~0.25 s.
    await this.prepare(250);
    // Readers wait for the first host sample only: a dependency that hangs at boot must not hold every tool
    // call for its timeout. Its row says "not run yet" and /readyz stays 503 until it has a result.
    const firstRound = Promise.all(this.deps.map((d) => this.runCheck(d)));
    await this.sampleHost();
    this.readyResolve();
    void firstRound.then(() => this.checkedResolve());
    const onError = (e: unknown) => this.log.error({ err: e }, 'scheduled run failed');
    // stop() may have come while the first round ran (a start that failed elsewhere): schedule nothing then.
    if (this.stopped) return;
    this.jobs.push(schedule({ every: this.config.host.interval }, () => this.sampleHost(), onError));
    for (const d of this.deps) {
      const spec = d.config.cron ? { cron: d.config.cron } : { every: d.config.every ?? this.config.checkInterval };
      const job = schedule(spec, () => this.runCheck(d), onError);
      d.schedule = job;
      this.jobs.push(job);
    }
  }

  /**
   * Dependency checks and their resilience policies are loaded only when some are configured: a daemon
   * watching just its host keeps cockatiel and the probe drivers out of its cold start.
   */
  private async createDependencyChecks(): Promise<void> {
    if (this.deps.length || !this.config.checks.length) return;
    const [{ DependencyCheck }, { sharedBulkhead }] = await Promise.all([
      import('./dependency-check.js'),
      import('./resilience.js'),
    ]);
    const bulkhead = sharedBulkhead(this.config.concurrency);
    for (const check of this.config.checks)
      this.deps.push(new DependencyCheck(check, bulkhead, this.secrets, (e) => this.record(e), this.now));
    await Promise.all(this.deps.map(async (d) => d.init(await this.loadKind(d.config.kind))));
  }

  /** Primes the collectors that measure deltas, loads the dependency checks, and waits the first interval. */
  private async prepare(firstIntervalMs: number): Promise<void> {
    await Promise.all(this.collectors.map(([, c]) => c.prime?.()));
    await this.createDependencyChecks();
    await new Promise((r) => setTimeout(r, firstIntervalMs));
  }

  /** One sampling round of everything, without schedules (`vitals check`). */
  async runOnce(): Promise<Snapshot> {
    await this.prepare(500);
    await Promise.all([this.sampleHost(), ...this.deps.map((d) => this.runCheck(d))]);
    this.readyResolve();
    this.checkedResolve();
    return this.snapshot;
  }

  /**
   * Runs checks now for a caller that asked for fresh data. Concurrent callers share one run; a run that
   * finished less than `refreshMinInterval` ago is served instead of starting another.
   */
  refresh(options: { dependenciesOnly?: boolean } = {}): Promise<Snapshot> {
    if (this.inflightRefresh) return this.inflightRefresh;
    if (this.now() - this.lastRefreshEnd < this.config.refreshMinInterval) return Promise.resolve(this.snapshot);
    this.inflightRefresh = (async () => {
      try {
        await this.ready;
        await Promise.all([
          ...(options.dependenciesOnly ? [] : [this.sampleHost()]),
          ...this.deps.map((d) => this.runCheck(d)),
        ]);
        return this.snapshot;
      } finally {
        this.lastRefreshEnd = this.now();
        this.inflightRefresh = undefined;
      }
    })();
    return this.inflightRefresh;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.publishTimer);
    this.publishTimer = undefined;
    for (const j of this.jobs.splice(0)) j.stop();
    await Promise.all([...this.deps.map((d) => d.close()), ...this.collectors.map(([, p]) => p.close?.())]);
  }

  private record(e: HealthEvent): void {
    this.eventLog.push(e);
    const fields = {
      check: e.check,
      type: e.type,
      from: e.from,
      to: e.to,
      reason: e.reason,
      ...(e.startedAt ? { startedAt: e.startedAt } : {}),
    };
    this.log[this.levelOf(e)](fields, `${e.check} ${e.type === 'breaker' ? 'breaker ' : ''}${e.from} → ${e.to}`);
    this.emit('event', e);
  }

  /** A transition is logged at its severity, so `logLevel: warn` still shows every failure. */
  private levelOf(e: HealthEvent): 'error' | 'warn' | 'info' {
    if (e.type === 'breaker') return e.to === 'open' ? 'warn' : 'info';
    if (e.to === 'fail') return this.config.checks.some((c) => c.name === e.check && c.critical) ? 'error' : 'warn';
    return e.to === 'warn' ? 'warn' : 'info';
  }

  /** @param timedOut rejects when the round's deadline passes (shared by the round's collectors) */
  private async runCollector(
    name: string,
    probe: HostProbe<unknown>,
    signal: AbortSignal,
    timedOut: Promise<never>,
  ): Promise<unknown> {
    const started = performance.now();
    try {
      const value = await Promise.race([probe.run(signal), timedOut]);
      this.collectorStates = {
        ...this.collectorStates,
        [name]: { success: true, durationSeconds: (performance.now() - started) / 1000 },
      };
      return value;
    } catch (e) {
      const noData = e instanceof NoDataError;
      const durationSeconds = (performance.now() - started) / 1000;
      this.collectorStates = {
        ...this.collectorStates,
        [name]: { success: noData, durationSeconds, error: (e as Error).message, ...(noData ? { noData } : {}) },
      };
      if (noData) this.log.debug({ collector: name }, 'collector has no data here');
      else this.log.warn({ collector: name, err: (e as Error).message }, 'host collector failed');
      return undefined;
    } finally {
      if (this.listenerCount('probe-run'))
        this.emit('probe-run', {
          check: name,
          kind: `host.${name}`,
          durationSeconds: (performance.now() - started) / 1000,
          outcome: this.collectorStates[name]?.success ? 'success' : 'failure',
        });
    }
  }

  private async sampleHost(): Promise<void> {
    // Every collector of a round starts now under the same timeout: one deadline for them all, its timer (if any)
    // cleared when the round ends. An AbortSignal.timeout per collector fired ~2 s after every round whatever
    // happened, each a wakeup and an abort event with its DOMException: a tenth of an idle daemon's main-thread CPU.
    // One promise rejects for all of them, rather than an abort listener per collector per round (EventTarget's
    // bookkeeping was a visible part of an idle tick).
    const deadline = new AbortController();
    let expire!: (e: Error) => void;
    const timedOut = new Promise<never>((_, reject) => (expire = reject));
    const fire = () => {
      expire(new Error(`timed out after ${this.config.host.timeout}ms`));
      deadline.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
    };
    // The deadline's timer is set only for a round still running once this turn of the loop is over. Collectors
    // that read the kernel in place answer within it, and a cleared timer still wakes the loop when it would have
    // fired (Node re-arms libuv's timer only for timers left): one wakeup per idle round for nothing.
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const later = setImmediate(() => {
      timer = setTimeout(fire, Math.max(0, this.config.host.timeout - (performance.now() - started))).unref();
    }).unref();
    let results: unknown[];
    try {
      results = await Promise.all(
        this.collectors.map(([c, probe]) => this.runCollector(c.name, probe, deadline.signal, timedOut)),
      );
    } finally {
      clearImmediate(later);
      clearTimeout(timer);
    }
    // A collector that failed this round leaves its fields empty: serving the last value as current would let a
    // `for:` hold mature on data nobody measured. Its check then reports the failure.
    const fields: Record<string, unknown> = {};
    this.collectors.forEach(([c], i) => {
      if (results[i] !== undefined) Object.assign(fields, c.toState(results[i]));
    });
    const { self, ...host } = fields;
    this.host = host as HostState;
    this.self = self as Snapshot['self'];
    this.publish(true);
  }

  /** A then-chain when there is no tracing scope: an async frame and its promises are ~1 KiB per run. */
  private runCheck(d: DependencyCheck): Promise<void> {
    if (this.scope) return this.runScoped(d, this.scope);
    // Timing and the info object are paid for only when someone reads them (idle CPU).
    const started = this.listenerCount('probe-run') ? performance.now() : undefined;
    return d.run().then((outcome) => {
      if (started !== undefined) this.emit('probe-run', runInfo(d, outcome, started));
      this.checkDone(d);
    });
  }

  private async runScoped(d: DependencyCheck, scope: ProbeRunScope): Promise<void> {
    const round = async (): Promise<ProbeRunInfo> => {
      const started = performance.now();
      return runInfo(d, await d.run(), started);
    };
    this.emit('probe-run', await scope(d.name, d.config.kind, round));
    this.checkDone(d);
  }

  /** A dependency result is in: it is published with the others that finish within COALESCE_MS. */
  private checkDone(d: DependencyCheck): void {
    this.pendingChecks.add(d.name);
    if (!this.stopped) this.publishTimer ??= setTimeout(() => this.publish(), COALESCE_MS).unref();
  }

  /** Publishes a snapshot with every waiting dependency result, and the host sample when `host` says so. */
  private publish(host = false): void {
    clearTimeout(this.publishTimer);
    this.publishTimer = undefined;
    const changes: SnapshotChanges = { host, checks: this.pendingChecks };
    this.pendingChecks = new Set();
    const now = this.now();
    this.toolsDirtyAt = 0;
    this.publishedAt = now;
    const tools = this.tools.stats();
    const failed: Record<string, string> = {};
    for (const [name, c] of Object.entries(this.collectorStates)) if (!c.success) failed[name] = c.error ?? 'failed';
    this.hostCheckStates = this.hostChecks.evaluate(
      this.host,
      tools,
      now,
      failed,
      (check, from, to, reason, startedAt) =>
        this.record({
          time: new Date(now).toISOString(),
          check,
          type: 'status',
          from,
          to,
          reason,
          ...(startedAt !== undefined ? { startedAt: new Date(startedAt).toISOString() } : {}),
        }),
    );
    const prev = this.current?.status;
    this.current = this.build(now, tools);
    const next = this.current.status;
    if (prev !== undefined && prev !== next)
      this.log[next === 'fail' ? 'error' : next === 'warn' ? 'warn' : 'info'](
        { from: prev, to: next },
        `overall status ${prev} → ${next}`,
      );
    this.emit('snapshot', this.current, changes);
  }

  private build(now: number, tools = this.tools.stats()): Snapshot {
    const checks: Record<string, CheckState> = {};
    for (const c of this.hostCheckStates ?? []) checks[c.name] = c;
    for (const d of this.deps) checks[d.name] = d.state;
    return deepFreeze({
      status: overallStatus(Object.values(checks)),
      time: new Date(now).toISOString(),
      startedAt: this.startedAt,
      hostname: this.hostName,
      checks,
      host: this.host,
      ...(this.self ? { self: this.self } : {}),
      tools,
      collectors: this.collectorStates,
    });
  }
}
