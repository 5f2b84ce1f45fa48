import type { PoolClient } from 'pg';

/** Quotes an identifier that the config already restricted to [a-z_][a-z0-9_]*. */
export const ident = (name: string): string => `"${name.replace(/"/g, '""')}"`;

const BUCKET_COLUMNS = `
  series_id integer NOT NULL,
  bucket timestamptz NOT NULL,
  count integer NOT NULL,
  min double precision NOT NULL,
  max double precision NOT NULL,
  sum double precision NOT NULL,
  last double precision NOT NULL,
  last_t double precision NOT NULL,
  sum_t double precision NOT NULL,
  sum_tt double precision NOT NULL,
  sum_tv double precision NOT NULL,
  sum_vv double precision NOT NULL,
  PRIMARY KEY (series_id, bucket)`;

/**
 * Ordered, append-only: a released migration is never edited, a change is a new entry. Each runs in the
 * same transaction as its row in schema_migrations.
 */
export const MIGRATIONS: { version: number; name: string; sql: (s: string) => string }[] = [
  {
    version: 1,
    name: 'series, samples, aggregates, events',
    sql: (s) => `
      CREATE TABLE ${s}.series (
        id serial PRIMARY KEY, name text NOT NULL UNIQUE, created_at timestamptz NOT NULL DEFAULT now()
      );
      -- The primary key makes a retried batch harmless: a row written before a connection died is not doubled.
      CREATE TABLE ${s}.samples (
        series_id integer NOT NULL, time timestamptz NOT NULL, value double precision NOT NULL,
        PRIMARY KEY (series_id, time)
      );
      CREATE INDEX samples_time ON ${s}.samples (time);
      CREATE TABLE ${s}.samples_1m (${BUCKET_COLUMNS});
      CREATE TABLE ${s}.samples_15m (${BUCKET_COLUMNS});
      CREATE INDEX samples_1m_bucket ON ${s}.samples_1m (bucket);
      CREATE INDEX samples_15m_bucket ON ${s}.samples_15m (bucket);
      CREATE TABLE ${s}.events (
        id bigserial PRIMARY KEY,
        time timestamptz NOT NULL,
        "check" text NOT NULL,
        type text NOT NULL,
        from_status text NOT NULL,
        to_status text NOT NULL,
        reason text NOT NULL,
        UNIQUE (time, "check", type, to_status)
      );
      CREATE INDEX events_time ON ${s}.events (time);
    `,
  },
  {
    version: 2,
    name: 'events.started_at: when the condition began, before the status turned',
    sql: (s) => `ALTER TABLE ${s}.events ADD COLUMN started_at timestamptz;`,
  },
];

/**
 * Brings the schema up to date. An advisory lock keyed on the schema name serialises daemons starting
 * together against one database, so each migration runs exactly once.
 */
export async function migrate(client: PoolClient, schema: string): Promise<number[]> {
  const s = ident(schema);
  const applied: number[] = [];
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`mcp-vitals:${schema}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${s}.schema_migrations (version integer PRIMARY KEY, name text NOT NULL, ` +
        `applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const { rows } = await client.query<{ version: number }>(`SELECT version FROM ${s}.schema_migrations`);
    const done = new Set(rows.map((r) => r.version));
    for (const m of MIGRATIONS) {
      if (done.has(m.version)) continue;
      await client.query(m.sql(s));
      await client.query(`INSERT INTO ${s}.schema_migrations (version, name) VALUES ($1, $2)`, [m.version, m.name]);
      applied.push(m.version);
    }
    await client.query('COMMIT');
  } catch (e) {
    await client.query('ROLLBACK').catch(() => {});
    throw e;
  }
  return applied;
}
