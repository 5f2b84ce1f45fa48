import type pg from 'pg';

/**
 * The series names the store knows and the database ids of those already written. A name is known from its
 * first append (so a query can flush it and answer); its id arrives with the first batch that writes it.
 */
export class SeriesIds {
  readonly ids = new Map<string, number>();
  readonly known = new Set<string>();

  constructor(private readonly maxSeries: number) {}

  /** Whether a sample of `series` may be kept: a known name, or a new one while under `maxSeries`. */
  admit(series: string): boolean {
    if (this.known.has(series)) return true;
    if (this.known.size >= this.maxSeries) return false;
    this.known.add(series);
    return true;
  }

  /** Every series the database has, so a restarted daemon knows the names written before it. */
  async load(client: pg.PoolClient, s: string): Promise<void> {
    const { rows } = await client.query<{ id: number; name: string }>(`SELECT id, name FROM ${s}.series`);
    for (const r of rows) {
      this.ids.set(r.name, r.id);
      this.known.add(r.name);
    }
  }

  /** Creates the rows of the series in `names` that have no id yet, and caches their ids. */
  async resolve(pool: pg.Pool, s: string, names: Iterable<string>): Promise<void> {
    const missing = [...new Set(names)].filter((n) => !this.ids.has(n));
    if (!missing.length) return;
    await pool.query(`INSERT INTO ${s}.series (name) SELECT unnest($1::text[]) ON CONFLICT (name) DO NOTHING`, [
      missing,
    ]);
    const { rows } = await pool.query<{ id: number; name: string }>(
      `SELECT id, name FROM ${s}.series WHERE name = ANY($1::text[])`,
      [missing],
    );
    for (const r of rows) this.ids.set(r.name, r.id);
  }
}
