import { describe, expect, it } from 'vitest';
import { parseServerEvent, RedisServerEventBus } from '../../../src/http/event-bus.js';
import { createLogger } from '../../../src/shared/logger.js';
import { freePort } from '../../support/wait.js';

describe('parseServerEvent: what another replica put on the channel', () => {
  it('takes well-formed events', () => {
    expect(
      parseServerEvent(
        JSON.stringify({ kind: 'resource_updated', uri: 'vitals://health', params: { status: 'fail' } }),
      ),
    ).toEqual({ kind: 'resource_updated', uri: 'vitals://health', params: { status: 'fail' } });
    expect(parseServerEvent('{"kind":"tools_list_changed"}')).toEqual({ kind: 'tools_list_changed' });
  });

  it('drops junk, unknown kinds, a resource update without a URI, bad params, and anything past the size bound', () => {
    for (const bad of [
      'not json',
      '[]',
      'null',
      '{"kind":"nope"}',
      '{"kind":"resource_updated"}',
      '{"kind":"resource_updated","uri":"x","params":[1]}',
      JSON.stringify({ kind: 'resource_updated', uri: 'x'.repeat(17 * 1024) }),
    ]) {
      expect(parseServerEvent(bad), bad.slice(0, 40)).toBeUndefined();
    }
  });
});

describe('RedisServerEventBus without a reachable Redis', () => {
  it('starts anyway and delivers in process, so a lone replica keeps its listeners', async () => {
    const bus = new RedisServerEventBus({
      url: `redis://127.0.0.1:${await freePort()}`,
      channel: 'mcp-vitals:unit',
      log: createLogger({ level: 'silent' }),
    });
    await bus.start();
    const got: unknown[] = [];
    const off = bus.subscribe((e) => got.push(e));
    bus.publish({ kind: 'resource_updated', uri: 'vitals://health' });
    off();
    bus.publish({ kind: 'resource_updated', uri: 'vitals://events' });
    expect(got).toEqual([{ kind: 'resource_updated', uri: 'vitals://health' }]);
    await bus.close();
  });
});
