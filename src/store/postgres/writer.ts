import type { Logger } from 'pino';
import type { HealthEvent } from '../../monitor/schema.js';
import { isConnectionError, type PgConnection } from './connection.js';
import { Drops } from './drops.js';
import type { SeriesIds } from './series-ids.js';
import { iso } from './sql.js';

interface WriterOptions {
  flushInterval: number;
  batchSize: number;
  bufferMax: number;
  log: Logger;
}

interface Row {
  series: string;
  time: number;
  value: number;
}

/** Rough bytes per buffered sample (object, number boxes, array slot); the name string is shared. */
const ROW_BYTES = 72;
const EVENT_BUFFER_MAX = 10_000;
const EVENT_BATCH = 1000;

/**
 * The write-behind half of the store: `append` only buffers, a timer writes batches with one multi-row INSERT
 * (unnest of arrays) each, and while the database is away the buffer keeps the samples (up to `bufferMax`;
 * beyond that the oldest are dropped, counted and logged) and writes them when it returns.
 */
export class Writer {
  private buffer: Row[] = [];
  private eventBuffer: HealthEvent[] = [];
  readonly drops: Drops;
  written = 0;
  /** Samples of the batch being written right now (lost, and counted, if shutdown cuts the write). */
  private inFlight = 0;
  private flushing: Promise<void> | undefined;
  private nextFlush: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /** close() has counted what it could not write: a write failing after that is not an outage. */
  private finished = false;

  constructor(
    private readonly conn: PgConnection,
    private readonly series: SeriesIds,
    private readonly options: WriterOptions,
    /** Told the earliest time of each batch written, so a roll-up can redo minutes a late write touched. */
    private readonly onWritten: (minTime: number) => void,
  ) {
    this.drops = new Drops(options.log, options.bufferMax);
  }

  get buffered(): number {
    return this.buffer.length;
  }

  get bytes(): number {
    return this.buffer.length * ROW_BYTES;
  }

  /** Events not written yet: still answers to a reader. */
  get pendingEvents(): readonly HealthEvent[] {
    return this.eventBuffer;
  }

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.options.flushInterval);
    this.timer.unref();
  }

  append(time: number, values: ReadonlyArray<readonly [string, number]>): void {
    if (this.closed) return;
    for (const [series, value] of values) {
      if (!Number.isFinite(value)) continue;
      if (!this.series.admit(series)) {
        this.drops.count(1, 'series limit reached');
        continue;
      }
      this.buffer.push({ series, time, value });
    }
    this.bound();
  }

  recordEvent(event: HealthEvent): void {
    if (this.closed) return;
    this.eventBuffer.push(event);
    if (this.eventBuffer.length > EVENT_BUFFER_MAX) {
      const n = this.eventBuffer.length - EVENT_BUFFER_MAX;
      this.eventBuffer.splice(0, n);
      this.options.log.warn({ dropped: n }, 'history: event buffer full, oldest events not persisted');
    }
  }

  private bound(): void {
    const over = this.buffer.length - this.options.bufferMax;
    if (over > 0) {
      this.buffer.splice(0, over);
      this.drops.count(over, 'write-behind buffer full');
    }
  }

  /**
   * Writes everything buffered, batch by batch; stops at the first failure and keeps the rest for later. A caller
   * arriving while a flush runs gets one more pass after it (shared by every such caller): the running one may
   * already have looked at the buffer, and what the caller appended must be written when its promise settles.
   */
  flush(): Promise<void> {
    if (this.flushing) {
      const again = () => {
        this.nextFlush = undefined;
        return this.flush();
      };
      this.nextFlush ??= this.flushing.then(again, again);
      return this.nextFlush;
    }
    this.flushing = this.flushAll().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  private async flushAll(): Promise<void> {
    await this.conn.init();
    if (!this.conn.ready) return;
    while (this.buffer.length || this.eventBuffer.length) {
      const batch = this.buffer.splice(0, this.options.batchSize);
      const events = this.eventBuffer.splice(0, EVENT_BATCH);
      if (!(await this.writeBatch(batch, events))) return;
    }
  }

  /** One batch; false when PostgreSQL could not be reached (the batch is back in the buffer). */
  private async writeBatch(batch: Row[], events: HealthEvent[]): Promise<boolean> {
    try {
      this.inFlight = batch.length;
      await this.write(batch, events);
      this.inFlight = 0;
      this.written += batch.length;
      this.conn.markAvailable();
      return true;
    } catch (e) {
      this.inFlight = 0;
      // A write still hung when the grace ran out: its samples are already counted lost, and the pool is gone.
      if (this.finished) return false;
      if (!isConnectionError(e)) {
        this.reject(batch, events, e);
        return true;
      }
      // Back at the front, in order, ahead of whatever was appended meanwhile; then bounded again.
      this.buffer = batch.concat(this.buffer);
      this.eventBuffer = events.concat(this.eventBuffer);
      this.bound();
      this.conn.markUnavailable(e);
      return false;
    }
  }

  /** PostgreSQL refused this batch itself: retrying it would refuse it forever, and the database is fine. */
  private reject(batch: Row[], events: HealthEvent[], e: unknown): void {
    this.drops.count(batch.length, 'batch rejected by PostgreSQL');
    this.options.log.error(
      { err: this.conn.redact(e), samples: batch.length, events: events.length },
      'history: PostgreSQL rejected a batch; dropped',
    );
  }

  private async write(batch: Row[], events: HealthEvent[]): Promise<void> {
    if (batch.length) await this.writeSamples(batch);
    if (events.length) await this.writeEvents(events);
  }

  private async writeSamples(batch: Row[]): Promise<void> {
    const { pool, s } = this.conn;
    await this.series.resolve(
      pool,
      s,
      batch.map((r) => r.series),
    );
    const ids: number[] = [];
    const times: string[] = [];
    const values: number[] = [];
    let minTime = Infinity;
    for (const r of batch) {
      ids.push(this.series.ids.get(r.series)!);
      times.push(iso(r.time));
      values.push(r.value);
      if (r.time < minTime) minTime = r.time;
    }
    await pool.query(
      `INSERT INTO ${s}.samples (series_id, time, value)
       SELECT * FROM unnest($1::int[], $2::timestamptz[], $3::float8[]) ON CONFLICT DO NOTHING`,
      [ids, times, values],
    );
    this.onWritten(minTime);
  }

  private async writeEvents(events: HealthEvent[]): Promise<void> {
    await this.conn.pool.query(
      `INSERT INTO ${this.conn.s}.events (time, "check", type, from_status, to_status, reason, started_at)
       SELECT * FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                            $7::timestamptz[])
       ON CONFLICT DO NOTHING`,
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

  /**
   * Stops taking samples and writes what is buffered until `deadline` (a write hung on a black-holed connection
   * must not hold shutdown past it); what is left then is counted as dropped and logged.
   */
  async close(deadline: number): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    const left = () => new Promise<void>((r) => setTimeout(r, Math.max(0, deadline - Date.now())).unref());
    // A flush the timer started has already taken its batch out of the buffer: wait for it too, or its samples
    // would be counted lost and its next query would find the pool ended.
    while ((this.flushing || this.buffer.length || this.eventBuffer.length) && Date.now() < deadline) {
      await Promise.race([this.flush(), left()]);
      if (!this.conn.available) break;
    }
    this.drops.flushLog();
    this.countLost();
    this.finished = true;
  }

  private countLost(): void {
    const lost = this.buffer.length + this.inFlight;
    if (!lost) return;
    this.drops.total += lost;
    // Unreachable only when a connection failed; a database that was there but slower than the grace period
    // (migrations still running, a loaded machine) is said to be that, not an outage.
    const { available, lastError } = this.conn;
    const msg = available
      ? `history: shutdown grace ran out before PostgreSQL took ${lost} buffered samples; they are lost`
      : `history: PostgreSQL unreachable at shutdown; ${lost} buffered samples lost`;
    this.options.log.error(
      { dropped: lost, droppedTotal: this.drops.total, ...(available ? {} : { err: lastError }) },
      msg,
    );
    this.buffer = [];
    this.inFlight = 0;
  }
}
