import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { MemoryHistory } from './memory.js';
import type { History } from './types.js';

export type { History } from './types.js';

/**
 * The configured history store. The postgres one (and `pg`) is loaded only when configured, so the default
 * daemon's stdio cold start does not pay for a driver it never uses.
 */
export async function createHistory(
  config: Config,
  log: Logger,
  options: { clock?: () => number } = {},
): Promise<History> {
  const h = config.history;
  if (h.store === 'postgres') {
    const { PostgresHistory } = await import('./postgres.js');
    return new PostgresHistory({
      url: h.url!,
      schema: h.schema,
      retention: h.retention,
      flushInterval: h.flushInterval,
      batchSize: h.batchSize,
      bufferMax: h.bufferMax,
      maxSeries: h.maxSeries,
      jobs: h.jobs,
      eventsMax: config.events.max,
      log,
      ...(options.clock ? { clock: options.clock } : {}),
    });
  }
  return new MemoryHistory({
    retention: h.retention,
    maxRawPerSeries: h.maxRawPerSeries,
    maxSeries: h.maxSeries,
    eventsMax: config.events.max,
    log,
    ...(options.clock ? { clock: options.clock } : {}),
  });
}
