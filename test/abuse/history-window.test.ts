import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WindowArg, WINDOW_MAX_MS } from '../../src/config/limits.js';
import { isConnectionError, PostgresHistory } from '../../src/store/postgres.js';
import { MemoryHistory } from '../../src/store/memory.js';
import { InvalidQueryError } from '../../src/store/types.js';
import { testHistoryOptions } from '../support/pg-history.js';

const PG_URL = 'postgres://postgres@127.0.0.1:5432/test';
const SCHEMA = `vitals_abuse_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
const DAY = 86_400_000;
const HUGE = 9_999_999 * DAY;

describe('a huge window is a bad query, never an outage (finding 3)', () => {
  const admin = new pg.Pool({ connectionString: PG_URL, max: 1 });
  let store: PostgresHistory;

  beforeAll(async () => {
    store = new PostgresHistory(testHistoryOptions({ url: PG_URL, schema: SCHEMA }));
    await store.start();
    store.append(Date.now() - 1000, [['cpu.utilization', 0.5]]);
    await store.flush();
  });
  afterAll(async () => {
    await store?.close();
    await admin.query(`DROP SCHEMA IF EXISTS "${SCHEMA}" CASCADE`);
    await admin.end();
  });

  it(
    'events and query with a range before any date are refused before SQL; the store stays available for ' + 'everyone',
    async () => {
      await expect(store.events({ sinceMs: Date.now() - HUGE })).rejects.toThrow(InvalidQueryError);
      await expect(store.query({ series: 'cpu.utilization', from: Date.now() - HUGE, to: Date.now() })).rejects.toThrow(
        /before 1970/,
      );
      await expect(store.query({ series: 'cpu.utilization', from: Date.now(), to: Date.now() - 1000 })).rejects.toThrow(
        /from is after to/,
      );
      expect(store.stats().available).toBe(true);
      // Twenty other callers right after: all answered from PostgreSQL.
      const answers = await Promise.all(
        Array.from({ length: 20 }, () =>
          store.query({ series: 'cpu.utilization', from: Date.now() - 3_600_000, to: Date.now() }),
        ),
      );
      for (const a of answers) expect(a.summary?.count).toBe(1);
      expect(store.stats().available).toBe(true);
    },
  );

  it('only connection-level failures count as PostgreSQL being away', () => {
    expect(
      isConnectionError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' })),
    ).toBe(true);
    expect(isConnectionError(new Error('Connection terminated unexpectedly'))).toBe(true);
    // Five capital letters like a SQLSTATE, but a socket's errno: the database is away, not refusing a statement.
    for (const code of ['EPIPE', 'EBADF', 'EBUSY'])
      expect(isConnectionError(Object.assign(new Error(`write ${code}`), { code }))).toBe(true);
    expect(
      isConnectionError(
        Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }),
      ),
    ).toBe(true);
    expect(isConnectionError(Object.assign(new Error('too many connections'), { code: '53300' }))).toBe(true);
    expect(isConnectionError(Object.assign(new Error('date/time field value out of range'), { code: '22008' }))).toBe(
      false,
    );
    expect(isConnectionError(Object.assign(new Error('syntax error'), { code: '42601' }))).toBe(false);
  });

  it('the memory store refuses the same ranges', async () => {
    const mem = new MemoryHistory({
      retention: { raw: 3_600_000, minute: DAY, quarter: 7 * DAY, events: 7 * DAY },
      maxSeries: 10,
      maxRawPerSeries: 100,
      eventsMax: 10,
    } as ConstructorParameters<typeof MemoryHistory>[0]);
    mem.append(Date.now(), [['cpu.utilization', 0.1]]);
    await expect(mem.query({ series: 'cpu.utilization', from: Number.NaN, to: Date.now() })).rejects.toThrow(
      InvalidQueryError,
    );
    await expect(mem.events({ sinceMs: -HUGE })).rejects.toThrow(InvalidQueryError);
  });

  it('the tool argument refuses windows past 366d with the limit in the message', () => {
    expect(WindowArg.safeParse('366d').success).toBe(true);
    const r = WindowArg.safeParse('9999999d');
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.message).toMatch(/longer than the limit of 366d/);
    expect(WINDOW_MAX_MS).toBe(366 * DAY);
  });
});
