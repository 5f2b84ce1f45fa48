import type pg from 'pg';
import type { Logger } from 'pino';
import type { HealthEvent } from '../monitor/schema.js';
import { PgConnection } from './postgres/connection.js';
import { Jobs, type Retention } from './postgres/jobs.js';
import { Reader } from './postgres/reader.js';
import { SeriesIds } from './postgres/series-ids.js';
import { Writer } from './postgres/writer.js';
import { ProcessSnapshots, RecentEvents } from './recent.js';
import type {
  EventQuery,
  History,
  HistoryQuery,
  HistoryResult,
  ProcessSnapshot,
  SeriesInfo,
  StoreStats,
} from './types.js';

export { isConnectionError } from './postgres/connection.js';

export interface PostgresHistoryOptions {
  url: string;
  schema: string;
  retention: Retention;
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

/**
 * History in PostgreSQL, composed of the connection (pool, migrations, availability), the write-behind
 * writer, the reader and the roll-up and retention jobs (see each in `postgres/`). Writes only buffer, so
 * the monitor never waits on the database; while it is away samples are kept (bounded) and written when
 * it returns. One daemon per schema: the roll-up watermark lives in the process.
 */
export class PostgresHistory implements History {
  readonly kind = 'postgres';
  private readonly conn: PgConnection;
  private readonly ids: SeriesIds;
  private readonly writer: Writer;
  private readonly reader: Reader;
  private readonly jobs: Jobs;
  private readonly recent: RecentEvents;
  private readonly processes = new ProcessSnapshots();
  private closed = false;

  constructor(private readonly options: PostgresHistoryOptions) {
    const clock = options.clock ?? Date.now;
    const { log, retention } = options;
    this.recent = new RecentEvents(options.eventsMax);
    this.ids = new SeriesIds(options.maxSeries);
    this.conn = new PgConnection(
      options,
      async (client, s) => {
        await this.ids.load(client, s);
        await this.jobs.load(client, s);
      },
      () => ({ buffered: this.writer.buffered, dropped: this.writer.drops.total }),
    );
    this.jobs = new Jobs(this.conn, { retention, schedules: options.jobs, clock });
    this.writer = new Writer(this.conn, this.ids, options, (minTime) => this.jobs.noteWritten(minTime));
    this.reader = new Reader(
      this.conn,
      this.ids,
      { retention, clock, log },
      {
        flush: () => this.writer.flush(),
        pendingEvents: () => this.writer.pendingEvents,
        rolledUpTo: () => this.jobs.rolledUpTo,
        recent: this.recent,
      },
    );
  }

  get pool(): pg.Pool {
    return this.conn.pool;
  }

  async start(): Promise<void> {
    await this.conn.init();
    this.writer.start();
    if (this.options.scheduleJobs !== false)
      this.jobs.start((e) => this.options.log.warn({ err: this.conn.redact(e) }, 'history: job failed'));
  }

  append(time: number, values: ReadonlyArray<readonly [string, number]>): void {
    this.writer.append(time, values);
  }

  recordEvent(event: HealthEvent): void {
    this.recent.push(event);
    this.writer.recordEvent(event);
  }

  /** Writes everything buffered, batch by batch; stops at the first failure and keeps the rest for later. */
  flush(): Promise<void> {
    return this.writer.flush();
  }

  downsample(): Promise<void> {
    return this.jobs.downsample();
  }

  applyRetention(): Promise<void> {
    return this.jobs.applyRetention();
  }

  query(q: HistoryQuery): Promise<HistoryResult> {
    return this.reader.query(q);
  }

  series(): Promise<SeriesInfo[]> {
    return this.reader.list();
  }

  events(q: EventQuery = {}): Promise<HealthEvent[]> {
    return this.reader.events(q);
  }

  recordProcesses(snapshot: ProcessSnapshot): void {
    this.processes.push(snapshot);
  }

  processesNear(time: number, withinMs: number): ProcessSnapshot | undefined {
    return this.processes.near(time, withinMs);
  }

  stats(): StoreStats {
    const { available, lastError } = this.conn;
    return {
      kind: 'postgres',
      series: this.ids.known.size,
      bytes: this.writer.bytes,
      buffered: this.writer.buffered,
      dropped: this.writer.drops.total,
      written: this.writer.written,
      available,
      ...(lastError && !available ? { lastError } : {}),
    };
  }

  /**
   * Stops the jobs, writes what is buffered (giving up after `graceMs`, counting and logging anything left),
   * and closes the pool.
   */
  async close(graceMs = 5000): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.jobs.stop();
    const deadline = Date.now() + graceMs;
    await this.writer.close(deadline);
    await this.conn.end(deadline);
  }
}
