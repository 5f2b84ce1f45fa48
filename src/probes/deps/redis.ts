import { Redis } from 'ioredis';
import { redactUrl } from '../../shared/redact.js';
import type { InstanceConfig } from '../registry.js';
import type { Observation, Probe } from '../types.js';
import { describeError, elapsedSeconds } from './common.js';

type RedisConfig = InstanceConfig<'redis'>;

export function describe(c: RedisConfig): string {
  return redactUrl(c.url!);
}

function field(info: string, key: string): string | undefined {
  const m = new RegExp(`^${key}:(.*)$`, 'm').exec(info);
  return m?.[1]?.trim();
}

/**
 * `PING` latency, then INFO: role, used memory against `maxmemory`, connected clients. The client never
 * queues commands while disconnected and reconnects with capped backoff, so a dead Redis costs one failed
 * run per schedule tick, not a reconnect storm.
 */
export function create(c: RedisConfig): Probe<Observation> {
  const client = new Redis(c.url!, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: c.timeout,
    commandTimeout: c.timeout,
    retryStrategy: (times) => Math.min(250 * 2 ** Math.min(times, 6), 15_000),
    reconnectOnError: () => false,
    connectionName: 'mcp-vitals',
  });
  // Errors surface through the commands below; without a listener ioredis would print them.
  client.on('error', () => {});

  return {
    kind: 'redis',
    async run(signal) {
      const started = process.hrtime.bigint();
      try {
        if (client.status === 'wait' || client.status === 'end') await client.connect();
        else if (client.status !== 'ready') throw Object.assign(new Error('not connected'), { code: 'ECONNREFUSED' });
        if (signal.aborted) throw signal.reason;
        await client.ping();
        const responseTimeSeconds = elapsedSeconds(started);
        const info = await client.info();
        const used = Number(field(info, 'used_memory') ?? 0);
        const max = Number(field(info, 'maxmemory') ?? 0);
        const values: Record<string, number> = {
          responseTimeSeconds,
          usedMemoryBytes: used,
          maxMemoryBytes: max,
          connectedClients: Number(field(info, 'connected_clients') ?? 0),
        };
        const facts: Record<string, string> = { role: field(info, 'role') ?? 'unknown', version: field(info, 'redis_version') ?? 'unknown' };
        let ok = true;
        let error: string | undefined;
        const warnings: string[] = [];
        if (max > 0) {
          values.memoryRatio = used / max;
          if (values.memoryRatio >= c.memory.fail) {
            ok = false;
            error = `used memory at ${Math.round(values.memoryRatio * 100)}% of maxmemory`;
          } else if (values.memoryRatio >= c.memory.warn) warnings.push(`used memory at ${Math.round(values.memoryRatio * 100)}% of maxmemory`);
        }
        return { ok, values, info: facts, ...(error ? { error } : {}), ...(warnings.length ? { warnings } : {}) };
      } catch (e) {
        const msg = String((e as Error)?.message ?? '');
        let error = describeError(e);
        if (/WRONGPASS|NOAUTH|invalid password/i.test(msg)) error = 'authentication failed';
        else if (/Command timed out/i.test(msg)) error = 'timed out';
        else if (/Stream isn't writeable|not connected|Connection is closed/i.test(msg)) error = 'not connected';
        // Drop a wedged connection so the next run starts clean.
        if (signal.aborted || error === 'timed out') client.disconnect(false);
        return { ok: false, values: {}, error: signal.aborted ? 'timed out' : error };
      }
    },
    async close() {
      client.disconnect(false);
    },
  };
}
