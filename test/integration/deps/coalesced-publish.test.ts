import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { HealthMonitor, type SnapshotChanges } from '../../../src/monitor/health-monitor.js';
import type { Snapshot } from '../../../src/monitor/schema.js';
import { MemoryHistory } from '../../../src/store/memory.js';
import { Recorder } from '../../../src/store/recorder.js';
import { createLogger } from '../../../src/shared/logger.js';
import { HOST_OFF } from '../../support/host-off.js';

let listener: Server;
let port: number;
beforeAll(async () => {
  listener = createServer((s) => s.destroy());
  await new Promise<void>((r) => listener.listen({ host: '127.0.0.1', port: 0, backlog: 1024 }, r));
  port = (listener.address() as { port: number }).port;
});
afterAll(() => new Promise<void>((r) => listener.close(() => r())));

describe('publication of dependency results', () => {
  it(
    '200 results in one round make a handful of snapshots; each names exactly the checks that ran, and the ' +
      'history gets every result once',
    async () => {
      const n = 200;
      const checks = Array.from({ length: n }, (_, i) => ({
        name: `tcp-${i}`,
        kind: 'tcp',
        host: '127.0.0.1',
        port,
        every: '1h',
        timeout: '2s',
      }));
      const m = new HealthMonitor(
        parseConfig({ host: HOST_OFF, refreshMinInterval: 0, concurrency: 8, checks }),
        createLogger({ level: 'silent' }),
      );
      const history = new MemoryHistory({
        retention: { raw: 3_600_000, minute: 86_400_000, quarter: 604_800_000 },
        maxRawPerSeries: 100,
        maxSeries: 10_000,
        eventsMax: 100,
      });
      const recorder = new Recorder(m, history);
      recorder.start();
      const published: [Snapshot, SnapshotChanges][] = [];
      m.on('snapshot', (s, c) => published.push([s, c]));
      try {
        await m.start();
        await m.checked;
        // Every result is visible to a reader as soon as its round is done, before any timer publishes it.
        expect(Object.values(m.snapshot.checks).filter((c) => c.runs === 1)).toHaveLength(n);
        const named = published.flatMap(([, c]) => [...c.checks]);
        expect(named.sort()).toEqual(checks.map((c) => c.name).sort());
        expect(published.length).toBeLessThan(n / 10);
        // Each snapshot is frozen through, and a check's state is the same object until it runs again.
        const last = published.at(-1)![0];
        expect([Object.isFrozen(last), Object.isFrozen(last.checks), Object.isFrozen(last.checks['tcp-0'])]).toEqual([
          true,
          true,
          true,
        ]);
        for (const name of ['tcp-0', `tcp-${n - 1}`]) {
          const q = await history.query({ series: `check.status:${name}`, from: 0, to: Date.now() + 1000 });
          expect(q.summary?.count).toBe(1);
        }

        // A refresh runs every check once more and answers with all of the new results.
        published.length = 0;
        const s = await m.refresh({ dependenciesOnly: true });
        expect(
          Object.values(s.checks)
            .filter((c) => c.group === 'dependency' && c.runs !== 2)
            .map((c) => [c.name, c.runs, c.status, c.skippedRuns]),
        ).toEqual([]);
        expect(published.flatMap(([, c]) => [...c.checks])).toHaveLength(n);
        expect(published.every(([, c]) => !c.host)).toBe(true);
        const q = await history.query({ series: 'check.status:tcp-7', from: 0, to: Date.now() + 1000 });
        expect(q.summary?.count).toBe(2);
      } finally {
        recorder.stop();
        await m.stop();
      }
    },
  );
});
