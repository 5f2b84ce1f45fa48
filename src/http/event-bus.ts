import type { Redis } from 'ioredis';
import type { ServerEvent, ServerEventBus } from '@modelcontextprotocol/server';
import type { Logger } from '../shared/logger.js';
import { helperRedis, warnOnRedisErrors } from './redis.js';

const KINDS = new Set(['tools_list_changed', 'prompts_list_changed', 'resources_list_changed', 'resource_updated']);

/** Messages from Redis are another process's: only well-formed, bounded events get through. */
const MAX_MESSAGE_BYTES = 16 * 1024;

export function parseServerEvent(text: string): ServerEvent | undefined {
  if (text.length > MAX_MESSAGE_BYTES) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
  const e = v as { kind?: unknown; uri?: unknown; params?: unknown };
  if (typeof e.kind !== 'string' || !KINDS.has(e.kind)) return undefined;
  if (e.kind === 'resource_updated' && typeof e.uri !== 'string') return undefined;
  if (e.params !== undefined && (e.params === null || typeof e.params !== 'object' || Array.isArray(e.params)))
    return undefined;
  return v as ServerEvent;
}

export interface RedisEventBusOptions {
  url: string;
  /** The pub/sub channel every replica of one deployment shares. */
  channel: string;
  log: Logger;
}

/**
 * The SDK's `subscriptions/listen` event bus over Redis pub/sub, so a listener connected to one replica hears
 * a transition another replica saw. Every replica publishes what its own monitor sees and delivers what
 * arrives on the channel (its own included, once: nothing is delivered locally on publish). While Redis is
 * unreachable, events are delivered in process only, so a single replica's listeners keep hearing.
 */
export class RedisServerEventBus implements ServerEventBus {
  private readonly listeners = new Set<(event: ServerEvent) => void>();
  private readonly pub: Redis;
  private readonly sub: Redis;

  constructor(private readonly options: RedisEventBusOptions) {
    this.pub = helperRedis(options.url, 'commands');
    this.sub = helperRedis(options.url, 'subscriber');
    warnOnRedisErrors(options.log, 'event-bus Redis unavailable; listeners hear this replica only', [
      this.pub,
      this.sub,
    ]);
    this.sub.on('message', (channel: string, text: string) => {
      if (channel !== options.channel) return;
      const event = parseServerEvent(text);
      if (event) this.deliver(event);
      else options.log.debug('event-bus: ignored a malformed message');
    });
  }

  /** Connects both clients and subscribes; resolves even when Redis is down (then events stay in process). */
  async start(): Promise<void> {
    await Promise.all([this.pub.connect().catch(() => undefined), this.sub.connect().catch(() => undefined)]);
    await this.sub.subscribe(this.options.channel).catch(() => undefined);
  }

  publish(event: ServerEvent): void {
    const viaRedis = this.pub.status === 'ready' && this.sub.status === 'ready';
    if (!viaRedis) {
      this.deliver(event);
      return;
    }
    this.pub.publish(this.options.channel, JSON.stringify(event)).catch(() => this.deliver(event));
  }

  subscribe(listener: (event: ServerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  private deliver(event: ServerEvent): void {
    for (const l of [...this.listeners]) {
      try {
        l(event);
      } catch (e) {
        this.options.log.debug({ err: { message: (e as Error)?.message } }, 'event-bus listener failed');
      }
    }
  }

  async close(): Promise<void> {
    this.listeners.clear();
    await Promise.allSettled([this.pub.quit(), this.sub.quit()]);
    this.pub.disconnect();
    this.sub.disconnect();
  }
}
