import pg from 'pg';
import type { Logger } from 'pino';
import { collectSecrets, redactText } from '../../shared/redact.js';
import { ident, migrate } from '../migrations.js';
import { StoreUnavailableError } from '../types.js';

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

interface ConnectionOptions {
  url: string;
  schema: string;
  flushInterval: number;
  log: Logger;
}

/** What the write-behind buffer holds, for the outage log lines and the unavailable answer. */
interface BufferCounts {
  buffered: number;
  dropped: number;
}

/** Loads what the store caches from the database once its schema is up to date (series ids, the watermark). */
type Loader = (client: pg.PoolClient, s: string) => Promise<void>;

function createPool(url: string, log: Logger, redact: (e: unknown) => string): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: 3,
    connectionTimeoutMillis: 5000,
    idleTimeoutMillis: 30_000,
    // A batch INSERT takes milliseconds; a write stuck behind a dead network gives up well before shutdown would.
    query_timeout: 10_000,
    keepAlive: true,
    application_name: 'mcp-vitals-history',
  });
  // An idle client whose socket dies emits here; without a listener that would crash the daemon.
  pool.on('error', (e) => log.debug({ err: redact(e) }, 'history: idle PostgreSQL connection lost'));
  return pool;
}

/**
 * The pool, the schema's readiness and the store's availability. Availability and its log lines run on
 * the wall clock (they pace reconnects and logs), not on the store's clock (the time of the samples).
 */
export class PgConnection {
  readonly pool: pg.Pool;
  /** The schema, quoted for SQL. */
  readonly s: string;
  ready = false;
  available = true;
  lastError: string | undefined;
  private initializing: Promise<void> | undefined;
  /** When the last operation found PostgreSQL unreachable. */
  private unavailableAt = 0;
  private outage: { since: number; droppedAtStart: number; lastLog: number } | undefined;
  private readonly secrets: Set<string>;

  constructor(
    private readonly options: ConnectionOptions,
    private readonly load: Loader,
    private readonly counts: () => BufferCounts,
  ) {
    this.s = ident(options.schema);
    this.secrets = collectSecrets({ url: options.url });
    this.pool = createPool(options.url, options.log, (e) => this.redact(e));
  }

  /** Migrations and the caches; retried from the flush loop until it succeeds, so a late database is fine. */
  init(): Promise<void> {
    if (this.ready) return Promise.resolve();
    this.initializing ??= this.prepare().finally(() => (this.initializing = undefined));
    return this.initializing;
  }

  private async prepare(): Promise<void> {
    try {
      const client = await this.pool.connect();
      try {
        const applied = await migrate(client, this.options.schema);
        if (applied.length)
          this.options.log.info({ schema: this.options.schema, applied }, 'history: migrations applied');
        await this.load(client, this.s);
      } finally {
        client.release();
      }
      this.ready = true;
      this.markAvailable();
    } catch (e) {
      this.markUnavailable(e);
    }
  }

  markUnavailable(e: unknown): void {
    this.lastError = this.redact(e);
    const now = Date.now();
    this.unavailableAt = now;
    if (this.available) {
      this.available = false;
      this.outage = { since: now, droppedAtStart: this.counts().dropped, lastLog: now };
      this.options.log.warn(
        { err: this.lastError, buffered: this.counts().buffered },
        'history: PostgreSQL unreachable; buffering samples until it returns',
      );
    } else if (this.outage && now - this.outage.lastLog >= 30_000) this.logStillUnreachable(this.outage, now);
  }

  private logStillUnreachable(outage: NonNullable<typeof this.outage>, now: number): void {
    outage.lastLog = now;
    const { buffered, dropped } = this.counts();
    this.options.log.warn(
      {
        err: this.lastError,
        buffered,
        dropped: dropped - outage.droppedAtStart,
        outageSeconds: Math.round((now - outage.since) / 1000),
      },
      'history: PostgreSQL still unreachable',
    );
  }

  markAvailable(): void {
    if (this.available) return;
    this.available = true;
    const o = this.outage;
    this.outage = undefined;
    const { buffered, dropped } = this.counts();
    this.options.log.info(
      {
        outageSeconds: o ? Math.round((Date.now() - o.since) / 1000) : undefined,
        dropped: o ? dropped - o.droppedAtStart : 0,
        buffered,
      },
      'history: PostgreSQL reachable again; writing buffered samples',
    );
  }

  /**
   * While PostgreSQL was found unreachable moments ago, readers get the answer at once instead of each waiting
   * out a connect timeout; the flush loop keeps probing and clears this when it gets through.
   */
  get recentlyUnavailable(): boolean {
    return !this.available && Date.now() - this.unavailableAt < Math.max(10_000, this.options.flushInterval);
  }

  unavailableError(): StoreUnavailableError {
    return new StoreUnavailableError(
      `history store unavailable (PostgreSQL: ${this.lastError ?? 'not connected'}); ` +
        `${this.counts().buffered} samples are buffered and will be written when it returns`,
    );
  }

  redact(e: unknown): string {
    return redactText(String((e as Error)?.message ?? e), this.secrets);
  }

  /** Closes the pool, waiting until `deadline` at most (100 ms at least): a hung client waits out query_timeout. */
  async end(deadline: number): Promise<void> {
    await Promise.race([
      this.pool.end().catch(() => {}),
      new Promise<void>((r) => setTimeout(r, Math.max(100, deadline - Date.now())).unref()),
    ]);
  }
}
