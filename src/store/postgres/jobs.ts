import type pg from 'pg';
import { type ScheduledJob, schedule } from '../../shared/scheduler.js';
import { alignDown } from '../aggregate.js';
import type { PgConnection } from './connection.js';
import { BUCKET_COLUMNS, BUCKET_SET, interval, iso, RAW_AGG } from './sql.js';

export interface Retention {
  raw: number;
  minute: number;
  quarter: number;
  events: number;
}

interface JobsOptions {
  retention: Retention;
  /** Cron expressions of the two jobs. */
  schedules: { downsample: string; retention: string };
  clock: () => number;
}

const MINUTE = 60_000;
const QUARTER = 900_000;

/**
 * The roll-up of raw samples into the 1-minute and 15-minute tables, and retention. One daemon per schema:
 * the roll-up watermark lives in the process.
 */
export class Jobs {
  /** Raw samples before this time are rolled up; later ones are aggregated at query time. */
  watermark = 0;
  /** Earliest sample written behind the watermark since the last roll-up (late, after an outage). */
  private dirtyFrom = Infinity;
  /** The dirty start a roll-up under way is redoing: not in the tables until it commits. */
  private rolling = Infinity;
  private readonly scheduled: ScheduledJob[] = [];

  constructor(
    private readonly conn: PgConnection,
    private readonly options: JobsOptions,
  ) {}

  /** Picks up where the last roll-up stopped: the newest minute bucket, or the oldest raw sample. */
  async load(client: pg.PoolClient, s: string): Promise<void> {
    const w = await client.query<{ t: number | null }>(
      `SELECT extract(epoch FROM coalesce((SELECT max(bucket) FROM ${s}.samples_1m),
                                          (SELECT min(time) FROM ${s}.samples)))::float8 * 1000 AS t`,
    );
    this.watermark = alignDown(w.rows[0]?.t ?? this.options.clock(), MINUTE);
  }

  /**
   * Raw samples from this time on are not (all) in the roll-up tables yet, so a query aggregates them itself: the
   * watermark, or the earliest sample written behind it that no roll-up has taken in. A fresh schema's watermark is
   * the minute it started in, and a sample from before that minute, written after start, is such a sample.
   */
  get rolledUpTo(): number {
    return Math.min(this.watermark, this.dirtyFrom, this.rolling);
  }

  /** A batch was written from `minTime` on: minutes behind the watermark are rolled up again. */
  noteWritten(minTime: number): void {
    if (minTime < this.watermark) this.dirtyFrom = Math.min(this.dirtyFrom, minTime);
  }

  start(onError: (e: unknown) => void): void {
    const { schedules } = this.options;
    this.scheduled.push(schedule({ cron: schedules.downsample }, () => this.downsample(), onError));
    this.scheduled.push(schedule({ cron: schedules.retention }, () => this.applyRetention(), onError));
  }

  stop(): void {
    for (const j of this.scheduled.splice(0)) j.stop();
  }

  /**
   * Rolls raw samples up into the 1-minute table, and those into the 15-minute table, from the watermark
   * (or an earlier late write) to the last whole minute.
   */
  async downsample(): Promise<void> {
    if (!this.conn.ready) return;
    const to = alignDown(this.options.clock(), MINUTE);
    const dirty = this.dirtyFrom;
    this.dirtyFrom = Infinity;
    const from = alignDown(Math.min(this.watermark, dirty), MINUTE);
    if (from >= to) return;
    this.rolling = dirty;
    try {
      await this.rollUp(from, to);
      this.watermark = Math.max(this.watermark, to);
    } catch (e) {
      this.dirtyFrom = Math.min(this.dirtyFrom, dirty);
      throw e;
    } finally {
      this.rolling = Infinity;
    }
  }

  /** Both tables in one transaction, so a quarter never sums minutes that were not committed. */
  private async rollUp(from: number, to: number): Promise<void> {
    const client = await this.conn.pool.connect();
    try {
      await client.query('BEGIN');
      await this.rollUpMinutes(client, from, to);
      await this.rollUpQuarters(client, from, to);
      await client.query('COMMIT');
    } catch (e) {
      await client.query('ROLLBACK').catch(() => {});
      throw e;
    } finally {
      client.release();
    }
  }

  private async rollUpMinutes(client: pg.PoolClient, from: number, to: number): Promise<void> {
    const { s } = this.conn;
    await client.query(
      `INSERT INTO ${s}.samples_1m (${BUCKET_COLUMNS})
       ${RAW_AGG(s, '$1', 'time >= $2::timestamptz AND time < $3::timestamptz')}
       ON CONFLICT (series_id, bucket) DO UPDATE SET ${BUCKET_SET}`,
      [interval(MINUTE), iso(from), iso(to)],
    );
  }

  /** Quarters are rebuilt from whole minutes: shift each minute's sums from its start to the quarter's. */
  private async rollUpQuarters(client: pg.PoolClient, from: number, to: number): Promise<void> {
    const { s } = this.conn;
    await client.query(
      `INSERT INTO ${s}.samples_15m (${BUCKET_COLUMNS})
       SELECT series_id, q, sum(count)::int, min(min), max(max), sum(sum),
              (array_agg(last ORDER BY bucket DESC))[1], max(off + last_t),
              sum(sum_t + count * off), sum(sum_tt + 2 * off * sum_t + count * off * off), sum(sum_tv + off * sum),
              sum(sum_vv)
       FROM (SELECT *, date_bin('15 minutes', bucket, timestamptz 'epoch') AS q,
                    extract(epoch FROM bucket - date_bin('15 minutes', bucket, timestamptz 'epoch'))::float8 AS off
             FROM ${s}.samples_1m WHERE bucket >= $1::timestamptz AND bucket < $2::timestamptz) m
       GROUP BY series_id, q
       ON CONFLICT (series_id, bucket) DO UPDATE SET ${BUCKET_SET}`,
      [iso(alignDown(from, QUARTER)), iso(to)],
    );
  }

  async applyRetention(): Promise<void> {
    if (!this.conn.ready) return;
    const now = this.options.clock();
    const r = this.options.retention;
    const { pool, s } = this.conn;
    await pool.query(`DELETE FROM ${s}.samples WHERE time < $1`, [iso(now - r.raw)]);
    await pool.query(`DELETE FROM ${s}.samples_1m WHERE bucket < $1`, [iso(now - r.minute)]);
    await pool.query(`DELETE FROM ${s}.samples_15m WHERE bucket < $1`, [iso(now - r.quarter)]);
    await pool.query(`DELETE FROM ${s}.events WHERE time < $1`, [iso(now - r.events)]);
  }
}
