import { Writable } from 'node:stream';
import pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresHistory, type PostgresHistoryOptions } from '../../../src/store/postgres.js';
import { FaultProxy } from '../../support/fault-proxy.js';
import { waitUntil } from '../../support/wait.js';

const PG_URL = 'postgres://postgres@127.0.0.1:5432/test';
const MIN = 60_000;
const HOUR = 3_600_000;

/** A schema of this test file's own, dropped afterwards, so parallel files never share tables. */
const SCHEMA = `vitals_test_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
const admin = new pg.Pool({ connectionString: PG_URL, max: 2 });

function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(l));
      cb();
    },
  });
  return { log: pino({ level: 'debug' }, stream), lines };
}

function options(over: Partial<PostgresHistoryOptions> = {}): PostgresHistoryOptions {
  return {
    url: PG_URL,
    schema: SCHEMA,
    retention: { raw: 2 * HOUR, minute: 24 * HOUR, quarter: 7 * 24 * HOUR, events: 7 * 24 * HOUR },
    flushInterval: 200,
    batchSize: 1000,
    bufferMax: 100_000,
    maxSeries: 1000,
    jobs: { downsample: '* * * * *', retention: '*/10 * * * *' },
    eventsMax: 100,
    log: capture().log,
    scheduleJobs: false,
    ...over,
  };
}

async function count(series: string, from?: number, to?: number): Promise<number> {
  const { rows } = await admin.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM "${SCHEMA}".samples s JOIN "${SCHEMA}".series r ON r.id = s.series_id
     WHERE r.name = $1 AND ($2::timestamptz IS NULL OR s.time >= $2) AND ($3::timestamptz IS NULL OR s.time <= $3)`,
    [
      series,
      from === undefined ? null : new Date(from).toISOString(),
      to === undefined ? null : new Date(to).toISOString(),
    ],
  );
  return rows[0]!.n;
}

beforeAll(async () => {
  await admin.query('SELECT 1');
});
afterAll(async () => {
  await admin.query(`DROP SCHEMA IF EXISTS "${SCHEMA}" CASCADE`);
  await admin.end();
});

describe('PostgresHistory against the real server', () => {
  it('migrates, writes batches, answers raw and rolled-up queries like brute force, keeps it on restart', async () => {
    const now = Date.now();
    const samples: [number, number][] = [];
    // Two hours of 5-second samples with a slope and some wobble.
    for (let t = now - 2 * HOUR + 1; t <= now; t += 5000)
      samples.push([t, 0.3 + ((t - now) / HOUR) * 0.01 + Math.sin(t / 7_000) * 0.05]);
    const h1 = new PostgresHistory(
      options({ retention: { raw: HOUR / 2, minute: 24 * HOUR, quarter: 7 * 24 * HOUR, events: 7 * 24 * HOUR } }),
    );
    await h1.start();
    for (const [t, v] of samples) h1.append(t, [['disk.utilization:/', v]]);
    h1.recordEvent({
      time: new Date(now - MIN).toISOString(),
      check: 'db',
      type: 'status',
      from: 'pass',
      to: 'fail',
      reason: 'connection refused',
      startedAt: new Date(now - 2 * MIN).toISOString(),
    });
    await h1.flush();
    expect(h1.stats()).toMatchObject({ buffered: 0, dropped: 0, written: samples.length, available: true });
    expect(await count('disk.utilization:/')).toBe(samples.length);
    await h1.downsample();

    const brute = (from: number) => {
      const vs = samples.filter(([t]) => t >= from && t <= now).map(([, v]) => v);
      return {
        count: vs.length,
        min: Math.min(...vs),
        max: Math.max(...vs),
        avg: vs.reduce((a, b) => a + b, 0) / vs.length,
      };
    };
    const raw = await h1.query({ series: 'disk.utilization:/', from: now - 15 * MIN, to: now });
    expect(raw.resolution).toBe('raw');
    const b15 = brute(now - 15 * MIN);
    expect(raw.summary).toMatchObject({ count: b15.count, min: b15.min, max: b15.max, p95Estimated: false });
    expect(raw.summary!.avg).toBeCloseTo(b15.avg, 10);
    const sorted = samples
      .filter(([t]) => t >= now - 15 * MIN)
      .map(([, v]) => v)
      .sort((a, b) => a - b);
    const pos = (sorted.length - 1) * 0.95;
    expect(raw.summary!.p95).toBeCloseTo(
      sorted[Math.floor(pos)]! + (pos - Math.floor(pos)) * (sorted[Math.ceil(pos)]! - sorted[Math.floor(pos)]!),
      10,
    );

    // Older than raw retention: from the 1-minute table (plus the not yet rolled-up tail from raw).
    const tier = await h1.query({ series: 'disk.utilization:/', from: now - 90 * MIN, to: now });
    expect(tier.resolution).toBe('1m');
    const bt = brute(Math.floor((now - 90 * MIN) / MIN) * MIN);
    expect(tier.summary).toMatchObject({ count: bt.count, min: bt.min, max: bt.max });
    expect(tier.summary!.avg).toBeCloseTo(bt.avg, 10);
    expect(tier.summary!.trendPerHour).toBeCloseTo(
      raw.summary!.trendPerHour === null ? 0 : tier.summary!.trendPerHour!,
      10,
    );
    expect(tier.points.length).toBeLessThanOrEqual(120);
    await h1.close();

    // "Restart": a new store on the same schema answers the same.
    const h2 = new PostgresHistory(
      options({ retention: { raw: HOUR / 2, minute: 24 * HOUR, quarter: 7 * 24 * HOUR, events: 7 * 24 * HOUR } }),
    );
    await h2.start();
    expect(await h2.query({ series: 'disk.utilization:/', from: now - 15 * MIN, to: now })).toEqual(raw);
    expect(await h2.query({ series: 'disk.utilization:/', from: now - 90 * MIN, to: now })).toEqual(tier);
    expect((await h2.events({ check: 'db' })).map((e) => [e.reason, e.startedAt])).toEqual([
      ['connection refused', new Date(now - 2 * MIN).toISOString()],
    ]);
    expect((await h2.series()).map((s) => s.name)).toContain('disk.utilization:/');
    await h2.close();
  });

  it('waits at shutdown for a flush under way: its samples are written, none said lost or unreachable', async () => {
    const { log, lines } = capture();
    const h = new PostgresHistory(options({ log }));
    await h.start();
    const series = `shutdown.inflight.${Date.now()}`;
    const t0 = Date.now() - MIN;
    for (let i = 0; i < 20; i++) h.append(t0 + i, [[series, i]]);
    // The timer's flush, started just before stop: its one batch is out of the buffer and its INSERT in flight.
    void h.flush();
    await new Promise((r) => setImmediate(r));
    await h.close();
    expect(await count(series)).toBe(20);
    expect(lines.filter((l) => /lost|unreachable/.test(String(l.msg))).map((l) => l.msg)).toEqual([]);
  });

  it('a minute-tier query sees a sample written behind the roll-up watermark before any roll-up has run', async () => {
    // A fresh schema starts its watermark at the current minute; a sample from just before that minute, written
    // after start, was in neither the 1-minute table nor the raw rows the query aggregated past the watermark.
    const schema = `${SCHEMA}_wm`;
    const now = Math.floor(Date.now() / MIN) * MIN + 500;
    const h = new PostgresHistory(options({ schema, clock: () => now, flushInterval: 3_600_000 }));
    try {
      await h.start();
      h.append(now - 1000, [['late.sample', 7]]);
      await h.flush();
      // A window just longer than raw retention: answered from the 1-minute tier.
      const r = await h.query({ series: 'late.sample', from: now - 2 * HOUR - 1, to: now });
      expect(r.resolution).toBe('1m');
      expect(r.summary).toMatchObject({ count: 1, last: 7 });
    } finally {
      await h.close();
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    }
  });

  it('flush() writes what was appended before it, even while a flush that already passed the buffer ends', async () => {
    // The timer stays out of it: every flush here is one this test asked for.
    const h = new PostgresHistory(options({ flushInterval: 3_600_000 }));
    await h.start();
    const series = `flush.late.${Date.now()}`;
    const t0 = Date.now() - MIN;
    const missing: number[] = [];
    // An empty flush is under way; appends land at each microtask after it, one of them after it has looked at the
    // buffer and before it has ended. Each caller's flush must still have written that caller's sample.
    void h.flush();
    for (let i = 0; i < 12; i++) {
      await null;
      h.append(t0 + i, [[series, i]]);
      await h.flush();
      if ((await count(series)) !== i + 1) missing.push(i);
    }
    await h.close();
    expect(missing).toEqual([]);
    expect(await count(series)).toBe(12);
  });

  it('keeps every sample taken while PostgreSQL is cut for 30 s, and writes them when it returns', async () => {
    const proxy = await FaultProxy.start({ host: '127.0.0.1', port: 5432 });
    const { log, lines } = capture();
    // The 30 s are on the store's clock, moved a second per sample: the outage is real, its length is not waited out.
    let now = Date.now() - 5 * MIN;
    const h = new PostgresHistory(
      options({ url: `postgres://postgres@127.0.0.1:${proxy.port}/test`, log, clock: () => now }),
    );
    await h.start();
    const series = 'outage.probe';
    const taken: number[] = [];
    // One sample a second, the way the recorder feeds the store, each followed by the flush its timer would make.
    const sample = async (seconds: number, flush: boolean) => {
      for (let i = 0; i < seconds; i++) {
        now += 1000;
        taken.push(now);
        h.append(now, [[series, taken.length - 1]]);
        if (flush) await h.flush();
      }
    };
    await sample(3, true);
    const cutAt = now;
    await proxy.refuse();
    await sample(30, true);
    const restoreAt = now;
    expect(h.stats().available).toBe(false);
    expect(h.stats().buffered).toBeGreaterThanOrEqual(25);
    await proxy.restore();
    await sample(2, false);
    // The buffer drains on the flush timer once the database answers again.
    await waitUntil(
      () => h.stats().buffered === 0 && h.stats().available,
      'the flush timer to write the buffered samples',
      10_000,
    );
    await h.flush();
    const during = taken.filter((t) => t >= cutAt && t <= restoreAt);
    expect(during.length).toBeGreaterThanOrEqual(29);
    expect(await count(series, cutAt, restoreAt)).toBe(during.length);
    expect(await count(series)).toBe(taken.length);
    expect(h.stats()).toMatchObject({ dropped: 0, available: true, buffered: 0 });
    expect(lines.some((l) => /PostgreSQL unreachable; buffering/.test(String(l.msg)))).toBe(true);
    expect(lines.some((l) => /reachable again/.test(String(l.msg)))).toBe(true);
    await h.close();
    await proxy.close();
  });

  it('bounds the buffer while PostgreSQL is away: overflow is dropped oldest-first, counted and logged', async () => {
    const proxy = await FaultProxy.start({ host: '127.0.0.1', port: 5432 });
    const { log, lines } = capture();
    const h = new PostgresHistory(
      options({ url: `postgres://postgres@127.0.0.1:${proxy.port}/test`, log, bufferMax: 100, flushInterval: 100_000 }),
    );
    await h.start();
    await proxy.refuse();
    const t0 = Date.now();
    for (let i = 0; i < 250; i++) h.append(t0 + i, [['overflow.probe', i]]);
    await h.flush();
    expect(h.stats()).toMatchObject({ buffered: 100, dropped: 150, available: false });
    await proxy.restore();
    await h.flush();
    // The newest 100 survived.
    const { rows } = await admin.query<{ v: number }>(
      `SELECT min(value) AS v FROM "${SCHEMA}".samples s JOIN "${SCHEMA}".series r ON r.id = s.series_id
       WHERE r.name = 'overflow.probe'`,
    );
    expect(rows[0]!.v).toBe(150);
    expect(await count('overflow.probe')).toBe(100);
    await h.close();
    // Logged, not silent: the first drop at once, the rest in a trailing line (at the latest on close).
    const drops = lines.filter((l) => l.level === 40 && /samples dropped/.test(String(l.msg)));
    expect(drops.length).toBeGreaterThanOrEqual(1);
    expect(drops.reduce((a, l) => a + Number(l.dropped), 0)).toBe(150);
    await proxy.close();
  });
});
