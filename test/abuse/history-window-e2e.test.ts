import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { startStdioDaemon } from './stdio-daemon.js';

const PG_URL = 'postgres://postgres@127.0.0.1:5432/test';
const SCHEMA = `vitals_abuse_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;

describe('list_events {window: "9999999d"} over stdio with the PostgreSQL store (finding 3)', () => {
  const schema = SCHEMA;
  const admin = new pg.Pool({ connectionString: PG_URL, max: 1 });
  afterAll(async () => {
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  });

  it(
    'is refused with a clear error; other callers keep their answers and nothing says PostgreSQL is ' + 'unreachable',
    async () => {
      const d = await startStdioDaemon(
        `history: { store: postgres, url: "${PG_URL}", schema: ${schema}, flushInterval: 200ms }\n`,
      );
      const huge = await d.call('tools/call', { name: 'list_events', arguments: { window: '9999999d' } });
      const text = huge.result?.content?.[0]?.text ?? huge.error?.message;
      expect(huge.result?.isError ?? true).toBe(true);
      expect(text).toMatch(/longer than the limit of 366d/);
      for (const name of ['query_history', 'diagnose']) {
        const r = await d.call('tools/call', {
          name,
          arguments: { window: '9999999d', ...(name === 'query_history' ? { series: 'cpu.utilization' } : {}) },
        });
        expect(r.result?.content?.[0]?.text ?? r.error?.message, name).toMatch(/longer than the limit of 366d/);
      }
      const others = await Promise.all(
        Array.from({ length: 20 }, () => d.call('tools/call', { name: 'list_events', arguments: { window: '1h' } })),
      );
      for (const o of others) expect(o.result.isError).toBeFalsy();
      d.child.stdin.end();
      expect(await d.exited).toBe(0);
      expect(d.stderr()).not.toMatch(/PostgreSQL unreachable/);
    },
  );
});
