import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { PostgresHistory } from '../../../src/store/postgres.js';
import { FaultProxy } from '../../support/fault-proxy.js';
import { testHistoryOptions } from '../../support/pg-history.js';

const SCHEMA = `vitals_hang_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
const admin = new pg.Pool({ connectionString: 'postgres://postgres@127.0.0.1:5432/test', max: 1 });
afterAll(async () => {
  await admin.query(`DROP SCHEMA IF EXISTS "${SCHEMA}" CASCADE`);
  await admin.end();
});

describe('PostgreSQL history store behind a black hole', () => {
  it('answers readers at once while unreachable; shutdown keeps its grace period, counting what it loses', async () => {
    const proxy = await FaultProxy.start({ host: '127.0.0.1', port: 5432 });
    const h = new PostgresHistory(
      testHistoryOptions({ url: `postgres://postgres@127.0.0.1:${proxy.port}/test`, schema: SCHEMA }),
    );
    try {
      await h.start();
      h.append(Date.now(), [['cpu.utilization', 0.5]]);
      await h.flush();
      expect(h.stats().available).toBe(true);

      await proxy.blackhole();
      for (let i = 0; i < 50; i++) h.append(Date.now() + i, [['cpu.utilization', 0.5]]);
      // The first reader waits out one connect timeout and finds PostgreSQL gone; readers after it fail fast.
      await expect(h.query({ series: 'cpu.utilization', from: Date.now() - 60_000, to: Date.now() })).rejects.toThrow(
        /unavailable/,
      );
      expect(h.stats().available).toBe(false);
      const t0 = performance.now();
      await expect(h.query({ series: 'cpu.utilization', from: Date.now() - 60_000, to: Date.now() })).rejects.toThrow(
        /unavailable/,
      );
      const readerMs = performance.now() - t0;

      for (let i = 0; i < 50; i++) h.append(Date.now() + 100 + i, [['cpu.utilization', 0.6]]);
      const t1 = performance.now();
      await h.close(1500);
      const closeMs = performance.now() - t1;
      expect(readerMs).toBeLessThan(1000);
      expect(closeMs).toBeLessThan(5000);
      expect(h.stats().dropped).toBeGreaterThanOrEqual(50);
    } finally {
      await proxy.close();
    }
  }, 30_000);
});
