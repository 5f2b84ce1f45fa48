import pino from 'pino';
import type { PostgresHistoryOptions } from '../../src/store/postgres.js';

/** A PostgresHistory for tests: small buffers, 1 h raw retention, silent log, jobs run by the test itself. */
export function testHistoryOptions(
  over: Partial<PostgresHistoryOptions> & Pick<PostgresHistoryOptions, 'url' | 'schema'>,
): PostgresHistoryOptions {
  return {
    retention: { raw: 3_600_000, minute: 86_400_000, quarter: 604_800_000, events: 604_800_000 },
    flushInterval: 200,
    batchSize: 1000,
    bufferMax: 10_000,
    maxSeries: 100,
    jobs: { downsample: '* * * * *', retention: '*/10 * * * *' },
    eventsMax: 100,
    log: pino({ level: 'silent' }),
    scheduleJobs: false,
    ...over,
  };
}
