import pg from 'pg';
import type { Logger } from 'pino';
import type { HealthEvent } from '../monitor/schema.js';
import { schedule, type ScheduledJob } from '../shared/scheduler.js';
import { collectSecrets, redactText } from '../shared/redact.js';
import {
  Accumulator,
  alignDown,
  chooseStep,
  downsample,
  RESOLUTION_MS,
  summarize,
  weightedQuantile,
  type Bucket,
} from './aggregate.js';
import { ident, migrate } from './migrations.js';
import { ProcessSnapshots, RecentEvents } from './recent.js';
import { unitOf } from './series.js';
import {
  InvalidQueryError,
  StoreUnavailableError,
  UnknownSeriesError,
  validateRange,
  type EventQuery,
  type History,
  type HistoryQuery,
  type HistoryResult,
  type ProcessSnapshot,
  type Resolution,
  type SeriesInfo,
  type StoreStats,
} from './types.js';

export interface PostgresHistoryOptions {
  url: string;
  schema: string;
  retention: { raw: number; minute: number; quarter: number; events: number };
  flushInterval: number;
  batchSize: number;
  bufferMax: number;
  maxSeries: number;
  jobs: { downsample: string; retention: string };
  eventsMax: number;
  log: Logger;
  clock?: () => number;
  /** Run the downsampling and retention jobs on their cron schedules (tests and the bench call them directly). */
  scheduleJobs?: boolean;
}

interface Row {
  series: string;
  time: number;
  value: number;
}

/** Rough bytes per buffered sample (object, number boxes, array slot); the name string is shared. */
const ROW_BYTES = 72;
const EVENT_BUFFER_MAX = 10_000;

/** Per-bucket aggregate columns over raw samples, bucketed by the interval parameter `res` from the epoch (τ in seconds from the bucket's start). */
const RAW_AGG = (s: string, res: string, where: string) => `
  SELECT series_id, b AS bucket, count(*)::int AS count, min(value) AS min, max(value) AS max, sum(value) AS sum,
         (array_agg(value ORDER BY time DESC))[1] AS last, max(tau) AS last_t,
         sum(tau) AS sum_t, sum(tau * tau) AS sum_tt, sum(tau * value) AS sum_tv, sum(value * value) AS sum_vv
  FROM (SELECT series_id, time, value, date_bin(${res}::interval, time, timestamptz 'epoch') AS b,
               extract(epoch FROM time - date_bin(${res}::interval, time, timestamptz 'epoch'))::float8 AS tau
        FROM ${s}.samples WHERE ${where}) x
  GROUP BY series_id, b`;

const BUCKET_SET = ['count', 'min', 'max', 'sum', 'last', 'last_t', 'sum_t', 'sum_tt', 'sum_tv', 'sum_vv']
  .map((c) => `${c} = excluded.${c}`)
  .join(', ');

interface BucketRow {
  start: number;
  count: number;
  min: number;
  max: number;
  sum: number;
  last: number;
  last_t: number;
  sum_t: number;
  sum_tt: number;
  sum_tv: number;
  sum_vv: number;
}

/**
 * Whether a PostgreSQL error means the database cannot be reached (then the store is unavailable), as opposed
 * to one statement being refused (a bad value, a constraint): only the first counts against availability.
 * Errors without a SQLSTATE are the driver's or the socket's (refused, reset, broken pipe, timed out, pool
 * exhausted).
 */
export function isConnectionError(e: unknown): boolean {
  const code = (e as { code?: unknown })?.code;
  // A SQLSTATE is 5 characters and no class starts with E; Node's errno codes do (EPIPE, EBADF: a socket gone).
  if (typeof code !== 'string' || !/^[0-9A-DF-Z][0-9A-Z]{4}$/.test(code)) return true;
  // 08 connection exception, 53 insufficient resources, 57P admin shutdown / crash / cannot connect now,
  // 28 authorization (a password changed under us), 3D000 database gone.
  return /^(08|53|57P|28)/.test(code) || code === '3D000';
}

const toBucket = (r: BucketRow): Bucket => ({
  start: r.start,
  count: r.count,
  min: r.min,
  max: r.max,
  sum: r.sum,
  last: r.last,
  lastT: r.last_t,
  sumT: r.sum_t,
  sumTT: r.sum_tt,
  sumTV: r.sum_tv,
  sumVV: r.sum_vv,
});
const interval = (ms: number) => `${ms} milliseconds`;
const iso = (ms: number) => new Date(ms).toISOString();

/**
 * History in PostgreSQL. Writes are write-behind: `append` only buffers, a timer writes batches with one
 * multi-row INSERT (unnest of arrays) each, and while the database is away the buffer keeps the samples
 * (up to `bufferMax`; beyond that the oldest are dropped, counted in `stats().dropped` and logged) and
 * writes them when it returns. Raw samples are rolled up into 1-minute and 15-minute tables by a cron job,
 * another one applies retention. One daemon per schema: the roll-up watermark lives in the process.
 */
export class PostgresHistory implements History {
  readonly kind = 'postgres';
  readonly pool: pg.Pool;
  private readonly s: string;
  private readonly log: Logger;
  private readonly clock: () => number;
  private readonly secrets: Set<string>;
  private buffer: Row[] = [];
  private eventBuffer: HealthEvent[] = [];
  private readonly recent: RecentEvents;
  private readonly processes = new ProcessSnapshots();
  private readonly ids = new Map<string, number>();
  private readonly known = new Set<string>();
  private ready = false;
  private initializing: Promise<void> | undefined;
  private flushing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly jobs: ScheduledJob[] = [];
  private closed = false;
  private dropped = 0;
  private written = 0;
  private available = true;
  /** When the last operation found PostgreSQL unreachable. */
  private unavailableAt = 0;
  /** Samples of the batch being written right now (lost, and counted, if shutdown cuts the write). */
  private inFlight = 0;
  private lastError: string | undefined;
  private outage: { since: number; droppedAtStart: number; lastLog: number } | undefined;
  private lastDropLog = 0;
  private droppedSinceLog = 0;
  private dropReason = '';
  private dropLogTimer: NodeJS.Timeout | undefined;
  /** Raw samples before this time are rolled up; later ones are aggregated at query time. */
  private watermark = 0;
  /** Earliest sample written behind the watermark since the last roll-up (late, after an outage). */
  private dirtyFrom = Infinity;

  constructor(private readonly options: PostgresHistoryOptions) {
    this.s = ident(options.schema);
    this.log = options.log;
    this.clock = options.clock ?? Date.now;
    this.secrets = collectSecrets({ url: options.url });
    this.recent = new RecentEvents(options.eventsMax);
    this.pool = new pg.Pool({
      connectionString: options.url,
      max: 3,
      connectionTimeoutMillis: 5000,
      idleTimeoutMillis: 30_000,
      // A batch INSERT takes milliseconds; a write stuck behind a dead network gives up well before shutdown would.
      query_timeout: 10_000,
      keepAlive: true,
      application_name: 'mcp-vitals-history',
    });
    // An idle client whose socket dies emits here; without a listener that would crash the daemon.
    this.pool.on('error', (e) => this.log.debug({ err: this.redact(e) }, 'history: idle PostgreSQL connection lost'));
  }

  async start(): Promise<void> {
    await this.init();
    this.timer = setInterval(() => void this.flush(), this.options.flushInterval);
    this.timer.unref();
    if (this.options.scheduleJobs !== false) {
      const onError = (e: unknown) => this.log.warn({ err: this.redact(e) }, 'history: job failed');
      this.jobs.push(schedule({ cron: this.options.jobs.downsample }, () => this.downsample(), onError));
      this.jobs.push(schedule({ cron: this.options.jobs.retention }, () => this.applyRetention(), onError));
    }
  }

  /** Migrations and the series cache; retried from the flush loop until it succeeds, so a late database is fine. */
  private init(): Promise<void> {
    if (this.ready) return Promise.resolve();
    this.initializing ??= (async () => {
      try {
        const client = await this.pool.connect();
        try {
          const applied = await migrate(client, this.options.schema);
          if (applied.length) this.log.info({ schema: this.options.schema, applied }, 'history: migrations applied');
          const { rows } = await client.query<{ id: number; name: string }>(`SELECT id, name FROM ${this.s}.series`);
          for (const r of rows) {
            this.ids.set(r.name, r.id);
            this.known.add(r.name);
          }
          const w = await client.query<{ t: number | null }>(
            `SELECT extract(epoch FROM coalesce((SELECT max(bucket) FROM ${this.s}.samples_1m), (SELECT min(time) FROM ${this.s}.samples)))::float8 * 1000 AS t`,
          );
          this.watermark = alignDown(w.rows[0]?.t ?? this.clock(), 60_000);
        } finally {
          client.release();
        }
        this.ready = true;
        this.markAvailable();
      } catch (e) {
        this.markUnavailable(e);
      } finally {
        this.initializing = undefined;
      }
    })();
    return this.initializing;
  }

  append(time: number, values: ReadonlyArray<readonly [string, number]>): void {
    if (this.closed) return;
    for (const [series, value] of values) {
      if (!Number.isFinite(value)) continue;
      if (!this.known.has(series)) {
        if (this.known.size >= this.options.maxSeries) {
          this.drop(1, 'series limit reached');
          continue;
        }
        this.known.add(series);
      }
      this.buffer.push({ series, time, value });
    }
    this.bound();
  }

  recordEvent(event: HealthEvent): void {
    this.recent.push(event);
    if (this.closed) return;
    this.eventBuffer.push(event);
    if (this.eventBuffer.length > EVENT_BUFFER_MAX) {
      const n = this.eventBuffer.length - EVENT_BUFFER_MAX;
      this.eventBuffer.splice(0, n);
      this.log.warn({ dropped: n }, 'history: event buffer full, oldest events not persisted');
    }
  }

  private bound(): void {
    const over = this.buffer.length - this.options.bufferMax;
    if (over > 0) {
      this.buffer.splice(0, over);
      this.drop(over, 'write-behind buffer full');
    }
  }

  /**
   * Every lost sample is counted, and logged at most every 10 s: the first drop at once, the ones after it
   * in a trailing line, so a burst is neither a log storm nor left unreported.
   */
  private drop(n: number, why: string): void {
    this.dropped += n;
    this.droppedSinceLog += n;
    this.dropReason = why;
    const wait = this.lastDropLog + 10_000 - Date.now();
    if (wait <= 0) this.logDrops();
    else this.dropLogTimer ??= setTimeout(() => this.logDrops(), wait).unref();
  }

  private logDrops(): void {
    if (this.dropLogTimer) clearTimeout(this.dropLogTimer);
    this.dropLogTimer = undefined;
    if (!this.droppedSinceLog) return;
    const n = this.droppedSinceLog;
    this.log.warn(
      { dropped: n, droppedTotal: this.dropped, bufferMax: this.options.bufferMax, reason: this.dropReason },
      `history: ${n} samples dropped (${this.dropReason})`,
    );
    this.lastDropLog = Date.now();
    this.droppedSinceLog = 0;
  }

  /** Writes everything buffered, batch by batch; stops at the first failure and keeps the rest for later. */
  flush(): Promise<void> {
    this.flushing ??= this.flushAll().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  private async flushAll(): Promise<void> {
    await this.init();
    if (!this.ready) return;
    while (this.buffer.length || this.eventBuffer.length) {
      const batch = this.buffer.splice(0, this.options.batchSize);
      const events = this.eventBuffer.splice(0, 1000);
      try {
        this.inFlight = batch.length;
        await this.write(batch, events);
        this.inFlight = 0;
        this.written += batch.length;
        this.markAvailable();
      } catch (e) {
        this.inFlight = 0;
        if (!isConnectionError(e)) {
          // PostgreSQL refused this batch itself: retrying it would refuse it forever, and the database is fine.
          this.drop(batch.length, 'batch rejected by PostgreSQL');
          this.log.error(
            { err: this.redact(e), samples: batch.length, events: events.length },
            'history: PostgreSQL rejected a batch; dropped',
          );
          continue;
        }
        // Back at the front, in order, ahead of whatever was appended meanwhile; then bounded again.
        this.buffer = batch.concat(this.buffer);
        this.eventBuffer = events.concat(this.eventBuffer);
        this.bound();
        this.markUnavailable(e);
        return;
      }
    }
  }

  private async write(batch: Row[], events: HealthEvent[]): Promise<void> {
    if (batch.length) {
      const missing = [...new Set(batch.map((r) => r.series).filter((n) => !this.ids.has(n)))];
      if (missing.length) {
        await this.pool.query(
          `INSERT INTO ${this.s}.series (name) SELECT unnest($1::text[]) ON CONFLICT (name) DO NOTHING`,
          [missing],
        );
        const { rows } = await this.pool.query<{ id: number; name: string }>(
          `SELECT id, name FROM ${this.s}.series WHERE name = ANY($1::text[])`,
          [missing],
        );
        for (const r of rows) this.ids.set(r.name, r.id);
      }
      const ids: number[] = [];
      const times: string[] = [];
      const values: number[] = [];
      let minTime = Infinity;
      for (const r of batch) {
        ids.push(this.ids.get(r.series)!);
        times.push(iso(r.time));
        values.push(r.value);
        if (r.time < minTime) minTime = r.time;
      }
      await this.pool.query(
        `INSERT INTO ${this.s}.samples (series_id, time, value) SELECT * FROM unnest($1::int[], $2::timestamptz[], $3::float8[]) ON CONFLICT DO NOTHING`,
        [ids, times, values],
      );
      if (minTime < this.watermark) this.dirtyFrom = Math.min(this.dirtyFrom, minTime);
    }
    if (events.length) {
      await this.pool.query(
        `INSERT INTO ${this.s}.events (time, "check", type, from_status, to_status, reason, started_at)
         SELECT * FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[]) ON CONFLICT DO NOTHING`,
        [
          events.map((e) => e.time),
          events.map((e) => e.check),
          events.map((e) => e.type),
          events.map((e) => e.from),
          events.map((e) => e.to),
          events.map((e) => e.reason),
          events.map((e) => e.startedAt ?? null),
        ],
      );
    }
  }

  private markUnavailable(e: unknown): void {
    this.lastError = this.redact(e);
    const now = Date.now();
    this.unavailableAt = now;
    if (this.available) {
      this.available = false;
      this.outage = { since: now, droppedAtStart: this.dropped, lastLog: now };
      this.log.warn(
        { err: this.lastError, buffered: this.buffer.length },
        'history: PostgreSQL unreachable; buffering samples until it returns',
      );
    } else if (this.outage && now - this.outage.lastLog >= 30_000) {
      this.outage.lastLog = now;
      this.log.warn(
        {
          err: this.lastError,
          buffered: this.buffer.length,
          dropped: this.dropped - this.outage.droppedAtStart,
          outageSeconds: Math.round((now - this.outage.since) / 1000),
        },
        'history: PostgreSQL still unreachable',
      );
    }
  }

  private markAvailable(): void {
    if (this.available) return;
    this.available = true;
    const o = this.outage;
    this.outage = undefined;
    this.log.info(
      {
        outageSeconds: o ? Math.round((Date.now() - o.since) / 1000) : undefined,
        dropped: o ? this.dropped - o.droppedAtStart : 0,
        buffered: this.buffer.length,
      },
      'history: PostgreSQL reachable again; writing buffered samples',
    );
  }

  private redact(e: unknown): string {
    return redactText(String((e as Error)?.message ?? e), this.secrets);
  }

  /** Rolls raw samples up into the 1-minute table, and those into the 15-minute table, from the watermark (or an earlier late write) to the last whole minute. */
  async downsample(): Promise<void> {
    if (!this.ready) return;
    const to = alignDown(this.clock(), 60_000);
    const dirty = this.dirtyFrom;
    this.dirtyFrom = Infinity;
    const from = alignDown(Math.min(this.watermark, dirty), 60_000);
    if (from >= to) return;
    try {
      const client = await this.pool.connect();
      try {
        await client.query('BEGIN');
        await client.query(
          `INSERT INTO ${this.s}.samples_1m (series_id, bucket, count, min, max, sum, last, last_t, sum_t, sum_tt, sum_tv, sum_vv)
           ${RAW_AGG(this.s, '$1', 'time >= $2::timestamptz AND time < $3::timestamptz')}
           ON CONFLICT (series_id, bucket) DO UPDATE SET ${BUCKET_SET}`,
          [interval(60_000), iso(from), iso(to)],
        );
        // Quarters are rebuilt from whole minutes: shift each minute's sums from its start to the quarter's.
        await client.query(
          `INSERT INTO ${this.s}.samples_15m (series_id, bucket, count, min, max, sum, last, last_t, sum_t, sum_tt, sum_tv, sum_vv)
           SELECT series_id, q, sum(count)::int, min(min), max(max), sum(sum),
                  (array_agg(last ORDER BY bucket DESC))[1], max(off + last_t),
                  sum(sum_t + count * off), sum(sum_tt + 2 * off * sum_t + count * off * off), sum(sum_tv + off * sum), sum(sum_vv)
           FROM (SELECT *, date_bin('15 minutes', bucket, timestamptz 'epoch') AS q,
                        extract(epoch FROM bucket - date_bin('15 minutes', bucket, timestamptz 'epoch'))::float8 AS off
                 FROM ${this.s}.samples_1m WHERE bucket >= $1::timestamptz AND bucket < $2::timestamptz) m
           GROUP BY series_id, q
           ON CONFLICT (series_id, bucket) DO UPDATE SET ${BUCKET_SET}`,
          [iso(alignDown(from, 900_000)), iso(to)],
        );
        await client.query('COMMIT');
        this.watermark = Math.max(this.watermark, to);
      } catch (e) {
        await client.query('ROLLBACK').catch(() => {});
        throw e;
      } finally {
        client.release();
      }
    } catch (e) {
      this.dirtyFrom = Math.min(this.dirtyFrom, dirty);
      throw e;
    }
  }

  async applyRetention(): Promise<void> {
    if (!this.ready) return;
    const now = this.clock();
    const r = this.options.retention;
    await this.pool.query(`DELETE FROM ${this.s}.samples WHERE time < $1`, [iso(now - r.raw)]);
    await this.pool.query(`DELETE FROM ${this.s}.samples_1m WHERE bucket < $1`, [iso(now - r.minute)]);
    await this.pool.query(`DELETE FROM ${this.s}.samples_15m WHERE bucket < $1`, [iso(now - r.quarter)]);
    await this.pool.query(`DELETE FROM ${this.s}.events WHERE time < $1`, [iso(now - r.events)]);
  }

  private unavailable(): StoreUnavailableError {
    return new StoreUnavailableError(
      `history store unavailable (PostgreSQL: ${this.lastError ?? 'not connected'}); ${this.buffer.length} samples are buffered and will be written when it returns`,
    );
  }

  /**
   * While PostgreSQL was found unreachable moments ago, readers get the answer at once instead of each waiting
   * out a connect timeout; the flush loop keeps probing and clears this when it gets through.
   */
  private get recentlyUnavailable(): boolean {
    return !this.available && Date.now() - this.unavailableAt < Math.max(10_000, this.options.flushInterval);
  }

  /** A statement PostgreSQL refused: the query's fault, reported as such, and the store stays available. */
  private rejected(e: unknown): InvalidQueryError {
    const err = e as { code?: string; message?: string };
    this.log.warn({ err: this.redact(e), code: err.code }, 'history: PostgreSQL rejected a query');
    return new InvalidQueryError(`history query rejected by PostgreSQL (${err.code ?? 'error'}): ${this.redact(e)}`);
  }

  async query(q: HistoryQuery): Promise<HistoryResult> {
    validateRange(q, this.clock());
    if (this.recentlyUnavailable) throw this.unavailable();
    if (!this.ready) await this.init();
    if (!this.ready) throw this.unavailable();
    let id = this.ids.get(q.series);
    if (id === undefined) {
      // Known but not flushed yet: write it now so the answer includes what is buffered.
      if (this.known.has(q.series)) {
        await this.flush();
        id = this.ids.get(q.series);
        if (id === undefined) throw this.unavailable();
      } else
        throw new UnknownSeriesError(
          q.series,
          (await this.series()).map((s) => s.name),
        );
    }
    try {
      return await this.queryTier(id, q);
    } catch (e) {
      if (e instanceof UnknownSeriesError) throw e;
      if (!isConnectionError(e)) throw this.rejected(e);
      this.markUnavailable(e);
      throw this.unavailable();
    }
  }

  private async queryTier(id: number, q: HistoryQuery): Promise<HistoryResult> {
    const now = this.clock();
    const r = this.options.retention;
    const maxPoints = q.maxPoints ?? 120;
    const to = q.to;
    let from = q.from;
    let resolution: Resolution;
    if (from >= now - r.raw) resolution = 'raw';
    else if (from >= now - r.minute) resolution = '1m';
    else {
      resolution = '15m';
      from = Math.max(from, alignDown(now - r.quarter, 900_000));
    }
    const res = RESOLUTION_MS[resolution];
    if (resolution !== 'raw') from = alignDown(from, res);
    const { stepMs, adjusted } = chooseStep(Math.max(0, to - from), res, maxPoints, q.step);
    const acc = new Accumulator(from);
    let buckets: Bucket[];
    let p95: number;
    const cols = `(extract(epoch FROM bucket)::float8 * 1000) AS start, count, min, max, sum, last, last_t, sum_t, sum_tt, sum_tv, sum_vv`;
    if (resolution === 'raw') {
      // One round-trip: buckets of `step` with the fit's sums, and the exact p95 over the raw values.
      const [agg, p] = await Promise.all([
        this.pool.query<BucketRow>(
          `SELECT ${cols} FROM (${RAW_AGG(this.s, '$1', 'series_id = $2 AND time >= $3::timestamptz AND time <= $4::timestamptz')}) a ORDER BY bucket`,
          [interval(stepMs), id, iso(from), iso(to)],
        ),
        this.pool.query<{ p95: number | null }>(
          `SELECT percentile_cont(0.95) WITHIN GROUP (ORDER BY value) AS p95 FROM ${this.s}.samples WHERE series_id = $1 AND time >= $2 AND time <= $3`,
          [id, iso(from), iso(to)],
        ),
      ]);
      buckets = agg.rows.map(toBucket);
      p95 = p.rows[0]?.p95 ?? NaN;
    } else {
      const table = resolution === '1m' ? 'samples_1m' : 'samples_15m';
      // Buckets before the roll-up watermark come from the table, later ones straight from the raw samples.
      const cut = alignDown(this.watermark, res);
      const { rows } = await this.pool.query<BucketRow>(
        `SELECT ${cols} FROM ${this.s}.${table} WHERE series_id = $2 AND bucket >= $3::timestamptz AND bucket <= $4::timestamptz AND bucket < $5::timestamptz
         UNION ALL
         SELECT ${cols} FROM (${RAW_AGG(this.s, '$1', 'series_id = $2 AND time >= greatest($3::timestamptz, $5::timestamptz) AND time <= $4::timestamptz')}) a
         ORDER BY start`,
        [interval(res), id, iso(from), iso(to), iso(cut)],
      );
      buckets = rows.map(toBucket);
      p95 = weightedQuantile(
        buckets.map((b) => ({ value: b.sum / b.count, weight: b.count })),
        0.95,
      );
    }
    for (const b of buckets) acc.addBucket(b);
    return {
      series: q.series,
      unit: unitOf(q.series),
      resolution,
      from,
      to,
      stepMs,
      stepAdjusted: adjusted,
      summary: summarize(acc, p95, resolution !== 'raw'),
      points: downsample(buckets, stepMs),
    };
  }

  async series(): Promise<SeriesInfo[]> {
    const names = new Set(this.known);
    if (this.ready && !this.recentlyUnavailable) {
      try {
        const { rows } = await this.pool.query<{ name: string }>(`SELECT name FROM ${this.s}.series`);
        for (const r of rows) names.add(r.name);
      } catch (e) {
        if (isConnectionError(e)) this.markUnavailable(e);
        else this.rejected(e);
      }
    }
    return [...names].sort().map((name) => ({ name, unit: unitOf(name) }));
  }

  async events(q: EventQuery = {}): Promise<HealthEvent[]> {
    validateRange({ from: q.sinceMs, to: q.untilMs, limit: q.limit }, this.clock());
    if (!this.ready || this.recentlyUnavailable) return this.recent.list(q);
    try {
      const { rows } = await this.pool.query<{
        time: Date;
        check: string;
        type: HealthEvent['type'];
        from_status: string;
        to_status: string;
        reason: string;
        started_at: Date | null;
      }>(
        `SELECT time, "check", type, from_status, to_status, reason, started_at FROM ${this.s}.events
         WHERE ($1::timestamptz IS NULL OR time >= $1) AND ($2::timestamptz IS NULL OR time <= $2) AND ($3::text IS NULL OR "check" = $3)
         ORDER BY time DESC, id DESC LIMIT $4`,
        [
          q.sinceMs !== undefined ? iso(q.sinceMs) : null,
          q.untilMs !== undefined ? iso(q.untilMs) : null,
          q.check ?? null,
          q.limit ?? 10_000,
        ],
      );
      const stored: HealthEvent[] = rows.map((r) => ({
        time: r.time.toISOString(),
        check: r.check,
        type: r.type,
        from: r.from_status,
        to: r.to_status,
        reason: r.reason,
        ...(r.started_at ? { startedAt: r.started_at.toISOString() } : {}),
      }));
      // Events not written yet are still answers: merge the buffered ones in.
      const key = (e: HealthEvent) => `${e.time}|${e.check}|${e.type}|${e.to}`;
      const seen = new Set(stored.map(key));
      const pending = this.eventBuffer.filter((e) => {
        const t = Date.parse(e.time);
        return (
          !seen.has(key(e)) &&
          (q.sinceMs === undefined || t >= q.sinceMs) &&
          (q.untilMs === undefined || t <= q.untilMs) &&
          (q.check === undefined || e.check === q.check)
        );
      });
      const all = pending.length
        ? [...stored, ...pending].sort((a, b) => Date.parse(b.time) - Date.parse(a.time))
        : stored;
      return all.slice(0, q.limit ?? Infinity);
    } catch (e) {
      if (!isConnectionError(e)) throw this.rejected(e);
      this.markUnavailable(e);
      return this.recent.list(q);
    }
  }

  recordProcesses(snapshot: ProcessSnapshot): void {
    this.processes.push(snapshot);
  }

  processesNear(time: number, withinMs: number): ProcessSnapshot | undefined {
    return this.processes.near(time, withinMs);
  }

  stats(): StoreStats {
    return {
      kind: 'postgres',
      series: this.known.size,
      bytes: this.buffer.length * ROW_BYTES,
      buffered: this.buffer.length,
      dropped: this.dropped,
      written: this.written,
      available: this.available,
      ...(this.lastError && !this.available ? { lastError: this.lastError } : {}),
    };
  }

  /** Stops the jobs, writes what is buffered (giving up after `graceMs`, counting and logging anything left), and closes the pool. */
  async close(graceMs = 5000): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    for (const j of this.jobs.splice(0)) j.stop();
    const deadline = Date.now() + graceMs;
    // A write hung on a black-holed connection must not hold shutdown past the grace period.
    const left = () => new Promise<void>((r) => setTimeout(r, Math.max(0, deadline - Date.now())).unref());
    while ((this.buffer.length || this.eventBuffer.length) && Date.now() < deadline) {
      await Promise.race([this.flush(), left()]);
      if (!this.available) break;
    }
    this.logDrops();
    const lost = this.buffer.length + this.inFlight;
    if (lost) {
      this.dropped += lost;
      // Unreachable only when a connection failed; a database that was there but slower than the grace period
      // (migrations still running, a loaded machine) is said to be that, not an outage.
      const msg = this.available
        ? `history: shutdown grace ran out before PostgreSQL took ${lost} buffered samples; they are lost`
        : `history: PostgreSQL unreachable at shutdown; ${lost} buffered samples lost`;
      this.log.error(
        { dropped: lost, droppedTotal: this.dropped, ...(this.available ? {} : { err: this.lastError }) },
        msg,
      );
      this.buffer = [];
      this.inFlight = 0;
    }
    // pool.end() waits for checked-out clients; a hung one would wait out query_timeout.
    await Promise.race([
      this.pool.end().catch(() => {}),
      new Promise<void>((r) => setTimeout(r, Math.max(100, deadline - Date.now())).unref()),
    ]);
  }
}
