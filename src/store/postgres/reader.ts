import type { Logger } from 'pino';
import type { HealthEvent } from '../../monitor/schema.js';
import {
  Accumulator,
  alignDown,
  type Bucket,
  chooseStep,
  downsample,
  RESOLUTION_MS,
  summarize,
  weightedQuantile,
} from '../aggregate.js';
import type { RecentEvents } from '../recent.js';
import { unitOf } from '../series.js';
import {
  type EventQuery,
  type HistoryQuery,
  type HistoryResult,
  InvalidQueryError,
  type Resolution,
  type SeriesInfo,
  UnknownSeriesError,
  validateRange,
} from '../types.js';
import { isConnectionError, type PgConnection } from './connection.js';
import type { Retention } from './jobs.js';
import type { SeriesIds } from './series-ids.js';
import { type BucketRow, interval, iso, RAW_AGG, toBucket } from './sql.js';

interface ReaderOptions {
  retention: Retention;
  clock: () => number;
  log: Logger;
}

/** What the reader needs from the writer and the jobs: answers include what is buffered and not rolled up. */
interface ReaderSources {
  flush(): Promise<void>;
  pendingEvents(): readonly HealthEvent[];
  /** Raw samples from here on are not all in the roll-up tables yet (Jobs.rolledUpTo). */
  rolledUpTo(): number;
  /** Events kept in memory: the answer while PostgreSQL is away. */
  recent: RecentEvents;
}

const COLS =
  '(extract(epoch FROM bucket)::float8 * 1000) AS start, ' +
  'count, min, max, sum, last, last_t, sum_t, sum_tt, sum_tv, sum_vv';

interface EventRow {
  time: Date;
  check: string;
  type: HealthEvent['type'];
  from_status: string;
  to_status: string;
  reason: string;
  started_at: Date | null;
}

const toEvent = (r: EventRow): HealthEvent => ({
  time: r.time.toISOString(),
  check: r.check,
  type: r.type,
  from: r.from_status,
  to: r.to_status,
  reason: r.reason,
  ...(r.started_at ? { startedAt: r.started_at.toISOString() } : {}),
});

const eventKey = (e: HealthEvent) => `${e.time}|${e.check}|${e.type}|${e.to}`;

/** The newest `limit` of the stored events and the buffered ones that match `q` and were not stored yet. */
function mergePending(stored: HealthEvent[], buffered: readonly HealthEvent[], q: EventQuery): HealthEvent[] {
  const seen = new Set(stored.map(eventKey));
  const pending = buffered.filter((e) => {
    const t = Date.parse(e.time);
    return (
      !seen.has(eventKey(e)) &&
      (q.sinceMs === undefined || t >= q.sinceMs) &&
      (q.untilMs === undefined || t <= q.untilMs) &&
      (q.check === undefined || e.check === q.check)
    );
  });
  const all = pending.length ? [...stored, ...pending].sort((a, b) => Date.parse(b.time) - Date.parse(a.time)) : stored;
  return all.slice(0, q.limit ?? Infinity);
}

/** The tier a window starting at `from` is answered from, and the start clamped to what that tier retains. */
function chooseResolution(from: number, now: number, r: Retention): { resolution: Resolution; from: number } {
  if (from >= now - r.raw) return { resolution: 'raw', from };
  if (from >= now - r.minute) return { resolution: '1m', from: alignDown(from, RESOLUTION_MS['1m']) };
  const clamped = Math.max(from, alignDown(now - r.quarter, 900_000));
  return { resolution: '15m', from: alignDown(clamped, RESOLUTION_MS['15m']) };
}

/** Queries: series windows from the tier that still holds them, the series list, and events. */
export class Reader {
  constructor(
    private readonly conn: PgConnection,
    private readonly series: SeriesIds,
    private readonly options: ReaderOptions,
    private readonly sources: ReaderSources,
  ) {}

  async query(q: HistoryQuery): Promise<HistoryResult> {
    validateRange(q, this.options.clock());
    const id = await this.seriesId(q.series);
    try {
      return await this.queryTier(id, q);
    } catch (e) {
      if (e instanceof UnknownSeriesError) throw e;
      if (!isConnectionError(e)) throw this.rejected(e);
      this.conn.markUnavailable(e);
      throw this.conn.unavailableError();
    }
  }

  /** The database id of `series`, writing it first if it is known but not flushed yet. */
  private async seriesId(series: string): Promise<number> {
    const { conn } = this;
    if (conn.recentlyUnavailable) throw conn.unavailableError();
    if (!conn.ready) await conn.init();
    if (!conn.ready) throw conn.unavailableError();
    let id = this.series.ids.get(series);
    if (id !== undefined) return id;
    // Known but not flushed yet: write it now so the answer includes what is buffered.
    if (!this.series.known.has(series))
      throw new UnknownSeriesError(
        series,
        (await this.list()).map((s) => s.name),
      );
    await this.sources.flush();
    id = this.series.ids.get(series);
    if (id === undefined) throw conn.unavailableError();
    return id;
  }

  private async queryTier(id: number, q: HistoryQuery): Promise<HistoryResult> {
    const { resolution, from } = chooseResolution(q.from, this.options.clock(), this.options.retention);
    const to = q.to;
    const res = RESOLUTION_MS[resolution];
    const { stepMs, adjusted } = chooseStep(Math.max(0, to - from), res, q.maxPoints ?? 120, q.step);
    const { buckets, p95 } =
      resolution === 'raw'
        ? await this.rawBuckets(id, from, to, stepMs)
        : await this.tierBuckets(id, resolution, from, to);
    const acc = new Accumulator(from);
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

  /** One round-trip: buckets of `step` with the fit's sums, and the exact p95 over the raw values. */
  private async rawBuckets(id: number, from: number, to: number, stepMs: number) {
    const { pool, s } = this.conn;
    const [agg, p] = await Promise.all([
      pool.query<BucketRow>(
        `SELECT ${COLS}
         FROM (${RAW_AGG(s, '$1', 'series_id = $2 AND time >= $3::timestamptz AND time <= $4::timestamptz')}) a
         ORDER BY bucket`,
        [interval(stepMs), id, iso(from), iso(to)],
      ),
      pool.query<{ p95: number | null }>(
        `SELECT percentile_cont(0.95) WITHIN GROUP (ORDER BY value) AS p95
         FROM ${s}.samples WHERE series_id = $1 AND time >= $2 AND time <= $3`,
        [id, iso(from), iso(to)],
      ),
    ]);
    return { buckets: agg.rows.map(toBucket), p95: p.rows[0]?.p95 ?? NaN };
  }

  /**
   * Buckets the roll-up has fully taken in come from the table, later ones straight from the raw samples; p95 is
   * then estimated from the bucket averages.
   */
  private async tierBuckets(id: number, resolution: '1m' | '15m', from: number, to: number) {
    const { pool, s } = this.conn;
    const table = resolution === '1m' ? 'samples_1m' : 'samples_15m';
    const res = RESOLUTION_MS[resolution];
    const cut = alignDown(this.sources.rolledUpTo(), res);
    const rawWhere =
      'series_id = $2 AND time >= greatest($3::timestamptz, $5::timestamptz) AND time <= $4::timestamptz';
    const { rows } = await pool.query<BucketRow>(
      `SELECT ${COLS} FROM ${s}.${table}
       WHERE series_id = $2 AND bucket >= $3::timestamptz AND bucket <= $4::timestamptz AND bucket < $5::timestamptz
       UNION ALL
       SELECT ${COLS} FROM (${RAW_AGG(s, '$1', rawWhere)}) a
       ORDER BY start`,
      [interval(res), id, iso(from), iso(to), iso(cut)],
    );
    const buckets: Bucket[] = rows.map(toBucket);
    const p95 = weightedQuantile(
      buckets.map((b) => ({ value: b.sum / b.count, weight: b.count })),
      0.95,
    );
    return { buckets, p95 };
  }

  /** Every series known here or in the database (the database part left out while it is away). */
  async list(): Promise<SeriesInfo[]> {
    const names = new Set(this.series.known);
    if (this.conn.ready && !this.conn.recentlyUnavailable) {
      try {
        const { rows } = await this.conn.pool.query<{ name: string }>(`SELECT name FROM ${this.conn.s}.series`);
        for (const r of rows) names.add(r.name);
      } catch (e) {
        if (isConnectionError(e)) this.conn.markUnavailable(e);
        else this.rejected(e);
      }
    }
    return [...names].sort().map((name) => ({ name, unit: unitOf(name) }));
  }

  async events(q: EventQuery = {}): Promise<HealthEvent[]> {
    validateRange({ from: q.sinceMs, to: q.untilMs, limit: q.limit }, this.options.clock());
    if (!this.conn.ready || this.conn.recentlyUnavailable) return this.sources.recent.list(q);
    try {
      return mergePending(await this.storedEvents(q), this.sources.pendingEvents(), q);
    } catch (e) {
      if (!isConnectionError(e)) throw this.rejected(e);
      this.conn.markUnavailable(e);
      return this.sources.recent.list(q);
    }
  }

  private async storedEvents(q: EventQuery): Promise<HealthEvent[]> {
    const { rows } = await this.conn.pool.query<EventRow>(
      `SELECT time, "check", type, from_status, to_status, reason, started_at FROM ${this.conn.s}.events
       WHERE ($1::timestamptz IS NULL OR time >= $1) AND ($2::timestamptz IS NULL OR time <= $2)
         AND ($3::text IS NULL OR "check" = $3)
       ORDER BY time DESC, id DESC LIMIT $4`,
      [
        q.sinceMs !== undefined ? iso(q.sinceMs) : null,
        q.untilMs !== undefined ? iso(q.untilMs) : null,
        q.check ?? null,
        q.limit ?? 10_000,
      ],
    );
    return rows.map(toEvent);
  }

  /** A statement PostgreSQL refused: the query's fault, reported as such, and the store stays available. */
  private rejected(e: unknown): InvalidQueryError {
    const err = e as { code?: string; message?: string };
    const text = this.conn.redact(e);
    this.options.log.warn({ err: text, code: err.code }, 'history: PostgreSQL rejected a query');
    return new InvalidQueryError(`history query rejected by PostgreSQL (${err.code ?? 'error'}): ${text}`);
  }
}
