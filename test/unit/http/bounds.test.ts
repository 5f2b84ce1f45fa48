import { describe, expect, it } from 'vitest';
import { requestIds } from '../../../src/http/mcp-sessions.js';
import { MemoryBudgets, messageCost } from '../../../src/http/rate-limit.js';
import { InvalidTokenThrottle } from '../../../src/http/security.js';
import { checkingInterval } from '../../../src/http/server.js';

describe('messageCost', () => {
  const cost = { diagnose: 10, query_history: 2 };
  const call = (name: unknown) => ({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name } });
  it('counts every message of a batch, weighing the tools that have a cost', () => {
    expect(messageCost({ jsonrpc: '2.0', id: 1, method: 'ping' }, cost)).toBe(1);
    expect(
      messageCost(
        Array.from({ length: 100 }, () => ({ method: 'ping' })),
        cost,
      ),
    ).toBe(100);
    expect(
      messageCost(
        [call('diagnose'), call('query_history'), call('health_check'), { method: 'notifications/initialized' }],
        cost,
      ),
    ).toBe(14);
  });
  it('unknown or odd tool names cost 1, and never a prototype property', () => {
    expect(messageCost(call('constructor'), cost)).toBe(1);
    expect(messageCost(call(42), cost)).toBe(1);
    expect(messageCost(null, cost)).toBe(1);
  });
});

describe('requestIds', () => {
  it('lists request ids only, keeping 1 and "1" apart', () => {
    expect(
      requestIds([{ method: 'a', id: 1 }, { method: 'b', id: '1' }, { method: 'n' }, { id: 5, result: {} }]),
    ).toEqual(['number:1', 'string:1']);
  });
});

describe('checkingInterval', () => {
  it('a tenth of the shorter timeout, within 100 ms and 1 s', () => {
    expect(checkingInterval({ headers: 10_000, request: 30_000, keepAlive: 5000 })).toBe(1000);
    expect(checkingInterval({ headers: 2000, request: 3000, keepAlive: 5000 })).toBe(200);
    expect(checkingInterval({ headers: 500, request: 0, keepAlive: 5000 })).toBe(100);
    expect(checkingInterval({ headers: 0, request: 0, keepAlive: 5000 })).toBe(1000);
  });
});

describe('InvalidTokenThrottle', () => {
  it(
    'past the budget an address gets waits for invalid tokens, a repeated one is refused unverified, and it ' +
      'resets after a minute',
    () => {
      const t = new InvalidTokenThrottle(3);
      const now = 1_000_000;
      expect([
        t.failed('a', 'Bearer x1', now),
        t.failed('a', 'Bearer x2', now),
        t.failed('a', 'Bearer x3', now),
      ]).toEqual([0, 0, 0]);
      expect(t.failed('a', 'Bearer x4', now)).toBe(60);
      // Only tokens already refused are turned away before verification; any other (a valid one) is checked.
      expect(t.knownBad('a', 'Bearer x1', now + 1000)).toBe(59);
      expect(t.knownBad('a', 'Bearer valid', now + 1000)).toBe(0);
      // Another address is unaffected.
      expect(t.knownBad('b', 'Bearer x1', now)).toBe(0);
      expect(t.failed('b', 'Bearer x1', now)).toBe(0);
      expect(t.knownBad('a', 'Bearer x1', now + 60_001)).toBe(0);
    },
  );
});

describe('the in-process rate-limit budgets', () => {
  it('stay within 10,000 keys inside one window when every request comes from a new address', async () => {
    const store = new MemoryBudgets(60_000);
    try {
      for (let i = 0; i < 12_000; i++) await store.spend(`ip:2001:db8::${i.toString(16)}`, 1, 60_000);
      expect(store.size).toBeLessThanOrEqual(10_000);
      // The newest keys keep their spending: only the oldest were let go.
      expect((await store.spend('ip:2001:db8::2edf', 1, 60_000)).count).toBe(2);
    } finally {
      await store.close();
    }
  });
});
