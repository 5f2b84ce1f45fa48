import { Redis } from 'ioredis';
import { redactUrl } from '../../shared/redact.js';
import type { Observation, Probe } from '../types.js';
import type { ProbeConfig } from './kind.js';
import type { kind } from './redis.schema.js';
import { describeError, elapsedSeconds } from './common.js';

type RedisConfig = ProbeConfig<typeof kind>;

export function describe(c: RedisConfig): string {
  return redactUrl(c.url!);
}

function field(info: string, key: string): string | undefined {
  const m = new RegExp(`^${key}:(.*)$`, 'm').exec(info);
  return m?.[1]?.trim();
}

interface Target {
  /** The URL without credentials or database, for ioredis to connect to. */
  url: string;
  username?: string;
  password?: string;
  db: number;
}

/**
 * Credentials and database are taken out of the URL and sent by the probe itself: ioredis treats an AUTH
 * the server rejects for having no password as a console warning and carries on, which would both pass a
 * misconfigured check and write a non-JSON line to stderr.
 */
export function parseTarget(raw: string): Target {
  const u = new URL(raw);
  const decode = (s: string) => (s ? decodeURIComponent(s) : undefined);
  const username = decode(u.username);
  const password = decode(u.password) ?? u.searchParams.get('password') ?? undefined;
  const db = Number(u.pathname.replace(/^\//, '') || u.searchParams.get('db') || 0);
  u.username = '';
  u.password = '';
  u.pathname = '';
  u.searchParams.delete('password');
  u.searchParams.delete('db');
  return {
    url: u.toString(),
    db: Number.isInteger(db) ? db : 0,
    ...(username ? { username } : {}),
    ...(password ? { password } : {}),
  };
}

/** Redis replies mapped to short reasons; anything else falls back to the reply's first line. */
function redisError(e: unknown, lastSocketError: unknown): string {
  const msg = String((e as Error)?.message ?? '');
  if (/without any password configured|no password is set/i.test(msg))
    return 'authentication failed: a password is configured but the server has none';
  if (/WRONGPASS|invalid password|invalid username-password/i.test(msg))
    return 'authentication failed: wrong username or password';
  if (/NOAUTH/i.test(msg)) return 'authentication required: no password configured';
  if (/DB index is out of range/i.test(msg)) return 'database index out of range';
  if (/Command timed out/i.test(msg)) return 'timed out';
  // ioredis reports a failed connect as "Connection is closed."; the socket error says why.
  if (/Connection is closed|Stream isn't writeable|Connection lost/i.test(msg))
    return lastSocketError ? describeError(lastSocketError) : 'connection closed';
  return describeError(e);
}

/** Used memory against `maxmemory` (when one is set), clients, role and version from an INFO reply. */
export function judgeInfo(
  c: RedisConfig,
  info: string,
  responseTimeSeconds: number,
): Pick<Observation, 'ok' | 'values' | 'info' | 'error' | 'warnings'> {
  const used = Number(field(info, 'used_memory') ?? 0);
  const max = Number(field(info, 'maxmemory') ?? 0);
  const values: Record<string, number> = {
    responseTimeSeconds,
    usedMemoryBytes: used,
    maxMemoryBytes: max,
    connectedClients: Number(field(info, 'connected_clients') ?? 0),
  };
  const facts = { role: field(info, 'role') ?? 'unknown', version: field(info, 'redis_version') ?? 'unknown' };
  if (max <= 0) return { ok: true, values, info: facts };
  values.memoryRatio = used / max;
  const said = `used memory at ${Math.round(values.memoryRatio * 100)}% of maxmemory`;
  if (values.memoryRatio >= c.memory.fail) return { ok: false, values, info: facts, error: said };
  if (values.memoryRatio >= c.memory.warn) return { ok: true, values, info: facts, warnings: [said] };
  return { ok: true, values, info: facts };
}

/** A connection that never reconnects nor queues on its own (see `create`). */
function connection(c: RedisConfig, target: Target, onError: (e: unknown) => void): Redis {
  const redis = new Redis(target.url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    enableReadyCheck: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    reconnectOnError: () => false,
    connectTimeout: c.timeout,
    commandTimeout: c.timeout,
    connectionName: 'mcp-vitals',
    // CLIENT SETINFO fails on servers before 7.2: two error spans and a wasted round trip on every connect.
    disableClientInfo: true,
  });
  // Without a listener ioredis would print socket errors; keep the latest to explain a failed connect.
  redis.on('error', onError);
  return redis;
}

/** Connects, then AUTH and SELECT as the URL asked (sent by us: see `parseTarget`). */
async function handshake(redis: Redis, target: Target): Promise<void> {
  await redis.connect();
  if (target.password !== undefined)
    await (target.username
      ? redis.call('AUTH', target.username, target.password)
      : redis.call('AUTH', target.password));
  if (target.db !== 0) await redis.select(target.db);
}

/**
 * `PING` latency, then INFO: role, used memory against `maxmemory`, connected clients. One connection is
 * kept between runs. ioredis never reconnects on its own (`retryStrategy: null`) and never queues commands
 * while disconnected; a run that finds the connection gone opens exactly one new one, so a dead Redis costs
 * one connection attempt per scheduled run, never a reconnect storm, and a restored one is seen at the next run.
 */
export function create(c: RedisConfig): Probe<Observation> {
  const target = parseTarget(c.url!);
  let client: Redis | undefined;
  let lastSocketError: unknown;

  const discard = () => {
    client?.disconnect(false);
    client = undefined;
  };

  const open = async (): Promise<Redis> => {
    if (client?.status === 'ready') return client;
    discard();
    lastSocketError = undefined;
    const fresh = connection(c, target, (e) => (lastSocketError = e));
    client = fresh;
    await handshake(fresh, target);
    return fresh;
  };

  return {
    kind: 'redis',
    async run(signal) {
      const started = process.hrtime.bigint();
      // Closing the connection is what makes a command stuck behind a black hole give up now.
      const onAbort = () => discard();
      signal.addEventListener('abort', onAbort, { once: true });
      try {
        if (signal.aborted) throw signal.reason;
        const conn = await open();
        await conn.ping();
        const responseTimeSeconds = elapsedSeconds(started);
        return judgeInfo(c, await conn.info(), responseTimeSeconds);
      } catch (e) {
        const error = signal.aborted ? 'timed out' : redisError(e, lastSocketError);
        // Whatever went wrong, the next run starts from a fresh connection and a fresh AUTH.
        discard();
        return { ok: false, values: {}, error };
      } finally {
        signal.removeEventListener('abort', onAbort);
      }
    },
    async close() {
      discard();
    },
  };
}
