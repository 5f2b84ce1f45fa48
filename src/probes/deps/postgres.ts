import pg from 'pg';
import { redactUrl } from '../../shared/redact.js';
import type { Observation, Probe } from '../types.js';
import type { ProbeConfig } from './kind.js';
import type { kind } from './postgres.schema.js';
import { describeError, elapsedSeconds } from './common.js';

type PostgresConfig = ProbeConfig<typeof kind>;

export function describe(c: PostgresConfig): string {
  return redactUrl(c.url!);
}

const PG_ERRORS: Record<string, string> = {
  '28P01': 'password authentication failed',
  '28000': 'connection rejected by pg_hba.conf',
  '3D000': 'database does not exist',
  '57P03': 'server is starting up or shutting down',
  '53300': 'too many connections',
};

function pgError(e: unknown): string {
  const { code, message } = e as { code?: string; message?: string };
  // 28000 covers both a pg_hba rejection and, under `trust`, a role that does not exist.
  if (code === '28000' && /role .* does not exist/.test(message ?? '')) return 'role does not exist';
  if (code && PG_ERRORS[code]) return PG_ERRORS[code];
  return describeError(e);
}

const STATS_SQL = `
  SELECT current_setting('server_version') AS version,
         current_setting('max_connections')::int AS max_connections,
         (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')::int AS connections,
         pg_is_in_recovery() AS replica,
         CASE WHEN NOT pg_is_in_recovery() THEN 0
              -- A replica that has replayed all it received is caught up, however long the primary was idle.
              WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
              ELSE COALESCE(EXTRACT(EPOCH FROM (now() - pg_last_xact_replay_timestamp())), 0)
              END::float8 AS replication_lag`;

/** pg has no public way to drop a socket at once; `end()` waits for a goodbye a black hole never sends. */
function destroySocket(client: pg.PoolClient): void {
  (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
}

interface ServerStats {
  version: string;
  max_connections: number;
  connections: number;
  replica: boolean;
  replication_lag: number;
}

/** A run's verdict as it is built: values and facts, the failure reason (the last one wins) and warnings. */
interface Verdict {
  values: Record<string, number>;
  info: Record<string, string>;
  ok: boolean;
  error?: string;
  warnings: string[];
}

function newPool(c: PostgresConfig): pg.Pool {
  const pool = new pg.Pool({
    connectionString: c.url,
    max: 2,
    idleTimeoutMillis: 60_000,
    connectionTimeoutMillis: c.timeout,
    query_timeout: c.timeout,
    application_name: 'mcp-vitals',
    allowExitOnIdle: true,
  });
  // An idle client that dies (server restart, proxy cut) emits here; the next run reconnects.
  pool.on('error', () => {});
  return pool;
}

/** Connections in use against `max_connections`, and replay lag on a replica, judged against their levels. */
export function judgeStats(c: PostgresConfig, row: ServerStats, responseTimeSeconds: number): Verdict {
  const v: Verdict = {
    values: {
      responseTimeSeconds,
      connections: row.connections,
      maxConnections: row.max_connections,
      connectionsRatio: row.max_connections > 0 ? row.connections / row.max_connections : 0,
    },
    info: { version: row.version, role: row.replica ? 'replica' : 'primary' },
    ok: true,
    warnings: [],
  };
  const ratio = v.values.connectionsRatio!;
  const used = `connections ${row.connections}/${row.max_connections}`;
  if (ratio >= c.connections.fail) {
    v.ok = false;
    v.error = `${used} at or above ${Math.round(c.connections.fail * 100)}%`;
  } else if (ratio >= c.connections.warn)
    v.warnings.push(`${used} at or above ${Math.round(c.connections.warn * 100)}%`);
  if (row.replica) {
    v.values.replicationLagSeconds = row.replication_lag;
    const lagMs = row.replication_lag * 1000;
    const lag = `replication lag ${row.replication_lag.toFixed(1)}s`;
    if (lagMs >= c.replicationLag.fail) {
      v.ok = false;
      v.error = lag;
    } else if (lagMs >= c.replicationLag.warn) v.warnings.push(lag);
  }
  return v;
}

/** The check's own query, when it has one: its row count, against `expectRows`. */
async function runQuery(client: pg.PoolClient, query: PostgresConfig['query'], v: Verdict): Promise<void> {
  if (!query) return;
  const result = await client.query(query.sql);
  v.values.queryRows = result.rowCount ?? result.rows.length;
  if (query.expectRows !== undefined && v.values.queryRows !== query.expectRows) {
    v.ok = false;
    v.error = `query returned ${v.values.queryRows} rows, expected ${query.expectRows}`;
  }
}

/** A client taken from the pool and dropped there broken: destroyed, never handed out again. */
function discard(client: pg.PoolClient, reason: unknown): void {
  destroySocket(client);
  client.release(reason instanceof Error ? reason : new Error(String(reason)));
}

/**
 * `SELECT 1` latency through a small reused pool, then server facts: version, connections in use against
 * `max_connections`, and replay lag when the server is a replica. A query that overruns the signal has its
 * client destroyed so the pool never hands out a connection stuck behind a black hole.
 */
export function create(c: PostgresConfig): Probe<Observation> {
  const pool = newPool(c);
  return {
    kind: 'postgres',
    async run(signal) {
      const started = process.hrtime.bigint();
      let client: pg.PoolClient | undefined;
      const onAbort = () => {
        if (client) discard(client, new Error('aborted'));
        client = undefined;
      };
      try {
        client = await pool.connect();
        // pg-pool listens for errors only on idle clients; a checked-out client whose socket dies mid-query
        // emits 'error' with no listener, which would crash the daemon. The query's rejection reports it.
        if (client.listenerCount('error') === 0) client.on('error', () => {});
        if (signal.aborted) throw signal.reason;
        signal.addEventListener('abort', onAbort, { once: true });
        await client.query('SELECT 1');
        const responseTimeSeconds = elapsedSeconds(started);
        const row = (await client.query(STATS_SQL)).rows[0] as ServerStats;
        const v = judgeStats(c, row, responseTimeSeconds);
        await runQuery(client, c.query, v);
        signal.removeEventListener('abort', onAbort);
        client.release();
        client = undefined;
        const { ok, values, info, error, warnings } = v;
        return { ok, values, info, ...(error ? { error } : {}), ...(warnings.length ? { warnings } : {}) };
      } catch (e) {
        signal.removeEventListener('abort', onAbort);
        // A client that failed mid-query may be wedged: destroy it rather than return it to the pool.
        if (client) discard(client, e);
        return { ok: false, values: {}, error: signal.aborted ? 'timed out' : pgError(e) };
      }
    },
    async close() {
      await pool.end().catch(() => {});
    },
  };
}
