import { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { helperRedis, warnOnRedisErrors } from '../../../src/http/redis.js';

afterEach(() => vi.useRealTimers());

describe('helper Redis clients', () => {
  it('a command client fails fast while disconnected; a subscriber keeps its queue, no command timeout', async () => {
    const commands = helperRedis('redis://127.0.0.1:6379/0', 'commands');
    const subscriber = helperRedis('redis://127.0.0.1:6379/0', 'subscriber');
    try {
      expect(commands.status).toBe('wait');
      expect(commands.options).toMatchObject({
        lazyConnect: true,
        connectTimeout: 2000,
        maxRetriesPerRequest: 1,
        enableOfflineQueue: false,
        commandTimeout: 1000,
      });
      expect(subscriber.options).toMatchObject({ lazyConnect: true, enableOfflineQueue: true });
      expect(subscriber.options.commandTimeout).toBeUndefined();
      // Not connected and no offline queue: the command is refused at once instead of waiting for Redis.
      await expect(commands.ping()).rejects.toThrow();
    } finally {
      commands.disconnect();
      subscriber.disconnect();
    }
  });

  it('warns of an outage once per 30 s across all clients of a helper, with credentials scrubbed', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(1_000_000);
    const warn = vi.fn();
    const log = { warn } as never;
    const a = new EventEmitter();
    const b = new EventEmitter();
    warnOnRedisErrors(log, 'bus Redis unavailable', [a, b] as unknown as Redis[]);
    a.emit('error', new Error('connect ECONNREFUSED redis://user:hunter2@db:6379'));
    b.emit('error', new Error('again'));
    vi.setSystemTime(1_029_999);
    a.emit('error', new Error('still'));
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]![1]).toBe('bus Redis unavailable');
    expect(JSON.stringify(warn.mock.calls[0]![0])).not.toContain('hunter2');
    vi.setSystemTime(1_030_000);
    b.emit('error', new Error('later'));
    expect(warn).toHaveBeenCalledTimes(2);
  });
});
